import { performance } from 'node:perf_hooks';
import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { Logger } from '../core/logger.ts';
import { LOG_TABLES, dayStart, ensurePartitions, listPartitions, periodStart } from '../db/log-partitions.ts';

const DAY_MS = 86_400_000;
/** Rows per DELETE statement, and statements per table per run, of the row-by-row prunes below. */
const BATCH = 5_000;
const BATCHES = 20;

export type RetentionReport = {
  created: string[];
  dropped: string[];
  /** Time spent dropping partitions (their transactions), ms. */
  dropMs: number;
  /** Partitions past retention kept because undelivered events still need them. */
  kept: string[];
  /** Rows deleted one by one: teams with a shorter retention, and old rows outside a droppable partition. */
  deleted: number;
};

/**
 * The log is kept `retentionDays` (WIREHUB_RETENTION_DAYS). Every run:
 * 1. makes the coming weeks' partitions (log-partitions.ts);
 * 2. drops, for the four tables together, every week wholly past the hub's horizon, unless an
 *    undelivered event (waiting, scheduled or held) is in it or needs one of its requests: a
 *    rule's retries may run for 50 days and a disabled destination holds its events for good, and
 *    retention must never lose what was accepted but not yet delivered. Such a week goes once they
 *    are delivered, failed or cancelled; meanwhile its other rows are deleted as in 3;
 * 3. deletes row by row, in bounded batches, what is past a horizon but not in a droppable partition:
 *    the rows of teams that keep their log for fewer days than the hub, the rows of kept weeks,
 *    and rows that went to the default partition. Those deletes leave dead rows only in
 *    partitions that are themselves dropped later, so `events` does not bloat for good;
 * 4. deletes the per-minute counters behind the metrics with the same horizons, so they never
 *    count rows the log no longer has (a dropped partition fires no DELETE trigger).
 */
export async function applyRetention(db: Kysely<DB>, retentionDays: number, log?: Pick<Logger, 'info' | 'warn'>, now: Date = new Date()): Promise<RetentionReport> {
  const { created, skipped } = await ensurePartitions(db, now);
  if (skipped.length) log?.warn({ partitions: skipped }, 'rows dated ahead are in the default partition: their weeks stay there');
  // A team's retention is counted in whole UTC days; the hub's in weeks, as partitions are: a row
  // goes between `retentionDays` and `retentionDays + 7` days after it was made.
  const horizonOf = (days: number) => dayStart(now.getTime() - days * DAY_MS);
  const horizon = periodStart(horizonOf(retentionDays));
  const dropped: string[] = [];
  const kept: string[] = [];
  const partitions = await listPartitions(db, 'events');
  // What the database held when it was partitioned is dropped whole once all of it is past
  // retention, never deleted row by row before (that would bloat a partition about to go).
  const since = partitions.find((p) => p.from === null)?.to ?? null;
  const expired = partitions.filter((p) => p.to.getTime() <= horizon.getTime());
  let dropMs = 0;
  for (const partition of expired) {
    const suffix = partition.name.slice('events_'.length);
    if (await undelivered(db, suffix)) {
      kept.push(suffix);
      continue;
    }
    const started = performance.now();
    await db.transaction().execute(async (trx) => {
      // Dropping a partition locks its parent for a moment; never queue the ingest behind a long transaction.
      await sql`SET LOCAL lock_timeout = '5s'`.execute(trx);
      for (const table of [...LOG_TABLES].reverse()) await sql`DROP TABLE IF EXISTS ${sql.table(`${table}_${suffix}`)}`.execute(trx);
    });
    dropMs += performance.now() - started;
    dropped.push(suffix);
  }
  if (kept.length) log?.warn({ partitions: kept }, 'log partitions past retention kept: they hold undelivered events');

  let deleted = await pruneRows(db, since, horizon, null);
  const { rows: teams } = await sql<{ id: string; retention_days: number }>`
    SELECT id, retention_days FROM workspaces WHERE retention_days < ${retentionDays}`.execute(db);
  for (const team of teams) deleted += await pruneRows(db, since, horizonOf(team.retention_days), team.id);

  // The counters go where the log went: before the hub's horizon, or a shorter team's.
  for (const counters of ['event_counts_1m', 'request_counts_1m', 'ignored_counts_1m', 'attempt_counts_1m'] as const) {
    await sql`
      DELETE FROM ${sql.table(counters)} c USING workspaces w
      WHERE c.workspace_id = w.id
        AND c.minute < CASE WHEN w.retention_days < ${retentionDays}
                            THEN date_bin('1 day', ${now}::timestamptz - make_interval(days => w.retention_days), TIMESTAMPTZ 'epoch')
                            ELSE ${horizon}::timestamptz END`.execute(db);
  }
  if (dropped.length || deleted) log?.info({ dropped, deleted, created }, 'log retention applied');
  return { created, dropped, dropMs, kept, deleted };
}

const UNDELIVERED = sql`('QUEUED', 'SCHEDULED', 'HOLD')`;

/** Whether a partition of events holds an undelivered event, or one elsewhere needs a request of the same period. */
async function undelivered(db: Kysely<DB>, suffix: string): Promise<boolean> {
  const events = sql.table(`events_${suffix}`);
  const requests = sql.table(`requests_${suffix}`);
  // Each EXISTS stays on a partial index (waiting: events_due_by_destination_idx; held: events_held_idx).
  const { rows } = await sql<{ any: boolean }>`
    SELECT EXISTS (SELECT FROM ${events} WHERE status IN ('QUEUED', 'SCHEDULED'))
        OR EXISTS (SELECT FROM ${events} WHERE status = 'HOLD')
        OR EXISTS (SELECT FROM events e JOIN ${requests} r ON r.id = e.request_id WHERE e.status IN ('QUEUED', 'SCHEDULED'))
        OR EXISTS (SELECT FROM events e JOIN ${requests} r ON r.id = e.request_id WHERE e.status = 'HOLD') AS any`.execute(db);
  return rows[0]?.any ?? false;
}

/**
 * Deletes log rows created in [since, before) (of one team, or of all), keeping undelivered events
 * and the requests they need. Children first, as the cascade did: an ignored event's counter
 * trigger reads its request. Bounded per run; the next run goes on.
 */
async function pruneRows(db: Kysely<DB>, since: Date | null, before: Date, workspaceId: string | null): Promise<number> {
  const team = sql`${workspaceId === null ? sql`true` : sql`workspace_id = ${workspaceId}`} AND ${since === null ? sql`true` : sql`created_at >= ${since}`}`;
  const statements = [
    sql`DELETE FROM attempts WHERE (id, created_at) IN (
          SELECT id, created_at FROM attempts WHERE ${team} AND created_at < ${before} LIMIT ${BATCH})`,
    sql`DELETE FROM events WHERE (id, created_at) IN (
          SELECT id, created_at FROM events WHERE ${team} AND created_at < ${before} AND status NOT IN ${UNDELIVERED} LIMIT ${BATCH})`,
    sql`DELETE FROM ignored_events WHERE (id, created_at) IN (
          SELECT id, created_at FROM ignored_events WHERE ${team} AND created_at < ${before} LIMIT ${BATCH})`,
    sql`DELETE FROM requests WHERE (id, created_at) IN (
          SELECT id, created_at FROM requests WHERE ${team} AND created_at < ${before}
            AND id NOT IN (SELECT request_id FROM events WHERE status IN ('QUEUED', 'SCHEDULED')
                           UNION ALL SELECT request_id FROM events WHERE status = 'HOLD')
          LIMIT ${BATCH})`,
  ];
  let total = 0;
  for (const statement of statements) {
    for (let i = 0; i < BATCHES; i++) {
      const r = await statement.execute(db);
      const n = Number(r.numAffectedRows ?? 0);
      total += n;
      if (n < BATCH) break;
    }
  }
  return total;
}
