/**
 * What pruning the log past its retention costs: `npm run bench:retention` (embedded PGlite), or
 * `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:retention` (PostgreSQL).
 *
 * Set-up, with Wirehub in this process (role api: no housekeeping of its own, WIREHUB_RETENTION_DAYS
 * 30): a fresh database `wirehub_bench_retention_*` (dropped at the end) or the embedded one in a
 * temporary data dir; sign-up, an API key, a source, a destination and a connection through the API.
 * Then, with INSERT … SELECT generate_series in slices of 20,000 (the counters' triggers on, as in
 * production), BENCH_RETENTION_N requests from 40 to 31 days ago, each with an event and its attempt
 * (every 50th FAILED, every 200th HOLD: undelivered, so kept), every 10th with an ignored event; and
 * a tenth as many requests of the last 29 days, which stay. Their ids are time-ordered like newId's
 * (ids.ts): the pruning finds "older than 30 days" as an id range. VACUUM ANALYZE.
 *
 * Then:
 * 1. EXPLAIN (ANALYZE, BUFFERS) of a batch's two statements (prune-log.job.ts): picking a batch
 *    (5,000 requests; 1,000 on the embedded database) on the primary key (and a team's pick, on requests_workspace_idx), and deleting the
 *    spent ones with their events, attempts and ignored events; in a transaction rolled back;
 * 2. housekeeping's pruning (pruneLog, a batch at a time, 2 s a run) run after run until a run
 *    deletes nothing: rows deleted per second, the longest batch (one transaction: pick + delete),
 *    the embedded database's vacuum, and the log tables' size before and after.
 *
 * Knobs (env): BENCH_RETENTION_N=200000  BENCH_KEEP_DB=1 (keep the PostgreSQL database)
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startWirehub } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/core/logger.ts';
import { batchSize, deleteSpent, pickBatch, pruneLog, pruneTuning, type PruneScope } from '../server/jobs/prune-log.job.ts';
import { retentionCutoff } from '../server/gateway/log-retention.ts';
import { api, dropDatabase, envNumber, freshDatabase } from './harness.ts';

const N = Math.round(envNumber('BENCH_RETENTION_N', 200_000));
const RECENT = Math.max(1, Math.round(N / 10));
const DAY = 86_400_000;
const SLICE = 20_000;
const int = (v: number) => Math.round(v).toLocaleString('en-US');
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const serverUrl = process.env.DATABASE_URL || null;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-bench-retention-'));
let dbName: string | null = null;
let databaseUrl = '';
let dbLabel = 'embedded PGlite';
if (serverUrl) {
  const fresh = await freshDatabase(serverUrl, 'wirehub_bench_retention');
  dbName = fresh.name;
  databaseUrl = fresh.url;
  dbLabel = `PostgreSQL ${fresh.version}`;
}
const hub = await startWirehub(
  loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    WIREHUB_DATA_DIR: dataDir,
    WIREHUB_ROLE: 'api',
    WIREHUB_RETENTION_DAYS: '30',
    WIREHUB_API_RATE_LIMIT: '1000000',
    WIREHUB_SECRET_KEY: randomBytes(32).toString('hex'),
  }),
  createLogger('warn'),
);
const pool = hub.deps.database.pool;

try {
  console.log(`machine: ${os.cpus().length} cores, load average ${load()} (shared: other work skews every figure); database: ${dbLabel}`);
  const base = hub.url;
  const signup = await api<{ token: string; team: { id: string } }>(base, 'POST', '/auth/signup', null, {
    email: `bench${Date.now()}@example.test`,
    password: 'correct horse battery staple',
    name: 'Bench',
    workspace: 'Bench Co',
  });
  const key = (await api<{ key: string }>(base, 'POST', '/api-keys', signup.token, { name: 'bench', scopes: ['read', 'write'] })).key;
  const ws = signup.team.id;
  const source = (await api<{ id: string }>(base, 'POST', '/sources', key, { name: 'shop' })).id;
  const destination = (await api<{ id: string }>(base, 'POST', '/destinations', key, { name: 'crm', config: { url: 'https://crm.example.com/hook' } })).id;
  const connection = (await api<{ id: string }>(base, 'POST', '/connections', key, { name: 'shop-crm', source_id: source, destination_id: destination })).id;

  // --- seed -----------------------------------------------------------------------------------
  // newId's time part (ids.ts) in SQL: 10 Crockford base32 digits of the millisecond; the row
  // number, zero-padded, stands for the random part.
  await pool.query(`CREATE FUNCTION bench_id_time(ms bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(substr('0123456789abcdefghjkmnpqrstvwxyz', ((ms >> (5 * (9 - k))) & 31)::int + 1, 1), '' ORDER BY k) FROM generate_series(0, 9) AS k $$`);
  /** Rows first..last of `count` spread evenly over [startMs, startMs + spanMs); `offset` keeps two seeds' ids apart. */
  async function seed(first: number, last: number, count: number, startMs: number, spanMs: number, offset: number) {
    const rows = `FROM (SELECT i, ${startMs}::bigint + (i - 1)::bigint * ${spanMs}::bigint / ${count} AS ms FROM generate_series(${first}, ${last}) AS i) AS s`;
    const id = (prefix: string) => `'${prefix}_' || bench_id_time(ms) || lpad((i + ${offset})::text, 16, '0')`;
    const at = `to_timestamp(ms / 1000.0)`;
    const status = `CASE WHEN i % 200 = 0 THEN 'HOLD' WHEN i % 50 = 0 THEN 'FAILED' ELSE 'SUCCESSFUL' END`;
    await pool.query(
      `INSERT INTO requests (id, workspace_id, source_id, status, verified, method, path, content_type, body, events_count, ignored_count, summary, event_type, created_at)
       SELECT ${id('req')}, $1, $2, 'accepted', true, 'POST', '/hooks/orders', 'application/json',
              convert_to('{"type":"order.paid","order":{"id":' || i || ',"total":42.5,"currency":"EUR","customer":{"email":"buyer' || i || '@example.com"}}}', 'UTF8'),
              1, CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END, 'order ' || i, 'order.paid', ${at} ${rows}`,
      [ws, source],
    );
    await pool.query(
      `INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, attempts, last_attempt_at, response_status, successful_at, created_at, updated_at)
       SELECT ${id('evt')}, $1, ${id('req')}, $2, $3, $4, 0, ${status}, 1, ${at}, CASE WHEN i % 50 = 0 THEN 503 ELSE 200 END,
              CASE WHEN i % 50 <> 0 THEN ${at} END, ${at}, ${at} + interval '1 second' ${rows}`,
      [ws, source, connection, destination],
    );
    await pool.query(
      `INSERT INTO attempts (id, workspace_id, event_id, destination_id, attempt_number, trigger, status, request_method, request_url, request_headers, response_status, response_body, duration_ms, created_at)
       SELECT ${id('atm')}, $1, ${id('evt')}, $2, 1, 'initial', CASE WHEN i % 50 = 0 THEN 'FAILED' ELSE 'SUCCESSFUL' END, 'POST', 'https://crm.example.com/hook',
              '{"content-type":"application/json"}', CASE WHEN i % 50 = 0 THEN 503 ELSE 200 END, '{"ok":true}', 40, ${at} ${rows}`,
      [ws, destination],
    );
    await pool.query(
      `INSERT INTO ignored_events (id, workspace_id, request_id, connection_id, cause, created_at)
       SELECT ${id('ign')}, $1, ${id('req')}, $2, 'FILTERED', ${at} ${rows} WHERE i % 10 = 0`,
      [ws, connection],
    );
  }
  const now = Date.now();
  const t0 = performance.now();
  for (let from = 1; from <= N; from += SLICE) await seed(from, Math.min(N, from + SLICE - 1), N, now - 40 * DAY, 9 * DAY, 0);
  for (let from = 1; from <= RECENT; from += SLICE) await seed(from, Math.min(RECENT, from + SLICE - 1), RECENT, now - 29 * DAY, 29 * DAY - 60_000, N);
  const seeded = performance.now() - t0;
  await pool.query('VACUUM ANALYZE requests, events, attempts, ignored_events');
  const logSize = async () =>
    (
      await pool.query<{ mb: string }>(
        `SELECT round(sum(pg_total_relation_size(c))::numeric / 1048576, 1)::text AS mb FROM unnest(ARRAY['requests', 'events', 'attempts', 'ignored_events']::regclass[]) AS c`,
      )
    ).rows[0].mb;
  const rowCount = async () =>
    (
      await pool.query<{ r: number; e: number; a: number; i: number }>(
        `SELECT (SELECT count(*) FROM requests)::int AS r, (SELECT count(*) FROM events)::int AS e, (SELECT count(*) FROM attempts)::int AS a, (SELECT count(*) FROM ignored_events)::int AS i`,
      )
    ).rows[0];
  const before = await rowCount();
  const sizeBefore = await logSize();
  console.log(
    `seeded ${int(N)} requests of 40-31 days ago and ${int(RECENT)} of the last 29 days, each with an event and an attempt, every 10th with an ignored event ` +
      `(${int(before.r + before.e + before.a + before.i)} rows, ${sizeBefore} MB with indexes) in ${(seeded / 1000).toFixed(1)} s, then VACUUM ANALYZE`,
  );

  // --- 1. the plans -------------------------------------------------------------------------------
  const cutoff = retentionCutoff(30);
  const BATCH = batchSize(hub.deps);
  const hubScope: PruneScope = { workspaceId: null, cutoff };
  const teamScope: PruneScope = { workspaceId: ws, cutoff };
  const client = await pool.connect();
  try {
    const explain = async (label: string, q: { sql: string; parameters: readonly unknown[] }) => {
      const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.sql}`, [...q.parameters]);
      console.log(`\n--- ${label}`);
      // The batch's ids are a parameter: printed as their number, not each of them.
      const short = (line: string) => line.replace(/'\{[^}]{200,}\}'::text\[\]/g, (ids) => `'{…${int(ids.split(',').length)} ids…}'::text[]`);
      for (const r of rows) console.log(`    ${short(r['QUERY PLAN'] as string)}`);
    };
    await client.query('BEGIN');
    await client.query(`SELECT set_config('wirehub.pruning', 'on', true)`);
    await explain(`pick a batch: the hub's ${int(BATCH)} oldest requests past 30 days (pickBatch)`, pickBatch(hubScope, '', BATCH).compile(hub.deps.db));
    await explain(
      "pick a batch of one team's requests (pickBatch of a team with retention_days; here every request is that team's)",
      pickBatch(teamScope, '', BATCH).compile(hub.deps.db),
    );
    const pick = pickBatch(hubScope, '', BATCH).compile(hub.deps.db);
    const picked = (await client.query<{ id: string }>(pick.sql, [...pick.parameters])).rows.map((r) => r.id);
    await explain(
      `delete the spent ones of the ${int(picked.length)} picked, with their events, attempts and ignored events (deleteSpent)`,
      deleteSpent(picked, cutoff).compile(hub.deps.db),
    );
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }

  // --- 2. pruning, run after run --------------------------------------------------------------------
  console.log(`\nload average before pruning: ${load()}`);
  const runs: Awaited<ReturnType<typeof pruneLog>>[] = [];
  const wall: number[] = [];
  for (;;) {
    const t = performance.now();
    const report = await pruneLog(hub.deps);
    wall.push(performance.now() - t);
    runs.push(report);
    if (report.requests === 0) break;
  }
  const sum = (f: (r: (typeof runs)[number]) => number) => runs.reduce((s, r) => s + f(r), 0);
  const deleted = sum((r) => r.requests + r.events + r.attempts + r.ignored);
  const vacuumMs = sum((r) => r.vacuumMs);
  const pruneMs = wall.reduce((s, w) => s + w, 0) - vacuumMs;
  const after = await rowCount();
  console.log(`load average after pruning: ${load()}`);
  console.log(
    `\npruned ${int(sum((r) => r.requests))} requests, ${int(sum((r) => r.events))} events, ${int(sum((r) => r.attempts))} attempts, ${int(sum((r) => r.ignored))} ignored events ` +
      `(${int(deleted)} rows) in ${runs.length} housekeeping runs, ${sum((r) => r.batches)} batches of up to ${int(BATCH)} requests:`,
  );
  console.log(
    `  ${int(deleted / (pruneMs / 1000))} rows/s (${int(sum((r) => r.requests) / (pruneMs / 1000))} requests/s), ${(pruneMs / 1000).toFixed(1)} s of pruning`,
  );
  console.log(
    `  longest batch (one transaction: pick + delete): ${Math.max(...runs.map((r) => r.longestBatchMs))} ms; longest run ${int(Math.max(...wall.map((w, i) => w - runs[i].vacuumMs)))} ms (budget ${pruneTuning.budgetMs} ms + the batch under way)`,
  );
  if (hub.deps.database.embedded) {
    const vacuums = runs.filter((r) => r.vacuumed.length).map((r) => `${r.vacuumed.join(', ')} in ${r.vacuumMs} ms`);
    console.log(`  embedded vacuum (no autovacuum in PGlite): ${vacuums.length ? vacuums.join('; ') : 'none'}`);
  }
  console.log(
    `  kept: ${int(after.r - RECENT)} old requests with an undelivered (HOLD) event, ${int(RECENT)} recent ones; rows left ${int(after.r + after.e + after.a + after.i)}`,
  );
  console.log(
    `  log tables with indexes: ${sizeBefore} MB before, ${await logSize()} MB after (deleted rows' space is reused by new rows once vacuumed, not returned to the file system)`,
  );
  const expectedKept = Math.floor(N / 200) + RECENT;
  if (after.r !== expectedKept) console.log(`  !! expected ${int(expectedKept)} requests left, found ${int(after.r)}`);
} finally {
  await hub.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (serverUrl && dbName && !process.env.BENCH_KEEP_DB) await dropDatabase(serverUrl, dbName);
}
