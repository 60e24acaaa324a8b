/**
 * What the metrics histograms cost over a busy day: `npm run bench:metrics` (PostgreSQL only:
 * DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:metrics).
 *
 * Makes a fresh database `wirehub_bench_metrics_*` (dropped at the end), starts Wirehub on it
 * (API only: nothing is delivered), signs up, creates 2 sources, 2 destinations and 4 connections
 * through the API, then writes one day of traffic straight into the tables with
 * INSERT … SELECT generate_series: 500,000 accepted and 10,000 rejected requests, 1,000,000 events
 * (2 per accepted request, one to each destination; 90 % SUCCESSFUL, 5 % FAILED, 3 % QUEUED,
 * 1 % SCHEDULED, 1 % HOLD) and 50,000 ignored events, spread evenly over 24 h, plus 200,000 events
 * of another workspace in the same hours. VACUUM ANALYZE, as autovacuum would after such a load.
 *
 * Then times GET /api/v1/metrics/{requests,events} over the whole day at 1m (1,440 buckets, every
 * measure) through HTTP, with and without a connection filter: one warm-up and BENCH_RUNS runs
 * each, p50 and max. Last, EXPLAIN (ANALYZE, BUFFERS) of each query as the service builds it, so
 * the indexes it uses are in the printout.
 *
 * Knobs (env): BENCH_RUNS=15  BENCH_EVENTS=1000000  BENCH_REQUESTS_BY_CONNECTION=1
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../server/config.ts';
import { startWirehub } from '../server/app.ts';
import { createLogger } from '../server/core/logger.ts';
import type { DB } from '../server/db/schema.ts';
import { EventMetricsQuery, metricsService, RequestMetricsQuery } from '../server/gateway/metrics.service.ts';

const server = process.env.DATABASE_URL;
if (!server) {
  console.error('bench:metrics measures PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).');
  process.exit(2);
}
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const REQUESTS = EVENTS / 2;
const DAY_START = new Date(Date.UTC(2026, 10, 1));
const DAY_END = new Date(DAY_START.getTime() + 86_400_000);

const name = `wirehub_bench_metrics_${Date.now()}`;
const admin = new pg.Client({ connectionString: server });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(server);
url.pathname = `/${name}`;

const hub = await startWirehub(loadConfig({ PORT: '0', DATABASE_URL: url.toString(), WIREHUB_ROLE: 'api', WIREHUB_DATA_DIR: `/tmp/${name}` }), createLogger('warn'));
const pool = hub.deps.database.pool;

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${hub.url}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

try {
  // --- set-up through the API ---------------------------------------------------------------
  const signup = await call('post', '/auth/signup', undefined, { email: 'bench@example.test', password: 'a long bench password', name: 'Bench', workspace: 'Bench' });
  const key = (await call('post', '/api-keys', signup.token as string, { name: 'bench', scopes: ['read', 'write'] })).key as string;
  const ws = (signup.team as { id: string }).id;
  const src = [(await call('post', '/sources', key, { name: 'shop' })).id as string, (await call('post', '/sources', key, { name: 'crm' })).id as string];
  const des = [
    (await call('post', '/destinations', key, { name: 'a', config: { url: 'https://example.com/a' } })).id as string,
    (await call('post', '/destinations', key, { name: 'b', config: { url: 'https://example.com/b' } })).id as string,
  ];
  // Connection (source s, destination d) is con[s * 2 + d].
  const con: string[] = [];
  for (const s of [0, 1]) for (const d of [0, 1]) con.push((await call('post', '/connections', key, { name: `c${s}${d}`, source_id: src[s], destination_id: des[d] })).id as string);
  const otherWs = ((await call('post', '/auth/signup', undefined, { email: 'other@example.test', password: 'a long bench password', name: 'Other', workspace: 'Other' })).team as { id: string }).id;

  // --- one day of traffic, written in bulk ----------------------------------------------------
  const t = performance.now();
  const day = [DAY_START.toISOString(), REQUESTS, ws, src[0], src[1]];
  await pool.query(
    `INSERT INTO requests (id, workspace_id, source_id, status, verified, method, path, content_type, body, events_count, created_at)
     SELECT 'req_' || lpad(i::text, 26, '0'), $3, CASE WHEN i % 2 = 0 THEN $4 ELSE $5 END, 'accepted', true, 'POST', '/', 'application/json', '\\x7b7d'::bytea, 2,
            $1::timestamptz + (i - 1) * (interval '86400 seconds' / $2)
     FROM generate_series(1, $2::int) AS i`,
    day,
  );
  await pool.query(
    `INSERT INTO requests (id, workspace_id, source_id, status, rejection_cause, method, path, body, created_at)
     SELECT 'req_r' || lpad(i::text, 25, '0'), $3, CASE WHEN i % 2 = 0 THEN $4 ELSE $5 END, 'rejected', 'VERIFICATION_FAILED', 'POST', '/', '\\x'::bytea,
            $1::timestamptz + (i - 1) * (interval '86400 seconds' / $2)
     FROM generate_series(1, $2::int / 50) AS i`,
    day,
  );
  // Event j belongs to request ceil(j/2) (its source) and goes to destination j % 2.
  await pool.query(
    `INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, attempts, next_attempt_at, created_at, updated_at)
     SELECT 'evt_' || lpad(j::text, 26, '0'), $3, 'req_' || lpad(((j + 1) / 2)::text, 26, '0'),
            CASE WHEN ((j + 1) / 2) % 2 = 0 THEN $4 ELSE $5 END,
            (ARRAY[$6, $7, $8, $9])[(CASE WHEN ((j + 1) / 2) % 2 = 0 THEN 0 ELSE 2 END) + j % 2 + 1],
            (ARRAY[$10, $11])[j % 2 + 1], j % 4,
            CASE WHEN j % 100 < 90 THEN 'SUCCESSFUL' WHEN j % 100 < 95 THEN 'FAILED' WHEN j % 100 < 98 THEN 'QUEUED' WHEN j % 100 < 99 THEN 'SCHEDULED' ELSE 'HOLD' END,
            1, CASE WHEN j % 100 BETWEEN 95 AND 98 THEN now() + interval '1 day' END,
            $1::timestamptz + (((j + 1) / 2) - 1) * (interval '86400 seconds' / $2), now()
     FROM generate_series(1, $2::int * 2) AS j`,
    [...day, ...con, ...des],
  );
  await pool.query(
    `INSERT INTO ignored_events (id, workspace_id, request_id, connection_id, cause, created_at)
     SELECT 'ign_' || lpad(i::text, 26, '0'), $3, 'req_' || lpad((i * 10)::text, 26, '0'), $4, 'FILTERED',
            $1::timestamptz + (i * 10 - 1) * (interval '86400 seconds' / $2)
     FROM generate_series(1, $2::int / 10) AS i`,
    [DAY_START.toISOString(), REQUESTS, ws, con[0]],
  );
  // Another workspace's traffic in the same hours: the queries must not read it.
  await pool.query(
    `INSERT INTO requests (id, workspace_id, source_id, status, method, path, body, created_at)
     SELECT 'req_o' || lpad(i::text, 25, '0'), $2, 'src_other', 'accepted', 'POST', '/', '\\x'::bytea, $1::timestamptz + i * interval '432 milliseconds'
     FROM generate_series(1, 200000) AS i`,
    [DAY_START.toISOString(), otherWs],
  );
  await pool.query(
    `INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, created_at)
     SELECT 'evt_o' || lpad(i::text, 25, '0'), $2, 'req_o' || lpad(i::text, 25, '0'), 'src_other', 'web_other', 'des_other', 0, 'SUCCESSFUL', $1::timestamptz + i * interval '432 milliseconds'
     FROM generate_series(1, 200000) AS i`,
    [DAY_START.toISOString(), otherWs],
  );
  const loaded = performance.now() - t;
  await pool.query('VACUUM ANALYZE requests, events, ignored_events');
  const counts = (await pool.query(`SELECT (SELECT count(*) FROM events WHERE workspace_id = $1) AS events, (SELECT count(*) FROM requests WHERE workspace_id = $1) AS requests, (SELECT count(*) FROM ignored_events) AS ignored`, [ws])).rows[0];
  const version = (await pool.query('SHOW server_version')).rows[0].server_version;
  console.log(`PostgreSQL ${version}; loaded ${counts.events} events, ${counts.requests} requests, ${counts.ignored} ignored events in one workspace (+200,000 events elsewhere) in ${(loaded / 1000).toFixed(1)} s, then VACUUM ANALYZE`);

  // --- timings through HTTP -----------------------------------------------------------------
  const range = `date_range[start]=${DAY_START.toISOString()}&date_range[end]=${DAY_END.toISOString()}&granularity=1m`;
  const cases = [
    { name: 'requests, 24 h at 1m, every measure', path: `/metrics/requests?${range}` },
    // Requests by connection take minutes here (see bench/results-metrics.md): opt in with BENCH_REQUESTS_BY_CONNECTION=1.
    ...(process.env.BENCH_REQUESTS_BY_CONNECTION ? [{ name: `requests, 24 h at 1m, connection_id`, path: `/metrics/requests?${range}&connection_id=${con[0]}` }] : []),
    { name: 'events, 24 h at 1m, every measure', path: `/metrics/events?${range}` },
    { name: `events, 24 h at 1m, connection_id`, path: `/metrics/events?${range}&connection_id=${con[0]}` },
    { name: `events, 24 h at 1m, destination_id + status=failed`, path: `/metrics/events?${range}&destination_id=${des[1]}&status=failed` },
  ];
  console.log(`\n${RUNS} runs each after one warm-up, GET over HTTP on 127.0.0.1 (ms):`);
  console.log('| query | buckets | sum of count | p50 | max |\n|---|---|---|---|---|');
  for (const c of cases) {
    const times: number[] = [];
    let body: { data: { count?: number; ignored_count?: number }[] } | null = null;
    for (let i = 0; i <= RUNS; i++) {
      const start = performance.now();
      body = (await call('get', c.path, key)) as unknown as typeof body;
      if (i > 0) times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const total = body!.data.reduce((n, d) => n + (d.count ?? 0), 0);
    console.log(`| ${c.name} | ${body!.data.length} | ${total} | ${times[Math.floor(times.length / 2)].toFixed(1)} | ${times[times.length - 1].toFixed(1)} |`);
  }

  // --- the plans ------------------------------------------------------------------------------
  const captured: CompiledQuery[] = [];
  const spy = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: (e) => void captured.push(e.query) });
  const metrics = metricsService(spy);
  const params = (extra: Record<string, string> = {}) => ({ 'date_range[start]': DAY_START.toISOString(), 'date_range[end]': DAY_END.toISOString(), granularity: '1m', ...extra });
  await metrics.requests(ws, RequestMetricsQuery.parse(params()));
  await metrics.events(ws, EventMetricsQuery.parse(params()), undefined);
  await metrics.events(ws, EventMetricsQuery.parse(params({ connection_id: con[0] })), undefined);
  const labels = ['requests', 'events', 'events, connection_id'];
  for (const [i, q] of captured.entries()) {
    const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.sql}`, q.parameters as unknown[]);
    console.log(`\n--- EXPLAIN ANALYZE: ${labels[i]}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
  }
} finally {
  await hub.close();
  fs.rmSync(`/tmp/${name}`, { recursive: true, force: true });
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
