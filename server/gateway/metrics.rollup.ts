import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { EventFilter, RequestFilter } from './log-filters.ts';

/**
 * Reads of the per-minute counts that migration 013's triggers keep (event_counts_1m,
 * request_counts_1m, ignored_counts_1m). They hold whole minutes and only the dimensions the
 * metrics filter on most, so a chart reads them only for the whole minutes of its range, at a
 * granularity of whole minutes, with filters they can answer; the service reads the logs for the
 * rest (the partial minutes at either end, and every other query). A key may have several rows
 * (writers that meet add to different rows rather than wait): reads always sum them.
 *
 * eventCounts, requestCounts and ignoredCounts below are alike on purpose, one per counter table:
 * their columns and filters differ, and a query builder generic over the three tables would type
 * none of them.
 */

const MINUTE_MS = 60_000;
export type MinuteWindow = { from: Date; to: Date };

/**
 * The whole minutes inside `[start, end)`, when buckets of `stepSeconds` are made of whole
 * minutes (buckets are aligned to the epoch, so a 5m bucket is five 1m buckets); null when there
 * are none or the buckets are finer.
 */
export function minuteWindow(start: Date, end: Date, stepSeconds: number): MinuteWindow | null {
  if (stepSeconds % 60 !== 0) return null;
  const from = Math.ceil(start.getTime() / MINUTE_MS) * MINUTE_MS;
  const to = Math.floor(end.getTime() / MINUTE_MS) * MINUTE_MS;
  return from < to ? { from: new Date(from), to: new Date(to) } : null;
}

/** Status, source, connection and destination are counted by; a request, bulk operation or id search are not. */
export const eventsCounted = (f: EventFilter) => !f.request_id && !f.batch_operation_id && !f.q;
/** Status, verified and source are counted by; the rest (connection, retries, bulk operation, search) are not. */
export const requestsCounted = (f: RequestFilter) => !f.connection_id && !f.batch_operation_id && f.is_retry === undefined && !f.retry_kind && !f.q;

/**
 * The bucket of `column`: buckets aligned to the epoch. The logs and the per-minute counts must bin
 * alike, since a series sums their parts per bucket.
 */
export const bucketOf = (stepSeconds: number, column: string) => sql`date_bin(make_interval(secs => ${stepSeconds}), ${sql.ref(column)}, TIMESTAMPTZ 'epoch')`;
const binned = (stepSeconds: number) => bucketOf(stepSeconds, 'minute');

/** Per bucket: count, delivered_count, failed_count, waiting_count (QUEUED or SCHEDULED), as the raw event query's columns. */
export function eventCounts(db: Kysely<DB>, ws: string, f: EventFilter, w: MinuteWindow, stepSeconds: number) {
  let q = db
    .selectFrom('event_counts_1m')
    .select([
      binned(stepSeconds).as('time'),
      sql<number>`sum(n)`.as('count'),
      sql<number>`sum(n) FILTER (WHERE status = 'SUCCESSFUL')`.as('delivered_count'),
      sql<number>`sum(n) FILTER (WHERE status = 'FAILED')`.as('failed_count'),
      sql<number>`sum(n) FILTER (WHERE status IN ('QUEUED', 'SCHEDULED'))`.as('waiting_count'),
    ])
    .where('workspace_id', '=', ws)
    .where('minute', '>=', w.from)
    .where('minute', '<', w.to);
  if (f.status) q = f.status.length ? q.where('status', 'in', f.status) : q.where(sql<boolean>`false`);
  if (f.source_id) q = q.where('source_id', '=', f.source_id);
  if (f.connection_id) q = q.where('connection_id', '=', f.connection_id);
  if (f.destination_id) q = q.where('destination_id', '=', f.destination_id);
  return q.groupBy(sql`1`);
}

/** Per bucket: count, accepted_count, rejected_count. */
export function requestCounts(db: Kysely<DB>, ws: string, f: RequestFilter, w: MinuteWindow, stepSeconds: number) {
  let q = db
    .selectFrom('request_counts_1m')
    .select([
      binned(stepSeconds).as('time'),
      sql<number>`sum(n)`.as('count'),
      sql<number>`sum(n) FILTER (WHERE status = 'accepted')`.as('accepted_count'),
      sql<number>`sum(n) FILTER (WHERE status = 'rejected')`.as('rejected_count'),
    ])
    .where('workspace_id', '=', ws)
    .where('minute', '>=', w.from)
    .where('minute', '<', w.to);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.verified !== undefined) q = q.where('verified', '=', f.verified);
  if (f.source_id) q = q.where('source_id', '=', f.source_id);
  return q.groupBy(sql`1`);
}

/** An ignored event's destination is its connection's as it is now: the counts and the logs both read it so. */
export const connectionsTo = (db: Kysely<DB>, ws: string, destination: string) =>
  db.selectFrom('connections').select('connections.id').where('connections.workspace_id', '=', ws).where('connections.destination_id', '=', destination);

/**
 * Per bucket: ignored_count. As in the log query, the destination is the connection's as it is
 * now, and the source is the request's (kept in the counts).
 */
export function ignoredCounts(db: Kysely<DB>, ws: string, f: EventFilter, w: MinuteWindow, stepSeconds: number, statusAllows: boolean) {
  let q = db
    .selectFrom('ignored_counts_1m')
    .select([binned(stepSeconds).as('time'), sql<number>`sum(n)`.as('ignored_count')])
    .where('workspace_id', '=', ws)
    .where('minute', '>=', w.from)
    .where('minute', '<', w.to);
  if (!statusAllows) q = q.where(sql<boolean>`false`);
  if (f.connection_id) q = q.where('connection_id', '=', f.connection_id);
  if (f.source_id) q = q.where('source_id', '=', f.source_id);
  if (f.destination_id) q = q.where('connection_id', 'in', connectionsTo(db, ws, f.destination_id));
  return q.groupBy(sql`1`);
}
