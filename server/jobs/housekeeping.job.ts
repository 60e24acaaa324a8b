import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import type { LaneRunner } from '../delivery/lane-runner.ts';
import { purgeExpiredDedupeKeys } from '../ingest/dedupe.ts';
import { pruneExecutions } from '../transformations/transformations.service.ts';
import { pruneMockRequests } from '../gateway/mock-api.service.ts';
import { pruneLog } from './prune-log.job.ts';

const ORPHAN_AFTER_MS = 30_000;

/**
 * Prunes what has expired, and nudges lanes that let due events wait: this worker's own are poked
 * (a lost wake-up). Every lane has a live owner within a second (lane-coordinator.ts), so a lane run
 * elsewhere is only reported: its worker is busy, or hung with its database session still open.
 */
export async function housekeeping(deps: Deps, runners: Map<number, LaneRunner>): Promise<void> {
  const { db, config, log } = deps;
  await db.deleteFrom('sessions').where('expires_at', '<', new Date()).execute();
  // Mailed links nobody opened (anyone may ask for a reset link for any address).
  await db.deleteFrom('email_tokens').where('expires_at', '<', new Date()).execute();
  await db.deleteFrom('oauth_states').where('expires_at', '<', new Date()).execute();
  // Publish idempotency keys answer for 24 h; after that they only take space. In batches, and the
  // age is checked again on each row, so a key just taken over for a new publish is kept.
  await sql`DELETE FROM publish_keys WHERE created_at < now() - interval '24 hours' AND (workspace_id, idempotency_key) IN (
              SELECT workspace_id, idempotency_key FROM publish_keys WHERE created_at < now() - interval '24 hours' LIMIT 10000)`.execute(db);
  await purgeExpiredDedupeKeys(db);
  await pruneExecutions(deps);
  await pruneMockRequests(db);
  // Events from a time with more lanes than now must land in a lane that still runs.
  await sql`UPDATE events SET lane = lane % ${config.deliveryLanes}
            WHERE lane >= ${config.deliveryLanes} AND status IN ('QUEUED', 'SCHEDULED', 'HOLD')`.execute(db);
  const { rows } = await sql<{ lane: number; n: number }>`
    SELECT lane, count(*)::int AS n FROM events
    WHERE status IN ('QUEUED', 'SCHEDULED') AND next_attempt_at < now() - make_interval(secs => ${ORPHAN_AFTER_MS / 1000})
      AND (lease_until IS NULL OR lease_until < now())
      -- A paused destination's events wait by design (its circuit is open), not for a busy or hung worker.
      AND destination_id NOT IN (SELECT id FROM destinations WHERE circuit_opened_at IS NOT NULL)
    GROUP BY lane`.execute(db);
  const elsewhere: { lane: number; overdue: number }[] = [];
  for (const { lane, n } of rows) {
    const runner = runners.get(lane);
    if (runner) runner.poke();
    else elsewhere.push({ lane, overdue: n });
  }
  if (elsewhere.length > 0) log.warn({ lanes: elsewhere }, 'due events wait in lanes run by other workers (busy, or hung)');
  // Last: it takes up to its time budget (prune-log.job.ts), and the nudges above should not wait for it.
  await pruneLog(deps);
}
