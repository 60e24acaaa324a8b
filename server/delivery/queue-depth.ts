import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';

/** Due events read per lane at most: a backlog of millions costs a scrape no more than this. */
export const QUEUE_READ_CAP = 10_000;

export type LaneQueue = {
  lane: number;
  /** Due and not being delivered (no live lease), up to QUEUE_READ_CAP. */
  waiting: number;
  /** Due and leased: a worker is delivering them. */
  inFlight: number;
  /** How long the oldest waiting one has been due (s); 0 when none waits. */
  oldestDueSeconds: number;
};

/**
 * Each lane's due events, for /metrics: one statement, a bounded walk of the lane's due index
 * (events_due_by_destination_idx: lane, then destination) per lane. Past QUEUE_READ_CAP due events
 * in a lane, `waiting` and `inFlight` count those read and `oldestDueSeconds` is the oldest among
 * them (the lane's destinations that sort first), so it may understate a backlog that large.
 */
export async function laneQueues(db: Kysely<DB>, lanes: number): Promise<LaneQueue[]> {
  const { rows } = await sql<{ lane: number; waiting: number; in_flight: number; oldest_s: number | null }>`
    SELECT l.lane, d.waiting, d.in_flight, d.oldest_s
    FROM generate_series(0, ${lanes - 1}::int) AS l(lane)
    CROSS JOIN LATERAL (
      SELECT count(*) FILTER (WHERE NOT s.leased)::int AS waiting,
             count(*) FILTER (WHERE s.leased)::int AS in_flight,
             EXTRACT(EPOCH FROM now() - min(s.next_attempt_at) FILTER (WHERE NOT s.leased))::float8 AS oldest_s
      FROM (
        SELECT e.next_attempt_at, COALESCE(e.lease_until > now(), false) AS leased
        FROM events e
        WHERE e.lane = l.lane AND e.status IN ('QUEUED', 'SCHEDULED') AND e.next_attempt_at <= now()
        LIMIT ${QUEUE_READ_CAP}
      ) s
    ) d
    ORDER BY l.lane`.execute(db);
  return rows.map((r) => ({ lane: r.lane, waiting: r.waiting, inFlight: r.in_flight, oldestDueSeconds: Math.max(0, r.oldest_s ?? 0) }));
}
