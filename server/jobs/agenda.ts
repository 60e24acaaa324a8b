import { Agenda, InMemoryNotificationChannel } from 'agenda';
import { PostgresBackend, PostgresJobRepository, PostgresNotificationChannel } from '@agendajs/postgres-backend';
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { DeliveryEngine, type AutoDisabled } from '../delivery/delivery-engine.ts';
import { LaneRunner } from '../delivery/lane-runner.ts';
import { housekeeping } from './housekeeping.job.ts';
import { defineBulkOperationJobs } from '../gateway/bulk-operations.job.ts';
import type { ChatPublisher } from '../chat/chat-deps.ts';
import { scheduleChatJobs } from '../chat/conversation-ended.job.ts';

const LANE_LOCK_MS = 30_000;
export const laneJobName = (lane: number) => `deliver-lane-${lane}`;

export type Jobs = { engine: DeliveryEngine; agenda: Agenda; runners: Map<number, LaneRunner>; stop(): Promise<void> };

/**
 * Agenda owns scheduling and fail-over: each delivery lane is one recurring Agenda job. A worker
 * that holds a lane keeps its lock alive and delivers that lane's events in batches until it stops;
 * if it dies, the lock expires and another worker's Agenda takes the lane over.
 */
export async function startJobs(
  deps: Deps,
  hooks: { onAutoDisabled?: (d: AutoDisabled) => Promise<void>; chatPublisher?: ChatPublisher } = {},
): Promise<Jobs> {
  const { config, database } = deps;
  const engine = new DeliveryEngine(deps, hooks.onAutoDisabled);
  const runners = new Map<number, LaneRunner>();
  let stopping = false;
  const backend = new PostgresBackend({
    ...(database.embedded ? { pool: database.pool } : { poolConfig: { ...database.poolConfig, max: 4 } }),
    // Through the embedded database a NOTIFY reaches only its sender; one process runs everything there.
    disableNotifications: database.embedded,
  });
  // A PostgreSQL server that restarts or terminates our sessions makes Agenda's own pool and its
  // LISTEN client emit 'error'; unheard, that kills the process. Agenda reconnects by itself.
  if (backend.repository instanceof PostgresJobRepository && backend.ownsConnection) {
    backend.repository.getPool().on('error', (err) => deps.log.warn({ err: err.message }, 'job scheduler lost a database connection'));
  }
  if (backend.notificationChannel instanceof PostgresNotificationChannel) {
    backend.notificationChannel.on('error', (err: Error) => deps.log.warn({ err: err.message }, 'job scheduler lost its LISTEN connection'));
  }
  const agenda = new Agenda({
    backend,
    ...(database.embedded ? { notificationChannel: new InMemoryNotificationChannel() } : {}),
    name: `wirehub-${process.pid}`,
    // A lane left by a capped or stopping worker is picked up by another within about a second.
    processEvery: '1 second',
    // Lanes, housekeeping, and the bulk operations (two at a time) with their sweep.
    maxConcurrency: config.deliveryLanes + 6,
    defaultConcurrency: 1,
    defaultLockLifetime: LANE_LOCK_MS,
    removeOnComplete: false,
  });
  agenda.on('error', (err) => deps.log.warn({ err: err.message }, 'job scheduler error'));
  await agenda.ready;

  if (database.embedded) {
    // The data-dir lock guarantees no other process uses this database, so locks and leases left
    // by a crash belong to nobody: free them now instead of waiting for them to expire.
    await sql`UPDATE agenda_jobs SET locked_at = NULL WHERE locked_at IS NOT NULL`.execute(deps.db);
    await sql`UPDATE events SET lease_until = NULL WHERE lease_until IS NOT NULL`.execute(deps.db);
  }

  for (let lane = 0; lane < config.deliveryLanes; lane++) {
    agenda.define(
      laneJobName(lane),
      async (job) => {
        if (stopping || runners.size >= config.lanesPerWorker || runners.has(lane)) {
          // Leave the lane to another worker: Agenda will have set its next run 30 s ahead, so
          // offer it again once Agenda has saved this run.
          if (!stopping) offerWhenSaved(deps, lane);
          return;
        }
        const runner = new LaneRunner(deps, engine, lane, config.deliveryConcurrency);
        runners.set(lane, runner);
        try {
          await runner.run(() => job.touch(), LANE_LOCK_MS / 3);
        } finally {
          runners.delete(lane);
        }
      },
      { concurrency: 1, lockLifetime: LANE_LOCK_MS },
    );
  }
  agenda.define('housekeeping', async () => housekeeping(deps, engine, runners), { concurrency: 1, lockLifetime: 5 * 60_000 });

  for (let lane = 0; lane < config.deliveryLanes; lane++) {
    await agenda.every('30 seconds', laneJobName(lane), { lane });
  }
  await agenda.every('1 minute', 'housekeeping');
  const bulk = defineBulkOperationJobs(deps, agenda);
  await bulk.start();
  // Ends idle conversations (conversation.ended) and drops spent chat rate-limit windows.
  if (hooks.chatPublisher) await scheduleChatJobs({ ...deps, publisher: hooks.chatPublisher }, agenda);
  await offerFreeLanes(deps);
  await agenda.start();

  return {
    engine,
    agenda,
    runners,
    async stop() {
      stopping = true;
      bulk.stop();
      for (const r of runners.values()) r.stop();
      // drain() waits for the lane handlers, which return once their deliveries are recorded.
      await agenda.drain({ timeout: 30_000, closeConnection: true });
      await engine.close();
      await offerFreeLanes(deps).catch(() => {});
    },
  };
}

/** A lane nobody holds should start now, not at its next 30-second tick: on start-up and on hand-over. */
/** Makes free lane jobs due now; answers how many it found unlocked. */
async function offerFreeLanes(deps: Deps, lane?: number): Promise<number> {
  const names = lane === undefined ? 'deliver-lane-%' : laneJobName(lane);
  const res = await sql`UPDATE agenda_jobs SET next_run_at = now() WHERE name LIKE ${names} AND locked_at IS NULL`.execute(deps.db);
  return Number(res.numAffectedRows ?? 0);
}

/**
 * A lane this worker turned down stays locked until Agenda has saved the run, 30 s ahead; an offer
 * made before that finds nothing to offer. Under load the save can take longer than a moment, so
 * try again while the job is still locked (a lane another worker has taken by then is locked too,
 * and the extra tries cost one UPDATE each).
 */
function offerWhenSaved(deps: Deps, lane: number, delays: number[] = [200, 1000, 3000, 10_000]): void {
  const [first, ...rest] = delays;
  if (first === undefined) return;
  setTimeout(() => {
    offerFreeLanes(deps, lane)
      .then((offered) => offered === 0 && offerWhenSaved(deps, lane, rest))
      .catch(() => {});
  }, first).unref();
}
