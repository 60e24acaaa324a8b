import { type Kysely, sql } from 'kysely';
import { idFloor } from '../core/ids.ts';
import type { DB } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { retentionCutoff } from '../gateway/log-retention.ts';
import { MAX_BUCKETS } from '../gateway/metrics.service.ts';

/**
 * Deletes the log past its retention (log-retention.ts), a request at a time with everything that
 * hangs off it: its events, their attempts, its ignored events and its body.
 *
 * Cheap at any size: ids are time-ordered (ids.ts), so "older than N days" is the id range below
 * `idFloor(cutoff)`, walked on the primary key (a team's on requests_workspace_idx, (workspace_id,
 * id)) from the oldest request up; no created_at is scanned. Bounded: a batch is one transaction of
 * at most `batchSize` requests, so no lock is held long and no transaction grows big, and a run stops
 * after `budgetMs`; the next housekeeping run goes on from where this one stopped. The events are
 * deleted row by row, not by dropping partitions: partitioning `events` made the delivery claim,
 * which reads it on every wake-up, 18 times slower on PostgreSQL (commit 03de646).
 *
 * A request is kept, whole, while any of its events is undelivered (QUEUED, SCHEDULED or HOLD: a
 * rule's retries may run for days and a disabled destination holds its events until it is enabled)
 * or was changed within the retention (a retry or replay of an old request made it live again).
 * Nothing that is being retried, replayed or delivered while a batch runs is deleted: the batch
 * locks its requests and their events first and skips any another transaction holds, and decides
 * on the rows as they are once locked.
 *
 * The per-minute counts behind the charts (`*_counts_1m`) are aggregates, kept when the rows they
 * count go (migration 023): a team keeping one day of log still sees its week on the dashboard.
 * They are pruned at a longer horizon, the longest range the metrics API draws (MAX_BUCKETS hours,
 * about 417 days), so they stop growing too.
 */

/**
 * Requests per batch and time per run; the tests and the bench change them. The embedded database
 * has one connection for everything, so its batch is smaller: a batch is a pause of its ingest and
 * deliveries (bench:retention: 5,000 requests took up to 1.2 s there on a busy machine).
 */
export const pruneTuning = { batch: 5_000, embeddedBatch: 1_000, budgetMs: 2_000, countsBatch: 10_000 };
export const batchSize = (deps: Pick<Deps, 'database'>) => (deps.database.embedded ? pruneTuning.embeddedBatch : pruneTuning.batch);

const FINAL = sql`('SUCCESSFUL', 'FAILED', 'CANCELLED')`;
const COUNTS_KEPT_MS = MAX_BUCKETS * 3_600_000;
const COUNTERS = ['event_counts_1m', 'request_counts_1m', 'ignored_counts_1m', 'attempt_counts_1m'] as const;
const LOG_TABLES = ['requests', 'events', 'attempts', 'ignored_events'] as const;

/** The hub's log, or one team's with a shorter retention. */
export type PruneScope = { workspaceId: string | null; cutoff: Date };
export type PruneCounts = { requests: number; events: number; attempts: number; ignored: number };
export type BatchResult = PruneCounts & { seen: number; last: string | null };
/** `longestBatchMs`: the longest batch transaction; `vacuumMs`: the embedded database's vacuum after the batches. */
export type PruneReport = PruneCounts & { batches: number; longestBatchMs: number; counts: number; vacuumed: string[]; vacuumMs: number };

/**
 * Where each scope's pass has got to, per database (one process may run several hubs: the tests).
 * A pass ends at the cutoff; the next starts again from the oldest request, so one kept for an
 * undelivered event is looked at again once per pass.
 */
const cursors = new WeakMap<Kysely<DB>, Map<string, string>>();

/**
 * The batch's requests, oldest first, locked; one another transaction holds (a replay) is left for
 * the next pass. A request with an event still live (undelivered, or changed within the retention)
 * is passed over before locking, so the pass never locks what it keeps: a delivery recording its
 * outcome there would wait for the whole batch.
 */
export function pickBatch(scope: PruneScope, after: string, limit: number) {
  const floor = idFloor('req', scope.cutoff);
  const team = scope.workspaceId === null ? sql`` : sql`workspace_id = ${scope.workspaceId} AND `;
  return sql<{ id: string }>`
    SELECT id FROM requests r WHERE ${team}id > ${after} AND id < ${floor}
      AND NOT EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id AND (e.status NOT IN ${FINAL} OR e.updated_at >= ${scope.cutoff}))
    ORDER BY id LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`;
}

/**
 * Deletes the picked requests whose every event is spent, with their rows. Run after pickBatch in
 * the same transaction: its snapshot is taken once the requests are locked, so it sees every event
 * they will ever have (a new one would need the lock). `stored` counts their events; `held` locks
 * the spent ones as they are now, skipping any another transaction holds (a retry): a request is
 * deleted only if all of its events were locked and found spent.
 */
export function deleteSpent(ids: string[], cutoff: Date) {
  return sql<PruneCounts>`
    WITH stored AS MATERIALIZED (
      SELECT e.request_id, count(*) AS n FROM events e WHERE e.request_id = ANY (${ids}::text[]) GROUP BY 1
    ), held AS MATERIALIZED (
      SELECT e.id, e.request_id FROM events e
      WHERE e.request_id = ANY (${ids}::text[]) AND e.status IN ${FINAL} AND e.updated_at < ${cutoff}
      FOR UPDATE OF e SKIP LOCKED
    ), doomed AS MATERIALIZED (
      SELECT b.id FROM unnest(${ids}::text[]) AS b(id)
      LEFT JOIN stored s ON s.request_id = b.id
      LEFT JOIN (SELECT request_id, count(*) AS n FROM held GROUP BY 1) h ON h.request_id = b.id
      WHERE COALESCE(s.n, 0) = COALESCE(h.n, 0)
    ), doomed_events AS MATERIALIZED (
      SELECT h.id FROM held h JOIN doomed d ON d.id = h.request_id
    ), attempts_gone AS (
      DELETE FROM attempts WHERE event_id = ANY (ARRAY(SELECT id FROM doomed_events)) RETURNING 1
    ), events_gone AS (
      DELETE FROM events WHERE id = ANY (ARRAY(SELECT id FROM doomed_events)) RETURNING 1
    ), ignored_gone AS (
      DELETE FROM ignored_events WHERE request_id = ANY (ARRAY(SELECT id FROM doomed)) RETURNING 1
    ), requests_gone AS (
      DELETE FROM requests WHERE id = ANY (ARRAY(SELECT id FROM doomed)) RETURNING 1
    )
    SELECT (SELECT count(*) FROM requests_gone)::int AS requests, (SELECT count(*) FROM events_gone)::int AS events,
      (SELECT count(*) FROM attempts_gone)::int AS attempts, (SELECT count(*) FROM ignored_gone)::int AS ignored`;
}

/** One batch: one transaction, whose deletes the counters do not subtract (migration 023). */
export async function pruneBatch(db: Kysely<DB>, scope: PruneScope, after: string, limit: number): Promise<BatchResult> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT set_config('wirehub.pruning', 'on', true)`.execute(trx);
    const { rows: picked } = await pickBatch(scope, after, limit).execute(trx);
    const last = picked.length ? picked[picked.length - 1].id : null;
    if (!picked.length) return { seen: 0, last, requests: 0, events: 0, attempts: 0, ignored: 0 };
    const { rows } = await deleteSpent(
      picked.map((p) => p.id),
      scope.cutoff,
    ).execute(trx);
    return { seen: picked.length, last, ...rows[0] };
  });
}

/** The hub's scope and those of the teams that keep their log fewer days. */
async function scopesAt(deps: Pick<Deps, 'db' | 'config'>, now: Date): Promise<(PruneScope & { key: string })[]> {
  const hubDays = deps.config.retentionDays;
  const teams = await deps.db.selectFrom('workspaces').select(['id', 'retention_days']).where('retention_days', '<', hubDays).execute();
  return [
    { key: 'hub', workspaceId: null, cutoff: retentionCutoff(hubDays, now) },
    // Only teams keeping fewer days than the hub are read, so their own days are the effective ones.
    ...teams.map((t) => ({ key: t.id, workspaceId: t.id, cutoff: retentionCutoff(t.retention_days as number, now) })),
  ];
}

/**
 * One housekeeping run's pruning: batches taken in turn from every scope with work left, until
 * each has finished its pass or the time budget is spent (every scope gets at least one batch);
 * then the old per-minute counts.
 */
export async function pruneLog(deps: Pick<Deps, 'db' | 'config' | 'database' | 'log'>, now: Date = new Date()): Promise<PruneReport> {
  const { db } = deps;
  const deadline = Date.now() + pruneTuning.budgetMs;
  const batch = batchSize(deps);
  let state = cursors.get(db);
  if (!state) cursors.set(db, (state = new Map()));
  const report: PruneReport = { requests: 0, events: 0, attempts: 0, ignored: 0, batches: 0, longestBatchMs: 0, counts: 0, vacuumed: [], vacuumMs: 0 };
  let open = await scopesAt(deps, now);
  for (const key of state.keys()) if (!open.some((s) => s.key === key)) state.delete(key);
  // The first round gives every scope a batch whatever the budget, so each run makes headway.
  for (let round = 0; open.length && (round === 0 || Date.now() < deadline); round++) {
    const still: typeof open = [];
    for (const scope of open) {
      if (round > 0 && Date.now() >= deadline) break;
      const started = Date.now();
      const r = await pruneBatch(db, scope, state.get(scope.key) ?? '', batch);
      report.longestBatchMs = Math.max(report.longestBatchMs, Date.now() - started);
      report.batches++;
      report.requests += r.requests;
      report.events += r.events;
      report.attempts += r.attempts;
      report.ignored += r.ignored;
      if (r.seen < batch) {
        state.delete(scope.key); // at the cutoff: the next pass starts from the oldest again
      } else {
        state.set(scope.key, r.last as string);
        still.push(scope);
      }
    }
    open = still;
  }
  if (Date.now() < deadline) report.counts = await pruneCounts(db, new Date(now.getTime() - COUNTS_KEPT_MS));
  // Within the run's budget only: a vacuum pauses the embedded database's one connection.
  if (report.requests && deps.database.embedded && Date.now() < deadline) {
    const started = Date.now();
    report.vacuumed = await vacuumEmbedded(db);
    report.vacuumMs = Date.now() - started;
  }
  if (report.requests || report.counts) deps.log.info({ ...report }, 'log pruned past its retention');
  return report;
}

/** Per-minute counts older than `before`, a slice per table and run, found team by team on their key index. */
async function pruneCounts(db: Kysely<DB>, before: Date): Promise<number> {
  let n = 0;
  for (const table of COUNTERS) {
    const r = await sql`
      DELETE FROM ${sql.table(table)} WHERE ctid = ANY (ARRAY(
        SELECT c.ctid FROM workspaces w CROSS JOIN LATERAL (
          SELECT x.ctid FROM ${sql.table(table)} x WHERE x.workspace_id = w.id AND x.minute < ${before} LIMIT ${pruneTuning.countsBatch}) c
        LIMIT ${pruneTuning.countsBatch}))`.execute(db);
    n += Number(r.numAffectedRows ?? 0);
  }
  return n;
}

/**
 * The embedded database runs no autovacuum (PGlite is one process without background workers), so
 * the space of deleted rows would never be reused and its files would only grow. After a run that
 * deleted rows, a log table is vacuumed when autovacuum would have done it on a server: when its
 * dead rows pass 50 + 20 % of its live ones (autovacuum_vacuum_threshold and _scale_factor).
 */
async function vacuumEmbedded(db: Kysely<DB>): Promise<string[]> {
  // This session's counts of the rows it just deleted reach the statistics when it next goes idle
  // (at most once a second otherwise): forced, so the read below sees them.
  await sql`SELECT pg_stat_force_next_flush()`.execute(db);
  const { rows } = await sql<{ relname: string }>`
    SELECT relname FROM pg_stat_user_tables
    WHERE schemaname = current_schema() AND relname IN (${sql.join([...LOG_TABLES])}) AND n_dead_tup > 50 + 0.2 * n_live_tup`.execute(db);
  for (const { relname } of rows) await sql`VACUUM ${sql.table(relname)}`.execute(db);
  return rows.map((r) => r.relname);
}
