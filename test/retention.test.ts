import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Kysely, sql } from 'kysely';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';
import { newId } from '../server/core/ids.ts';
import { LOG_TABLES, createPartition, dayName, dayStart, ensurePartitions, periodStart } from '../server/db/log-partitions.ts';
import { migrations } from '../server/db/migrations.ts';
import { applyRetention } from '../server/jobs/retention.job.ts';

const DAY = 86_400_000;

/** One request with an event (of the given status), an attempt and an ignored event, all made at `at`. */
async function logEntry(db: Kysely<any>, workspaceId: string, at: Date, status = 'SUCCESSFUL') {
  const ids = { request: newId('req'), event: newId('evt'), attempt: newId('att'), ignored: newId('ign') };
  await sql`INSERT INTO requests (id, workspace_id, source_id, status, method, path, body, events_count, ignored_count, created_at)
            VALUES (${ids.request}, ${workspaceId}, 'src_x', 'accepted', 'POST', '/', '\\x7b7d'::bytea, 1, 1, ${at})`.execute(db);
  await sql`INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, next_attempt_at, created_at)
            VALUES (${ids.event}, ${workspaceId}, ${ids.request}, 'src_x', 'con_x', 'des_x', 0, ${status},
                    ${status === 'SCHEDULED' ? at : null}, ${at})`.execute(db);
  await sql`INSERT INTO attempts (id, workspace_id, event_id, destination_id, attempt_number, trigger, status, request_method, request_url, request_headers, duration_ms, created_at)
            VALUES (${ids.attempt}, ${workspaceId}, ${ids.event}, 'des_x', 1, 'initial', 'SUCCESSFUL', 'POST', 'http://x', '{}', 5, ${at})`.execute(db);
  await sql`INSERT INTO ignored_events (id, workspace_id, request_id, connection_id, cause, created_at)
            VALUES (${ids.ignored}, ${workspaceId}, ${ids.request}, 'con_y', 'FILTERED', ${at})`.execute(db);
  return ids;
}

async function exists(db: Kysely<any>, table: string, id: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE id = ${id}`.execute(db);
  return rows[0].n > 0;
}

async function partitionExists(db: Kysely<any>, name: string): Promise<boolean> {
  const { rows } = await sql<{ r: string | null }>`SELECT to_regclass(${name})::text AS r`.execute(db);
  return rows[0].r !== null;
}

async function counted(db: Kysely<any>, table: string, workspaceId: string, before: Date): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT coalesce(sum(n), 0)::int AS n FROM ${sql.table(table)} WHERE workspace_id = ${workspaceId} AND minute < ${before}`.execute(db);
  return rows[0].n;
}

/** The partitions (a week each) that hold `t`, made if the hub has not made them (it makes only the coming ones). */
async function makePeriod(db: Kysely<any>, t: number): Promise<Date> {
  const from = periodStart(t);
  for (const table of LOG_TABLES) {
    if (!(await partitionExists(db, `${table}_p${dayName(from)}`))) await createPartition(db, table, from);
  }
  return from;
}

describe('the log is kept WIREHUB_RETENTION_DAYS and dropped a week at a time', () => {
  let hub: TestHub;
  let db: Kysely<any>;
  beforeAll(async () => {
    hub = await startTestHub({ retentionDays: 30 });
    db = hub.deps.db;
  });
  afterAll(async () => hub?.close());

  it('drops the weeks past retention with their rows and counters, keeps recent weeks and weeks with undelivered events', async () => {
    const { teamId } = await newWorkspace(hub);
    const now = new Date();
    // Weeks wholly past 30 days, whatever the weekday: one 45 to 39 days ago, one 38 to 32 days ago.
    const old = await makePeriod(db, now.getTime() - 45 * DAY);
    const pending = await makePeriod(db, now.getTime() - 38 * DAY);
    const recent = await makePeriod(db, now.getTime() - 2 * DAY);
    const gone = await logEntry(db, teamId, new Date(old.getTime() + 3_600_000));
    const waiting = await logEntry(db, teamId, new Date(pending.getTime() + 3_600_000), 'SCHEDULED');
    const delivered = await logEntry(db, teamId, new Date(pending.getTime() + 7_200_000));
    const kept = await logEntry(db, teamId, new Date(recent.getTime() + 3_600_000));
    const horizon = periodStart(now.getTime() - 30 * DAY);
    expect(await counted(db, 'event_counts_1m', teamId, horizon)).toBe(3);

    const report = await applyRetention(db, 30, undefined, now);

    expect(report.dropped).toContain(`p${dayName(old)}`);
    expect(report.kept).toContain(`p${dayName(pending)}`);
    for (const table of LOG_TABLES) {
      expect(await partitionExists(db, `${table}_p${dayName(old)}`)).toBe(false);
      expect(await partitionExists(db, `${table}_p${dayName(recent)}`)).toBe(true);
    }
    expect(await exists(db, 'requests', gone.request)).toBe(false);
    expect(await exists(db, 'events', gone.event)).toBe(false);
    // The week with a scheduled retry stays; its delivered rows go one by one, the waiting event and its request stay.
    expect(await exists(db, 'events', waiting.event)).toBe(true);
    expect(await exists(db, 'requests', waiting.request)).toBe(true);
    expect(await exists(db, 'events', delivered.event)).toBe(false);
    expect(await exists(db, 'requests', delivered.request)).toBe(false);
    expect(await exists(db, 'attempts', delivered.attempt)).toBe(false);
    expect(await exists(db, 'ignored_events', delivered.ignored)).toBe(false);
    for (const [table, id] of [['requests', kept.request], ['events', kept.event], ['attempts', kept.attempt], ['ignored_events', kept.ignored]] as const) {
      expect(await exists(db, table, id)).toBe(true);
    }
    // The metrics forget what the log no longer holds, and keep the rest.
    for (const counters of ['event_counts_1m', 'request_counts_1m', 'ignored_counts_1m', 'attempt_counts_1m']) {
      expect(await counted(db, counters, teamId, horizon)).toBe(0);
    }
    expect(await counted(db, 'event_counts_1m', teamId, now)).toBe(1 + 0);
  });

  it('applies a team retention shorter than the hub, set by the team, and refuses one longer', async () => {
    const mine = await newWorkspace(hub);
    const other = await newWorkspace(hub);
    const long = await hub.api('patch', `/api/v1/teams/${mine.teamId}`, mine.token).send({ retention_days: 31 });
    expect(long.status).toBe(422);
    expect(long.body.error).toMatchObject({ code: 'RETENTION_TOO_LONG', details: [{ path: 'body.retention_days' }] });
    const bad = await hub.api('patch', `/api/v1/teams/${mine.teamId}`, mine.token).send({ retention_days: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('body.retention_days');
    const set = await hub.api('patch', `/api/v1/teams/${mine.teamId}`, mine.token).send({ retention_days: 5 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ retention_days: 5, effective_retention_days: 5 });
    expect((await hub.api('get', `/api/v1/teams/${other.teamId}`, other.token)).body.effective_retention_days).toBe(30);

    const now = new Date();
    const at = new Date(now.getTime() - 10 * DAY);
    await makePeriod(db, at.getTime());
    const mineOld = await logEntry(db, mine.teamId, at);
    const otherOld = await logEntry(db, other.teamId, at);
    const mineNew = await logEntry(db, mine.teamId, new Date(now.getTime() - 60_000));

    await applyRetention(db, 30, undefined, now);

    for (const [table, key] of [['requests', 'request'], ['events', 'event'], ['attempts', 'attempt'], ['ignored_events', 'ignored']] as const) {
      expect(await exists(db, table, mineOld[key])).toBe(false);
      expect(await exists(db, table, otherOld[key])).toBe(true);
      expect(await exists(db, table, mineNew[key])).toBe(true);
    }
    expect(await counted(db, 'event_counts_1m', mine.teamId, dayStart(now.getTime() - 5 * DAY))).toBe(0);
    expect(await counted(db, 'event_counts_1m', other.teamId, dayStart(now.getTime() - 5 * DAY))).toBe(1);
  });

  it('makes partitions ahead of time, and an insert dated outside every partition still lands', async () => {
    const now = new Date();
    // This week's and the next week's, at least.
    for (const t of [now.getTime(), now.getTime() + 7 * DAY]) expect(await partitionExists(db, `events_p${dayName(periodStart(t))}`)).toBe(true);
    const later = new Date(now.getTime() + 30 * DAY);
    const made = await ensurePartitions(db, later);
    expect(made.created).toContain(`attempts_p${dayName(periodStart(later))}`);
    expect(await partitionExists(db, `requests_p${dayName(periodStart(later.getTime() + 7 * DAY))}`)).toBe(true);

    const { teamId } = await newWorkspace(hub);
    const far = new Date(now.getTime() + 200 * DAY);
    const ids = await logEntry(db, teamId, far);
    const { rows } = await sql<{ p: string }>`SELECT tableoid::regclass::text AS p FROM events WHERE id = ${ids.event}`.execute(db);
    expect(rows[0].p).toMatch(/events_default$/);
    // Its day cannot get a partition while its rows are in the default one: reported, not thrown.
    const blocked = await ensurePartitions(db, far, 0);
    expect(blocked.skipped).toContain(`events_p${dayName(periodStart(far))}`);
    expect(await exists(db, 'events', ids.event)).toBe(true);
  });

  it('migrates an existing database with its rows', async () => {
    const schema = `mig_${Date.now()}`;
    class Rollback extends Error {}
    await db
      .transaction()
      .execute(async (trx) => {
        await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(trx);
        await sql`SELECT set_config('search_path', ${schema}, true)`.execute(trx);
        const names = Object.keys(migrations).sort();
        const at = names.indexOf('021_log_partitions');
        for (const name of names.slice(0, at)) await migrations[name].up(trx);
        await sql`INSERT INTO workspaces (id, name) VALUES ('tm_m', 'M')`.execute(trx);
        const old = await logEntry(trx, 'tm_m', new Date(Date.now() - 8 * DAY));
        const fresh = await logEntry(trx, 'tm_m', new Date());
        const before = await counted(trx, 'event_counts_1m', 'tm_m', new Date(Date.now() + DAY));
        await migrations['021_log_partitions'].up(trx);
        for (const ids of [old, fresh]) {
          for (const [table, key] of [['requests', 'request'], ['events', 'event'], ['attempts', 'attempt'], ['ignored_events', 'ignored']] as const) {
            expect(await exists(trx, table, ids[key])).toBe(true);
          }
        }
        const { rows } = await sql<{ p: string }>`SELECT tableoid::regclass::text AS p FROM events WHERE id = ${old.event}`.execute(trx);
        expect(rows[0].p).toMatch(/events_before_\d{8}$/);
        // Indexes and counter triggers came along, and moving the rows counted nothing twice.
        expect(await counted(trx, 'event_counts_1m', 'tm_m', new Date(Date.now() + DAY))).toBe(before);
        const again = await logEntry(trx, 'tm_m', new Date());
        expect(await counted(trx, 'event_counts_1m', 'tm_m', new Date(Date.now() + DAY))).toBe(before + 1);
        expect(await exists(trx, 'events', again.event)).toBe(true);
        const { rows: idx } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = ${schema} AND indexname = 'events_due_by_destination_idx'`.execute(trx);
        expect(idx[0].n).toBe(1);
        throw new Rollback();
      })
      .catch((err) => {
        if (!(err instanceof Rollback)) throw err;
      });
  });
});
