/**
 * What the log's retention costs at scale: `npm run bench:retention` (PostgreSQL:
 * DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:retention).
 *
 * Makes a fresh database `wirehub_bench_retention_*` (dropped at the end unless BENCH_KEEP_DB=1),
 * starts Wirehub on it (API only), signs up, creates a source, two destinations and two
 * connections through the API, makes the partitions of BENCH_DAYS days back from today and fills them
 * with INSERT … SELECT generate_series: BENCH_EVENTS events (one request per two events, an
 * attempt per two events, an ignored event per ten requests), spread evenly over the days; the
 * counter triggers are off while loading (they are timed by bench:metrics). BENCH_WAITING events of
 * today are due, for the claim. VACUUM ANALYZE. Then:
 *
 * 1. the claim (DeliveryEngine.claim of 50 on lane 0, each run leases other events) and the
 *    log pages (GET /events, GET /requests, GET /events?status=FAILED): BENCH_RUNS timed runs
 *    each, p50 and max, and EXPLAIN (ANALYZE, BUFFERS) of the SQL they sent (captured from the pg
 *    client), so the partitions each one reads are in the printout (planning time included);
 * 2. dropping the oldest partition (a week) of the four tables (applyRetention with a retention
 *    that makes exactly that one expire): the whole run, and the rows it took with it.
 *
 * To see what the number of partitions costs, run it with BENCH_DAYS=1 and BENCH_DAYS=35 (same
 * BENCH_EVENTS), alternately; BENCH_PARTITION_DAYS is not a knob: PARTITION_DAYS is in log-partitions.ts.
 *
 * Knobs (env): BENCH_EVENTS=2000000  BENCH_DAYS=35  BENCH_WAITING=5000  BENCH_RUNS=15  BENCH_KEEP_DB=1
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadConfig } from '../server/config.ts';
import { startWirehub } from '../server/app.ts';
import { createLogger } from '../server/core/logger.ts';
import { DeliveryEngine } from '../server/delivery/delivery-engine.ts';
import { LOG_TABLES, PARTITION_DAYS, createPartition, dayStart, listPartitions, periodStart } from '../server/db/log-partitions.ts';
import { applyRetention } from '../server/jobs/retention.job.ts';
import { api, dropDatabase, envNumber, freshDatabase } from './harness.ts';

const server = process.env.DATABASE_URL;
if (!server) {
  console.error('bench:retention measures PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).');
  process.exit(2);
}
const EVENTS = Math.round(envNumber('BENCH_EVENTS', 2_000_000));
const DAYS = Math.round(envNumber('BENCH_DAYS', 35));
const WAITING = Math.round(envNumber('BENCH_WAITING', 5_000));
const RUNS = Math.round(envNumber('BENCH_RUNS', 15));
const DAY = 86_400_000;

const { name, url, version } = await freshDatabase(server, 'wirehub_bench_retention');
const hub = await startWirehub(loadConfig({ PORT: '0', DATABASE_URL: url, WIREHUB_ROLE: 'api', WIREHUB_DATA_DIR: `/tmp/${name}` }), createLogger('warn'));
const pool = hub.deps.database.pool;
const db = hub.deps.db;
const call = (method: string, path: string, token?: string, body?: unknown) => api<Record<string, unknown>>(hub.url, method, path, token ?? null, body);

/** The SQL a piece of the app sends, as the pg client receives it, to EXPLAIN it afterwards. */
const captured: { text: string; values: unknown[] }[] = [];
let capturing = false;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (capturing && typeof args[0] === 'string') captured.push({ text: args[0], values: (args[1] as unknown[]) ?? [] });
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

async function explain(label: string, q: { text: string; values: unknown[] }) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.text}`, q.values);
    await client.query('ROLLBACK');
    const plan = rows.map((r) => r['QUERY PLAN'] as string);
    const scanned = new Set(plan.flatMap((l) => [...l.matchAll(/on ((?:events|requests|attempts|ignored_events)_(?:p\d{8}|default|before_\d{8}))/g)].map((m) => m[1])));
    console.log(`\n--- ${label}: partitions read ${scanned.size} (${[...scanned].slice(0, 6).join(', ')}${scanned.size > 6 ? ', …' : ''})`);
    for (const line of plan) console.log(`    ${line}`);
  } finally {
    client.release();
  }
}

async function timed(label: string, runs: number, fn: () => Promise<unknown>) {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} p50 ${ms[Math.floor(ms.length / 2)].toFixed(1).padStart(7)} ms   max ${ms[ms.length - 1].toFixed(1).padStart(7)} ms   (${runs} runs)`);
}

try {
  const signup = await call('post', '/auth/signup', undefined, { email: 'bench@example.test', password: 'a long bench password', name: 'Bench', workspace: 'Bench' });
  const key = (await call('post', '/api-keys', signup.token as string, { name: 'bench', scopes: ['read', 'write'] })).key as string;
  const ws = (signup.team as { id: string }).id;
  const src = (await call('post', '/sources', key, { name: 'shop' })).id as string;
  const des = [
    (await call('post', '/destinations', key, { name: 'a', config: { url: 'https://example.com/a' } })).id as string,
    (await call('post', '/destinations', key, { name: 'b', config: { url: 'https://example.com/b' } })).id as string,
  ];
  const con = [
    (await call('post', '/connections', key, { name: 'ca', source_id: src, destination_id: des[0] })).id as string,
    (await call('post', '/connections', key, { name: 'cb', source_id: src, destination_id: des[1] })).id as string,
  ];

  const today = dayStart(Date.now());
  const first = new Date(today.getTime() - (DAYS - 1) * DAY);
  const have = new Set((await listPartitions(db, 'events')).map((p) => p.from?.getTime()));
  for (let from = periodStart(first); from < today; from = new Date(from.getTime() + PARTITION_DAYS * DAY)) {
    if (!have.has(from.getTime())) for (const table of LOG_TABLES) await createPartition(db, table, from);
  }
  for (const table of LOG_TABLES) await pool.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
  const t0 = performance.now();
  const REQUESTS = EVENTS / 2;
  // Request i is made at first + i * span / REQUESTS (the span ends an hour ago); its events are 2i-1 and 2i.
  const span = `((${DAYS - 1} * 86400 + extract(epoch FROM now() - $1::timestamptz) - 3600) * interval '1 second' / ${REQUESTS})`;
  const at = (i: string) => `$1::timestamptz + (${i}) * ${span}`;
  const ids = (prefix: string, i: string) => `'${prefix}_' || lpad((${i})::text, 26, '0')`;
  await pool.query(
    `INSERT INTO requests (id, workspace_id, source_id, status, verified, method, path, content_type, body, events_count, summary, created_at)
     SELECT ${ids('req', 'i')}, $2, $3, 'accepted', true, 'POST', '/', 'application/json', convert_to('{"order":' || i || ',"total":42.5}', 'UTF8'), 2, 'order ' || i, ${at('i')}
     FROM generate_series(1, ${REQUESTS}) AS i`,
    [first.toISOString(), ws, src],
  );
  await pool.query(
    `INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, attempts, successful_at, created_at, updated_at)
     SELECT ${ids('evt', 'j')}, $2, ${ids('req', '(j + 1) / 2')}, $3, (ARRAY[$4, $5])[j % 2 + 1], (ARRAY[$6, $7])[j % 2 + 1], j % 4,
            CASE WHEN j % 50 = 0 THEN 'FAILED' ELSE 'SUCCESSFUL' END, 1, ${at('(j + 1) / 2')}, ${at('(j + 1) / 2')}, ${at('(j + 1) / 2')}
     FROM generate_series(1, ${EVENTS}) AS j`,
    [first.toISOString(), ws, src, con[0], con[1], des[0], des[1]],
  );
  await pool.query(
    `INSERT INTO attempts (id, workspace_id, event_id, destination_id, attempt_number, trigger, status, request_method, request_url, request_headers, response_status, duration_ms, created_at)
     SELECT ${ids('att', 'j')}, $2, ${ids('evt', 'j')}, (ARRAY[$3, $4])[j % 2 + 1], 1, 'initial', CASE WHEN j % 50 = 0 THEN 'FAILED' ELSE 'SUCCESSFUL' END,
            'POST', 'https://example.com/', '{}', 200, 40, ${at('(j + 1) / 2')}
     FROM generate_series(1, ${EVENTS}, 2) AS j`,
    [first.toISOString(), ws, des[0], des[1]],
  );
  await pool.query(
    `INSERT INTO ignored_events (id, workspace_id, request_id, connection_id, cause, created_at)
     SELECT ${ids('ign', 'i')}, $2, ${ids('req', 'i')}, $3, 'FILTERED', ${at('i')}
     FROM generate_series(10, ${REQUESTS}, 10) AS i`,
    [first.toISOString(), ws, con[0]],
  );
  // Due events of today, for the claim.
  await pool.query(
    `INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, next_attempt_at, created_at)
     SELECT ${ids('evt_w', 'j')}, $1, ${ids('req', REQUESTS + ' - j')}, $2, (ARRAY[$3, $4])[j % 2 + 1], (ARRAY[$5, $6])[j % 2 + 1], 0, 'QUEUED', now() - interval '1 minute', now() - interval '1 minute'
     FROM generate_series(1, ${WAITING}) AS j`,
    [ws, src, con[0], con[1], des[0], des[1]],
  );
  const loaded = performance.now() - t0;
  for (const table of LOG_TABLES) await pool.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  await pool.query('VACUUM ANALYZE requests, events, attempts, ignored_events');
  const sizes = (await pool.query(`SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS size, count(*)::int AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                                   WHERE i.inhparent IN ('events'::regclass, 'requests'::regclass, 'attempts'::regclass, 'ignored_events'::regclass)`)).rows[0];
  console.log(`PostgreSQL ${version}; ${EVENTS.toLocaleString('en')} events, ${REQUESTS.toLocaleString('en')} requests, ${(EVENTS / 2).toLocaleString('en')} attempts over ${DAYS} days ` +
    `(${(await listPartitions(db, 'events')).length} partitions of ${PARTITION_DAYS} days per table, ${sizes.n} partitions in all, ${sizes.size}) loaded in ${((loaded) / 1000).toFixed(1)} s, then VACUUM ANALYZE`);

  // --- 1. the claim and the log pages -----------------------------------------------------------
  const engine = new DeliveryEngine(hub.deps);
  console.log('');
  await timed('claim 50 due events on lane 0', RUNS, () => engine.claim(0, 50));
  await timed('GET /events (first page)', RUNS, () => call('get', '/events?limit=50', key));
  await timed('GET /requests (first page)', RUNS, () => call('get', '/requests?limit=50', key));
  await timed('GET /events?status=FAILED', RUNS, () => call('get', '/events?status=FAILED&limit=50', key));

  const capture = async (fn: () => Promise<unknown>) => {
    captured.length = 0;
    capturing = true;
    try {
      await fn();
    } finally {
      capturing = false;
    }
    return captured.filter((q) => /\b(events|requests|attempts)\b/.test(q.text) && /^\s*(with|select)/i.test(q.text));
  };
  const [claim] = (await capture(() => engine.claim(0, 50))).filter((q) => q.text.includes('after_cursor'));
  await explain('claim (DeliveryEngine.claim, 50 on lane 0)', claim);
  for (const [label, path] of [['GET /events', '/events?limit=50'], ['GET /requests', '/requests?limit=50'], ['GET /events?status=FAILED', '/events?status=FAILED&limit=50']]) {
    const qs = await capture(() => call('get', path, key));
    for (const [i, q] of qs.entries()) await explain(`${label} statement ${i + 1}/${qs.length}`, q);
  }

  // --- 2. dropping the oldest partition -----------------------------------------------------------------
  if (DAYS > 1) {
    const oldest = (await listPartitions(db, 'events'))[0];
    const rows = (await pool.query(`SELECT (SELECT count(*) FROM ${oldest.name})::int AS events, (SELECT count(*) FROM ${oldest.name.replace('events', 'requests')})::int AS requests`)).rows[0];
    // A retention that makes exactly the oldest partition expire.
    const days = Math.floor((Date.now() - oldest.to.getTime()) / DAY);
    const t = performance.now();
    const report = await applyRetention(db, days, undefined);
    const ms = performance.now() - t;
    console.log(`\ndropping the oldest partition (${oldest.name}: ${rows.events.toLocaleString('en')} events, ${rows.requests.toLocaleString('en')} requests and their attempts and ignored events): ` +
      `the DROP transaction ${report.dropMs.toFixed(0)} ms, the whole applyRetention run ${ms.toFixed(0)} ms (dropped ${report.dropped.join(', ')}; kept ${report.kept.length}; rows deleted one by one ${report.deleted})`);
    const t2 = performance.now();
    const again = await applyRetention(db, days, undefined);
    console.log(`a run with nothing to drop: ${(performance.now() - t2).toFixed(0)} ms (dropped ${again.dropped.length})`);
  }
} finally {
  pg.Client.prototype.query = query;
  await hub.close();
  if (!process.env.BENCH_KEEP_DB) await dropDatabase(server, name);
}
