import type { Agenda, Job } from 'agenda';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { BULK_CREATED, bulkTuning, type BulkOperationsService } from './bulk-operations.service.ts';

export const BULK_JOB = 'bulk-operation';
const SWEEP_JOB = 'bulk-operations-sweep';
const BulkJobData = z.object({ id: z.string().regex(/^bop_[0-9a-z]{26}$/) });
type BulkJobData = z.infer<typeof BulkJobData>;
/** A running operation whose heartbeat is this old has lost its worker (each slice beats once). */
const STALE_AFTER_MS = bulkTuning.sliceMs * 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One Agenda job per bulk operation (unique on its id). Each run works for one slice: batch after
 * batch, each its own short transaction that moves the stored cursor, paced so that fresh traffic
 * goes first (see `bulkTuning`); then it re-schedules itself, until the operation is done or
 * cancelled. A crash loses at most the batch in flight: the next run continues after the cursor.
 * A sweep re-schedules operations nobody is working on (created by an API-only process, or left
 * by a worker that died; the embedded database also forgets job locks on restart).
 */
export function defineBulkOperationJobs(deps: Deps, agenda: Agenda, ops: BulkOperationsService): { start(): Promise<void>; stop(): void } {
  let stopping = false;

  const schedule = async (id: string) => {
    const data: BulkJobData = BulkJobData.parse({ id });
    await agenda.create(BULK_JOB, data).unique({ 'data.id': id }).schedule(new Date()).save();
  };

  /** Works on one operation for up to a slice; answers whether there is more to do. */
  async function slice(id: string): Promise<boolean> {
    await ops.heartbeat(id);
    const until = Date.now() + bulkTuning.sliceMs;
    while (!stopping && Date.now() < until) {
      if ((await ops.backlog(id)) >= bulkTuning.maxBacklog) {
        await sleep(bulkTuning.spreadMs);
        continue;
      }
      const step = await ops.step(id);
      if (step.finished) return false;
      deps.wake(step.lanes);
      // The batch just released falls due over spreadMs; the next waits for it.
      await sleep(bulkTuning.spreadMs);
    }
    return true;
  }

  agenda.define<BulkJobData>(
    BULK_JOB,
    async (job: Job<BulkJobData>) => {
      const { id } = BulkJobData.parse(job.attrs.data);
      if (await slice(id)) job.schedule(new Date());
    },
    { concurrency: 2, lockLifetime: bulkTuning.sliceMs * 3 },
  );
  agenda.define(SWEEP_JOB, async () => {
    for (const id of await ops.orphaned(STALE_AFTER_MS)) await schedule(id);
  });

  const onCreated = (id: string) => {
    if (stopping) return;
    schedule(id).catch((err: Error) => deps.log.warn({ err: err.message, id }, 'could not schedule a bulk operation; the sweep will'));
  };
  deps.due.on(BULK_CREATED, onCreated);

  return {
    async start() {
      // Runs at once on start-up too, which resumes what a restart interrupted.
      await agenda.every('15 seconds', SWEEP_JOB);
    },
    stop() {
      stopping = true;
      deps.due.off(BULK_CREATED, onCreated);
    },
  };
}
