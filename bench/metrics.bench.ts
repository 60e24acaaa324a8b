/**
 * What the metrics histograms cost over a busy day: `npm run bench:metrics` (PostgreSQL only:
 * DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:metrics).
 *
 * Makes a fresh database `wirehub_bench_metrics_*` (dropped at the end unless BENCH_KEEP_DB=1),
 * starts Wirehub on it (API only: nothing is delivered), signs up, creates 2 sources, 2
 * destinations and 4 connections through the API, then writes one day of traffic straight into
 * the tables with INSERT … SELECT generate_series: 500,000 accepted and 10,000 rejected requests,
 * 1,000,000 events (2 per accepted request, one to each destination; 90 % SUCCESSFUL, 5 % FAILED,
 * 3 % QUEUED, 1 % SCHEDULED, 1 % HOLD) and 50,000 ignored events, spread evenly over 24 h, plus
 * 200,000 events of another workspace in the same hours. The per-minute counts (migration
 * 013_metrics_rollup) are kept by their triggers as these rows are written. VACUUM ANALYZE, as
 * autovacuum would after such a load. Then:
 *
 * 1. checks that the per-minute counts equal the logs' counts, and times the migration's
 *    backfill of them from the logs (in a transaction rolled back);
 * 2. times GET /api/v1/metrics/{requests,events} over the whole day at 1m (1,440 buckets, every
 *    measure) through HTTP, with and without filters, and over a day that does not start on a
 *    minute: one warm-up and BENCH_RUNS runs each, p50 and max, with the load average;
 *    Then the dashboard (GET /metrics/dashboard's service, in-process with "now" at the day's
 *    end): 24 h, 7 d and one destination;
 * 3. EXPLAIN (ANALYZE, BUFFERS) of each query as the service builds it, so the tables and
 *    indexes it reads are in the printout;
 * 4. what the triggers cost the writers: the statements the ingest writer (one transaction:
 *    requests, events, ignored events of a batch), the delivery engine's outcome write and its
 *    claim run and its attempts insert, shaped as they write them, with the triggers on and off in alternation
 *    (ALTER TABLE … ENABLE/DISABLE TRIGGER USER), BENCH_WRITE_RUNS of each, medians.
 *
 * Knobs (env): BENCH_RUNS=15  BENCH_EVENTS=1000000  BENCH_REQUESTS_BY_CONNECTION=1  BENCH_WRITE_RUNS=40
 *   BENCH_KEEP_DB=1
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import { loadConfig } from '../server/config.ts';
import { startWirehub } from '../server/app.ts';
import { createLogger } from '../server/core/logger.ts';
import type { DB } from '../server/db/schema.ts';
import { DashboardQuery, dashboardService } from '../server/gateway/dashboard.service.ts';
import { EventMetricsQuery, metricsService, RequestMetricsQuery } from '../server/gateway/metrics.service.ts';
import { api, dropDatabase, envNumber, freshDatabase } from './harness.ts';

const server = process.env.DATABASE_URL;
if (!server) {
  console.error('bench:metrics measures PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).');
  process.exit(2);
}
const RUNS = Math.round(envNumber('BENCH_RUNS', 15));
const WRITE_RUNS = Math.round(envNumber('BENCH_WRITE_RUNS', 40));
const EVENTS = Math.round(envNumber('BENCH_EVENTS', 1_000_000));
const REQUESTS = EVENTS / 2;
const DAY_START = new Date(Date.UTC(2026, 10, 1));
const DAY_END = new Date(DAY_START.getTime() + 86_400_000);

const { name, url } = await freshDatabase(server, 'wirehub_bench_metrics');

const hub = await startWirehub(loadConfig({ PORT: '0', DATABASE_URL: url, WIREHUB_ROLE: 'api', WIREHUB_DATA_DIR: `/tmp/${name}` }), createLogger('warn'));
const pool = hub.deps.database.pool;

const call = (method: string, path: string, token?: string, body?: unknown) => api<Record<string, unknown>>(hub.url, method, path, token ?? null, body);

try {
  // --- set-up through the API ---------------------------------------------------------------
  const signup = await call('post', '/auth/signup', undefined, {
    email: 'bench@example.test',
    password: 'a long bench password',
    name: 'Bench',
    workspace: 'Bench',
  });
  const key = (await call('post', '/api-keys', signup.token as string, { name: 'bench', scopes: ['read', 'write'] })).key as string;
  const ws = (signup.team as { id: string }).id;
  const src = [(await call('post', '/sources', key, { name: 'shop' })).id as string, (await call('post', '/sources', key, { name: 'crm' })).id as string];
  const des = [
    (await call('post', '/destinations', key, { name: 'a', config: { url: 'https://example.com/a' } })).id as string,
    (await call('post', '/destinations', key, { name: 'b', config: { url: 'https://example.com/b' } })).id as string,
  ];
  // Connection (source s, destination d) is con[s * 2 + d].
  const con: string[] = [];
  for (const s of [0, 1])
    for (const d of [0, 1]) con.push((await call('post', '/connections', key, { name: `c${s}${d}`, source_id: src[s], destination_id: des[d] })).id as string);
  const otherWs = (
    (await call('post', '/auth/signup', undefined, { email: 'other@example.test', password: 'a long bench password', name: 'Other', workspace: 'Other' }))
      .team as { id: string }
  ).id;

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
  const counts = (
    await pool.query(
      `SELECT (SELECT count(*) FROM events WHERE workspace_id = $1) AS events, (SELECT count(*) FROM requests WHERE workspace_id = $1) AS requests, (SELECT count(*) FROM ignored_events) AS ignored`,
      [ws],
    )
  ).rows[0];
  const version = (await pool.query('SHOW server_version')).rows[0].server_version;
  console.log(
    `PostgreSQL ${version}; loaded ${counts.events} events, ${counts.requests} requests, ${counts.ignored} ignored events in one workspace (+200,000 events elsewhere) in ${(loaded / 1000).toFixed(1)} s, then VACUUM ANALYZE`,
  );

  // --- the per-minute counts: equal to the logs, and what the migration's backfill costs ----------
  const diff = await pool.query(
    `
    SELECT (SELECT COALESCE(sum(n), 0) FROM event_counts_1m WHERE workspace_id = $1)::int - (SELECT count(*) FROM events WHERE workspace_id = $1)::int AS events,
           (SELECT COALESCE(sum(n), 0) FROM request_counts_1m WHERE workspace_id = $1)::int - (SELECT count(*) FROM requests WHERE workspace_id = $1)::int AS requests,
           (SELECT COALESCE(sum(n), 0) FROM ignored_counts_1m WHERE workspace_id = $1)::int - (SELECT count(*) FROM ignored_events WHERE workspace_id = $1)::int AS ignored,
           (SELECT count(*) FROM event_counts_1m WHERE workspace_id = $1) AS event_rows, (SELECT count(*) FROM request_counts_1m WHERE workspace_id = $1) AS request_rows,
           (SELECT count(*) FROM ignored_counts_1m WHERE workspace_id = $1) AS ignored_rows`,
    [ws],
  );
  const d = diff.rows[0];
  console.log(
    `per-minute counts minus log counts: events ${d.events}, requests ${d.requests}, ignored ${d.ignored} (rows: ${d.event_rows} event, ${d.request_rows} request, ${d.ignored_rows} ignored counters)`,
  );
  {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('DELETE FROM event_counts_1m; DELETE FROM request_counts_1m; DELETE FROM ignored_counts_1m');
      const logRows = (
        await client.query<{ events: string; requests: string; ignored: string }>(
          'SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM requests) AS requests, (SELECT count(*) FROM ignored_events) AS ignored',
        )
      ).rows[0];
      const int = (n: string) => Number(n).toLocaleString('en-US');
      const b = performance.now();
      // The migration's backfill, as written in server/db/migrations/013-metrics-rollup.ts.
      await client.query(`
        INSERT INTO event_counts_1m (workspace_id, minute, connection_id, destination_id, source_id, status, n)
        SELECT workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch'), connection_id, destination_id, source_id, status, count(*)
        FROM events GROUP BY 1, 2, 3, 4, 5, 6;
        INSERT INTO request_counts_1m (workspace_id, minute, source_id, status, verified, n)
        SELECT workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch'), source_id, status, verified, count(*)
        FROM requests GROUP BY 1, 2, 3, 4, 5;
        INSERT INTO ignored_counts_1m (workspace_id, minute, connection_id, source_id, n)
        SELECT i.workspace_id, date_bin('1 minute', i.created_at, TIMESTAMPTZ 'epoch'), i.connection_id, r.source_id, count(*)
        FROM ignored_events i JOIN requests r ON r.id = i.request_id GROUP BY 1, 2, 3, 4`);
      console.log(
        `backfill of the per-minute counts from every row (${int(logRows.events)} events, ${int(logRows.requests)} requests, ${int(logRows.ignored)} ignored): ${((performance.now() - b) / 1000).toFixed(1)} s (rolled back)`,
      );
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  // --- timings through HTTP -----------------------------------------------------------------
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const range = `date_range[start]=${DAY_START.toISOString()}&date_range[end]=${DAY_END.toISOString()}&granularity=1m`;
  // "The last 24 h" asked at hh:mm:30: the partial minutes at either end are read from the logs.
  const half = 30_000;
  const offRange = `date_range[start]=${new Date(DAY_START.getTime() + half).toISOString()}&date_range[end]=${new Date(DAY_END.getTime() + half).toISOString()}&granularity=1m`;
  const cases = [
    { name: 'requests, 24 h at 1m, every measure', path: `/metrics/requests?${range}` },
    { name: 'requests, 24 h at 1m, source_id + status=accepted', path: `/metrics/requests?${range}&source_id=${src[0]}&status=accepted` },
    // A request's connection is not counted per minute: the logs answer (see bench/results-metrics.md).
    ...(process.env.BENCH_REQUESTS_BY_CONNECTION
      ? [{ name: `requests, 24 h at 1m, connection_id (from the logs)`, path: `/metrics/requests?${range}&connection_id=${con[0]}` }]
      : []),
    { name: 'events, 24 h at 1m, every measure', path: `/metrics/events?${range}` },
    { name: 'events, 24 h at 1m, every measure, range starting at :30 s', path: `/metrics/events?${offRange}` },
    { name: `events, 24 h at 1m, connection_id`, path: `/metrics/events?${range}&connection_id=${con[0]}` },
    { name: `events, 24 h at 1m, source_id`, path: `/metrics/events?${range}&source_id=${src[0]}` },
    { name: `events, 24 h at 1m, destination_id + status=failed`, path: `/metrics/events?${range}&destination_id=${des[1]}&status=failed` },
    { name: 'events, 24 h at 5m, every measure', path: `/metrics/events?${range.replace('granularity=1m', 'granularity=5m')}` },
  ];
  console.log(`\n${RUNS} runs each after one warm-up, GET over HTTP on 127.0.0.1 (ms); load average before: ${load()}`);
  console.log('| query | buckets | sum of count | sum of ignored_count | p50 | max |\n|---|---|---|---|---|---|');
  for (const c of cases) {
    const times: number[] = [];
    let body: { data: { count?: number; ignored_count?: number }[] } | null = null;
    for (let i = 0; i <= RUNS; i++) {
      const start = performance.now();
      body = (await call('get', c.path, key)) as unknown as typeof body;
      if (i > 0) times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const total = (k: 'count' | 'ignored_count') => body!.data.reduce((n, d) => n + (d[k] ?? 0), 0);
    console.log(
      `| ${c.name} | ${body!.data.length} | ${total('count')} | ${total('ignored_count')} | ${times[Math.floor(times.length / 2)].toFixed(1)} | ${times[times.length - 1].toFixed(1)} |`,
    );
  }
  console.log(`load average after: ${load()}`);

  // The dashboard (GET /metrics/dashboard) always ends now; the loaded day is in the past, so it
  // is timed in-process with "now" at the day's last minute: 24 h and the 7 d around it.
  const dash = dashboardService(hub.deps.db);
  const dashCases: [string, Record<string, string>][] = [
    ['dashboard, 24 h (96 buckets)', { range: '24h' }],
    ['dashboard, 7 d (168 buckets)', { range: '7d' }],
    ['dashboard, 24 h, one destination', { range: '24h', destination_id: des[1] }],
  ];
  console.log(`\ndashboard in-process, ${RUNS} runs each after one warm-up (ms)\n| query | sum of delivered | p50 | max |\n|---|---|---|---|`);
  for (const [label, q] of dashCases) {
    const times: number[] = [];
    let delivered = 0;
    for (let i = 0; i <= RUNS; i++) {
      const start = performance.now();
      const out = await dash.dashboard(ws, DashboardQuery.parse(q), DAY_END.getTime() - 1);
      if (i > 0) times.push(performance.now() - start);
      delivered = out.totals.delivered;
    }
    times.sort((a, b) => a - b);
    console.log(`| ${label} | ${delivered} | ${times[Math.floor(times.length / 2)].toFixed(1)} | ${times[times.length - 1].toFixed(1)} |`);
  }

  // --- the plans ------------------------------------------------------------------------------
  const captured: CompiledQuery[] = [];
  const spy = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: (e) => void captured.push(e.query) });
  const metrics = metricsService(spy);
  const params = (extra: Record<string, string> = {}) => ({
    'date_range[start]': DAY_START.toISOString(),
    'date_range[end]': DAY_END.toISOString(),
    granularity: '1m',
    ...extra,
  });
  await metrics.requests(ws, RequestMetricsQuery.parse(params()));
  await metrics.events(ws, EventMetricsQuery.parse(params()), undefined);
  await metrics.events(
    ws,
    EventMetricsQuery.parse(
      params({ 'date_range[start]': new Date(DAY_START.getTime() + half).toISOString(), 'date_range[end]': new Date(DAY_END.getTime() + half).toISOString() }),
    ),
    undefined,
  );
  await metrics.events(ws, EventMetricsQuery.parse(params({ connection_id: con[0] })), undefined);
  const labels = ['requests', 'events', 'events, range starting at :30 s', 'events, connection_id'];
  for (const [i, q] of captured.entries()) {
    const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.sql}`, q.parameters as unknown[]);
    console.log(`\n--- EXPLAIN ANALYZE: ${labels[i]}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
  }

  // --- what the triggers cost the writers -------------------------------------------------------
  // Fresh rows at the current minute, shaped as server/ingest/ingest-writer.ts writes a batch (one
  // transaction: requests, then their events, then their ignored events), and the delivery
  // engine's outcome write (one UPDATE … FROM unnest for a batch) and claim (sets lease_until).
  let seq = 0;
  async function ingestBatch(size: number) {
    const n = seq++;
    const reqIds = Array.from({ length: size }, (_, i) => `req_w${n}_${i}`);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO requests (id, workspace_id, source_id, status, rejection_cause, verified, method, path, query, headers, content_type, body, events_count, ignored_count)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::text[], $8::text[], $9::jsonb[], $10::jsonb[], $11::text[], $12::bytea[], $13::int[], $14::int[])`,
        [
          reqIds,
          reqIds.map(() => ws),
          reqIds.map((_, i) => src[i % 2]),
          reqIds.map(() => 'accepted'),
          reqIds.map(() => null),
          reqIds.map(() => true),
          reqIds.map(() => 'POST'),
          reqIds.map(() => '/'),
          reqIds.map(() => '{}'),
          reqIds.map(() => '{}'),
          reqIds.map(() => 'application/json'),
          reqIds.map(() => Buffer.from('{"n":1}')),
          reqIds.map(() => 2),
          reqIds.map((_, i) => (i % 10 === 0 ? 1 : 0)),
        ],
      );
      const ev = reqIds.flatMap((r, i) =>
        [0, 1].map((dst) => ({ id: `evt_w${n}_${i}_${dst}`, req: r, src: src[i % 2], con: con[(i % 2) * 2 + dst], des: des[dst] })),
      );
      await client.query(
        `INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, next_attempt_at)
         SELECT id, $2, req, src, conn, dest, 0, 'QUEUED', now() FROM unnest($1::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(id, req, src, conn, dest)`,
        [ev.map((e) => e.id), ws, ev.map((e) => e.req), ev.map((e) => e.src), ev.map((e) => e.con), ev.map((e) => e.des)],
      );
      const ign = reqIds.filter((_, i) => i % 10 === 0);
      await client.query(
        `INSERT INTO ignored_events (id, workspace_id, request_id, connection_id, cause) SELECT 'ign_' || r, $2, r, $3, 'FILTERED' FROM unnest($1::text[]) AS t(r)`,
        [ign, ws, con[0]],
      );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    } finally {
      client.release();
    }
    return reqIds.flatMap((_, i) => [`evt_w${n}_${i}_0`, `evt_w${n}_${i}_1`]);
  }
  const claim = (ids: string[]) => pool.query(`UPDATE events SET lease_until = now() + interval '25 seconds' WHERE id = ANY($1::text[])`, [ids]);
  const outcome = (ids: string[], status: string) =>
    pool.query(
      `UPDATE events e SET status = v.status, attempts = e.attempts + 1, next_attempt_at = NULL, lease_until = NULL, pending_trigger = 'automatic',
         last_attempt_at = now(), response_status = 200, successful_at = CASE WHEN v.status = 'SUCCESSFUL' THEN now() END, updated_at = now()
       FROM unnest($1::text[], $2::text[]) AS v(id, status) WHERE e.id = v.id`,
      [ids, ids.map(() => status)],
    );
  // The outcome write also stores each attempt (migration 018 counts them per minute and latency bin).
  const attempts = (ids: string[]) =>
    pool.query(
      `INSERT INTO attempts (id, workspace_id, event_id, destination_id, attempt_number, trigger, status, request_method, request_url, request_headers, response_status, duration_ms)
       SELECT 'atm_' || e.id, e.workspace_id, e.id, e.destination_id, 1, 'initial', 'SUCCESSFUL', 'POST', 'https://example.com/', '{}', 200, 120
       FROM events e WHERE e.id = ANY($1::text[])`,
      [ids],
    );
  const triggers = (on: boolean) =>
    pool.query(['requests', 'events', 'ignored_events', 'attempts'].map((t) => `ALTER TABLE ${t} ${on ? 'ENABLE' : 'DISABLE'} TRIGGER USER`).join('; '));
  const timed = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  type Sample = Record<'ingest100' | 'ingest500' | 'claim100' | 'outcome100' | 'attempts100', number[]>;
  const samples: Record<'on' | 'off', Sample> = {
    on: { ingest100: [], ingest500: [], claim100: [], outcome100: [], attempts100: [] },
    off: { ingest100: [], ingest500: [], claim100: [], outcome100: [], attempts100: [] },
  };
  console.log(`\nwrite cost, triggers on vs off in alternation, ${WRITE_RUNS} runs each (ms); load average before: ${load()}`);
  for (let i = 0; i < WRITE_RUNS * 2; i++) {
    const mode = i % 2 === 0 ? 'on' : 'off';
    await triggers(mode === 'on');
    const s = samples[mode];
    let ids: string[] = [];
    s.ingest100.push(await timed(async () => (ids = await ingestBatch(50))));
    s.ingest500.push(await timed(() => ingestBatch(250)));
    const batch = ids.slice(0, 100);
    s.claim100.push(await timed(() => claim(batch)));
    s.outcome100.push(await timed(() => outcome(batch, 'SUCCESSFUL')));
    s.attempts100.push(await timed(() => attempts(batch)));
  }
  await triggers(true);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log('| statement(s) | triggers off p50 | triggers on p50 | added |\n|---|---|---|---|');
  const rows: [keyof Sample, string][] = [
    ['ingest100', 'ingest batch of 50 requests (100 events, 5 ignored), one transaction'],
    ['ingest500', 'ingest batch of 250 requests (500 events, 25 ignored), one transaction'],
    ['claim100', 'claim of 100 events (UPDATE lease_until)'],
    ['outcome100', 'outcome of 100 events (UPDATE status QUEUED → SUCCESSFUL)'],
    ['attempts100', 'attempts of those 100 events (INSERT, one statement)'],
  ];
  for (const [k, label] of rows) {
    const off = median(samples.off[k]);
    const on = median(samples.on[k]);
    console.log(`| ${label} | ${off.toFixed(2)} | ${on.toFixed(2)} | ${(on - off).toFixed(2)} ms (${(((on - off) / off) * 100).toFixed(0)} %) |`);
  }
  console.log(`load average after: ${load()}`);
} finally {
  await hub.close();
  fs.rmSync(`/tmp/${name}`, { recursive: true, force: true });
  if (process.env.BENCH_KEEP_DB) console.log(`\nkept database ${name} (BENCH_KEEP_DB)`);
  else await dropDatabase(server, name);
}
