/**
 * Does a bulk retry of 100,000 events block the API or starve fresh traffic? `npm run bench:bulk`
 * (DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:bulk for PostgreSQL).
 *
 * Set-up, with Wirehub in this process (role api: nothing is delivered yet): a fresh database
 * `wirehub_bench_bulk_*` (dropped at the end) or the embedded one in a temporary data dir; sign-up,
 * an API key, source `backfill` → destination `crm` (the sink's /hook), source `live` → `crm` and
 * → destination `audit` (the sink's /other). Then BENCH_EVENTS FAILED events of `backfill` (and
 * their requests) written straight into the tables with INSERT … SELECT generate_series, as if the
 * receiver had been down for an hour. That Wirehub closes, and Wirehub proper starts as a child
 * process (`server/main.ts`, API + delivery worker) on the same database.
 *
 * The sink is this file run with `--sink` in its own process: it answers 200 at once and, for each
 * fresh delivery, records arrival − send time (the send time travels in the body; both processes
 * read performance.timeOrigin + performance.now()).
 *
 * Phases, each with the same fresh traffic: BENCH_RATE requests/s (open loop: latency counts from
 * the scheduled send time) to `POST /e/<live>`, each becoming one event to the bulk's own
 * destination (same lane, same receiver: the case a bulk could starve) and one to `audit`; plus
 * API probes, each endpoint every BENCH_PROBE_MS one after the other: `GET /api/v1/events?limit=50`
 * and `GET /api/health`.
 *   a) BENCH_SECONDS without a bulk retry;
 *   b) `POST /api/v1/events/bulk_operations {status: failed, source_id: backfill}`, measured from
 *      that call until the sink has every bulk-retried event (the bulk's own throughput and time
 *      to finish), with 10-second windows of the fresh latency to show whether any part starves.
 * Figures print as markdown tables, with `uptime` before and after (other work skews everything).
 *
 * Knobs (env): BENCH_EVENTS=100000  BENCH_RATE=50  BENCH_SECONDS=60
 *   BENCH_PROBE_MS=200  BENCH_MAX_BULK_SECONDS=900  BENCH_SINK_DELAY_MS=0 (the sink answers after this)
 *   BENCH_WIREHUB_ENV="WIREHUB_DELIVERY_CONCURRENCY=16,..." (extra env for the Wirehub child)
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { api, benchWirehubEnv, dropDatabase, envNumber, forkSink, freePort, freshDatabase, wirehubEntry } from './harness.ts';
import { percentile, postgresCpuSeconds, procCpuSeconds } from './measure.ts';
import { Pool } from 'undici';
import { startWirehub } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/core/logger.ts';
import { laneOf } from '../server/delivery/lanes.ts';

const wallNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Sink (child process)
// ---------------------------------------------------------------------------------------------

/** [seq, arrival − send in ms] of each fresh delivery, per URL path. */
type FreshArrivals = Record<string, [number, number][]>;
type SinkSnapshot = { bulk: { count: number; unique: number; first: number; last: number }; fresh: FreshArrivals };
type SinkMessage = { type: 'ready'; port: number } | { type: 'snapshot'; id: number; value: SinkSnapshot };

/** A slow receiver: a lane then delivers fewer events per second, so the bulk's queue ahead of a fresh event lasts longer. */
const SINK_DELAY_MS = Number(process.env.BENCH_SINK_DELAY_MS ?? 0);

function runSink(): void {
  const fresh: FreshArrivals = {};
  const bulkSeen = new Set<number>();
  const bulk = { count: 0, unique: 0, first: 0, last: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = wallNow();
      if (SINK_DELAY_MS > 0) setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), SINK_DELAY_MS);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      let body: { bulk?: number; seq?: number; sent?: number };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return;
      }
      if (typeof body.bulk === 'number') {
        bulk.count++;
        bulkSeen.add(body.bulk);
        bulk.unique = bulkSeen.size;
        bulk.first ||= now;
        bulk.last = now;
      } else if (typeof body.seq === 'number' && typeof body.sent === 'number') {
        (fresh[req.url ?? '?'] ??= []).push([body.seq, now - body.sent]);
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: (server.address() as net.AddressInfo).port } satisfies SinkMessage));
  process.on('message', (m: { id: number }) => process.send?.({ type: 'snapshot', id: m.id, value: { bulk, fresh } } satisfies SinkMessage));
  process.on('disconnect', () => process.exit(0));
}

class SinkClient {
  private next = 0;
  private readonly waiting = new Map<number, (v: SinkSnapshot) => void>();
  constructor(private readonly child: ChildProcess) {
    child.on('message', (m: SinkMessage) => {
      if (m.type !== 'snapshot') return;
      this.waiting.get(m.id)?.(m.value);
      this.waiting.delete(m.id);
    });
  }
  snapshot(): Promise<SinkSnapshot> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ id });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers
// ---------------------------------------------------------------------------------------------

const pct = percentile;
const ms = (v: number) => (Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const int = (v: number) => Math.round(v).toLocaleString('en-US');
const summary = (v: number[]) => `${ms(pct(v, 50))} / ${ms(pct(v, 99))} / ${ms(v.length ? Math.max(...v) : NaN)}`;

const uptime = () => execSync('uptime').toString().trim();

/** What one phase of fresh traffic and probes saw. */
type PhaseLoad = {
  seqs: { from: number; to: number };
  /** Scheduled send time (wall ms) of each seq of the phase. */
  sentAt: Map<number, number>;
  ingest: number[];
  ingestErrors: number;
  events: number[];
  health: number[];
  probeErrors: number;
  seconds: number;
};

/**
 * Fresh traffic (open loop at `rate`/s) and the two API probes, until stop() is called. Each body
 * carries its seq and its scheduled send time, so the sink measures end-to-end latency by itself.
 */
function startLoad(o: { pool: Pool; base: string; key: string; ingestPath: string; rate: number; probeMs: number; firstSeq: number }) {
  let running = true;
  const started = performance.now();
  const load: PhaseLoad = {
    seqs: { from: o.firstSeq, to: o.firstSeq },
    sentAt: new Map(),
    ingest: [],
    ingestErrors: 0,
    events: [],
    health: [],
    probeErrors: 0,
    seconds: 0,
  };
  const inFlight = new Set<Promise<void>>();
  const send = (seq: number, scheduledWall: number, scheduledPerf: number) => {
    load.sentAt.set(seq, scheduledWall);
    const p = o.pool
      .request({
        method: 'POST',
        path: o.ingestPath,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'order.paid', seq, sent: scheduledWall }),
      })
      .then(async (res) => {
        await res.body.text();
        if (res.statusCode === 200) load.ingest.push(performance.now() - scheduledPerf);
        else load.ingestErrors++;
      })
      .catch(() => void load.ingestErrors++)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const generator = (async () => {
    const interval = 1000 / o.rate;
    let k = 0;
    while (running) {
      const duePerf = started + k * interval;
      const wait = duePerf - performance.now();
      if (wait > 1) {
        await sleep(wait);
        continue;
      }
      send(o.firstSeq + k, performance.timeOrigin + duePerf, duePerf);
      k++;
    }
    load.seqs.to = o.firstSeq + k;
  })();
  const probe = async (url: string, into: number[]) => {
    while (running) {
      const t0 = performance.now();
      try {
        const res = await o.pool.request({ method: 'GET', path: url, headers: { authorization: `Bearer ${o.key}` } });
        await res.body.text();
        if (res.statusCode === 200) into.push(performance.now() - t0);
        else load.probeErrors++;
      } catch {
        load.probeErrors++;
      }
      await sleep(Math.max(0, o.probeMs - (performance.now() - t0)));
    }
  };
  const probes = [probe('/api/v1/events?limit=50', load.events), probe('/api/health', load.health)];
  return {
    load,
    async stop(): Promise<PhaseLoad> {
      running = false;
      await generator;
      await Promise.all(probes);
      load.seconds = (performance.now() - started) / 1000;
      await Promise.all([...inFlight]);
      return load;
    },
  };
}

/** Waits (bounded) until every fresh seq of the phase reached both paths; returns each path's latencies. */
async function freshLatencies(sink: SinkClient, load: PhaseLoad, paths: string[], graceMs: number) {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const snap = await sink.snapshot();
    const inPhase = (p: string) => (snap.fresh[p] ?? []).filter(([s]) => s >= load.seqs.from && s < load.seqs.to);
    const complete = paths.every((p) => new Set(inPhase(p).map(([s]) => s)).size >= load.sentAt.size - load.ingestErrors);
    if (complete || Date.now() > deadline) {
      return Object.fromEntries(
        paths.map((p) => {
          const list = inPhase(p);
          return [p, { list, missing: load.sentAt.size - load.ingestErrors - new Set(list.map(([s]) => s)).size }];
        }),
      );
    }
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL || null;
  const N = Math.round(envNumber('BENCH_EVENTS', 100_000));
  const rate = envNumber('BENCH_RATE', 50);
  const seconds = envNumber('BENCH_SECONDS', 60);
  const probeMs = envNumber('BENCH_PROBE_MS', 200);
  const maxBulkSeconds = envNumber('BENCH_MAX_BULK_SECONDS', 900);
  const extraEnv = benchWirehubEnv();

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-bench-bulk-'));
  let dbName: string | null = null;
  let sink: ChildProcess | null = null;
  let wirehub: ChildProcess | null = null;
  let pool: Pool | null = null;
  const cleanup = async () => {
    await pool?.close().catch(() => {});
    if (wirehub && wirehub.exitCode === null && wirehub.signalCode === null) {
      const exited = new Promise((r) => wirehub!.once('exit', r));
      wirehub.kill('SIGTERM');
      const t = setTimeout(() => wirehub?.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    }
    sink?.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (serverUrl && dbName) await dropDatabase(serverUrl, dbName);
  };
  process.once('SIGINT', () => {
    wirehub?.kill('SIGKILL');
    sink?.kill('SIGKILL');
    void cleanup().finally(() => process.exit(1));
  });

  try {
    console.log(`machine: ${os.cpus().length} cores; before: ${uptime()}`);
    let databaseUrl = '';
    if (serverUrl) {
      const fresh = await freshDatabase(serverUrl, 'wirehub_bench_bulk');
      dbName = fresh.name;
      databaseUrl = fresh.url;
      console.log(`database: PostgreSQL ${fresh.version}, fresh database ${dbName}`);
    } else {
      console.log(`database: embedded PGlite in ${dataDir} (inside the Wirehub process)`);
    }

    // --- sink -----------------------------------------------------------------------------------
    const { child: sinkChild, port: sinkPort } = await forkSink(import.meta.filename, (c) => (sink = c));
    const sinkClient = new SinkClient(sinkChild);

    // --- set-up and seed, with Wirehub in this process (API only: nothing delivers yet) ----------
    const secretKey = randomBytes(32).toString('hex');
    const env: Record<string, string> = {
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      WIREHUB_DATA_DIR: dataDir,
      WIREHUB_SECRET_KEY: secretKey,
      WIREHUB_ALLOW_PRIVATE_DESTINATIONS: 'true',
      WIREHUB_API_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    };
    const setupHub = await startWirehub(loadConfig({ ...env, PORT: '0', WIREHUB_ROLE: 'api' }), createLogger('warn'));
    let key: string;
    let liveSource: string;
    let backfillSource: string;
    try {
      const base = setupHub.url;
      const signup = await api<{ token: string; team: { id: string } }>(base, 'POST', '/auth/signup', null, {
        email: `bench${Date.now()}@example.test`,
        password: 'correct horse battery staple',
        name: 'Bench',
        workspace: 'Bench Co',
      });
      key = (await api<{ key: string }>(base, 'POST', '/api-keys', signup.token, { name: 'bench', scopes: ['read', 'write'] })).key;
      const ws = signup.team.id;
      backfillSource = (await api<{ id: string }>(base, 'POST', '/sources', key, { name: 'backfill' })).id;
      liveSource = (await api<{ id: string }>(base, 'POST', '/sources', key, { name: 'live' })).id;
      const crm = (await api<{ id: string }>(base, 'POST', '/destinations', key, { name: 'crm', config: { url: `http://127.0.0.1:${sinkPort}/hook` } })).id;
      const lanes = setupHub.deps.config.deliveryLanes;
      const crmLane = laneOf(crm, lanes);
      // Fresh events to another lane show what a bulk costs the rest of the process (CPU, database)
      // rather than its own lane's queue: the id decides the lane, so try a few.
      let audit = '';
      for (let i = 0; i < 16 && (!audit || (laneOf(audit, lanes) === crmLane && lanes > 1)); i++) {
        if (audit) await api(base, 'DELETE', `/destinations/${audit}`, key);
        audit = (await api<{ id: string }>(base, 'POST', '/destinations', key, { name: 'audit', config: { url: `http://127.0.0.1:${sinkPort}/other` } })).id;
      }
      const backfill = (await api<{ id: string }>(base, 'POST', '/connections', key, { name: 'backfill-crm', source_id: backfillSource, destination_id: crm }))
        .id;
      await api(base, 'POST', '/connections', key, { name: 'live-crm', source_id: liveSource, destination_id: crm });
      await api(base, 'POST', '/connections', key, { name: 'live-audit', source_id: liveSource, destination_id: audit });
      const auditLane = laneOf(audit, lanes);
      console.log(
        `set-up: crm (bulk + fresh) on lane ${crmLane}, audit (fresh only) on lane ${auditLane} of ${lanes}${crmLane === auditLane ? ' (same lane)' : ''}`,
      );

      const t = performance.now();
      const db = setupHub.deps.database.pool;
      const chunk = 20_000;
      for (let from = 1; from <= N; from += chunk) {
        const to = Math.min(N, from + chunk - 1);
        // One failed hour: the receiver was down, every delivery failed once and was given up.
        await db.query(
          `INSERT INTO requests (id, workspace_id, source_id, status, verified, method, path, content_type, body, events_count, created_at)
           SELECT 'req_' || lpad(i::text, 26, '0'), $3, $4, 'accepted', true, 'POST', '/', 'application/json',
                  convert_to('{"type":"order.paid","bulk":' || i || ',"amount":42}', 'UTF8'), 1,
                  now() - interval '1 hour' + i * (interval '3600 seconds' / $5::int)
           FROM generate_series($1::int, $2::int) AS i`,
          [from, to, ws, backfillSource, N],
        );
        await db.query(
          `INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, attempts,
                               last_attempt_at, response_status, error_code, created_at, updated_at)
           SELECT 'evt_' || lpad(i::text, 26, '0'), $3, 'req_' || lpad(i::text, 26, '0'), $4, $5, $6, $7, 'FAILED', 1,
                  now() - interval '1 hour' + i * (interval '3600 seconds' / $8::int), 503, 'HTTP_5XX',
                  now() - interval '1 hour' + i * (interval '3600 seconds' / $8::int), now()
           FROM generate_series($1::int, $2::int) AS i`,
          [from, to, ws, backfillSource, backfill, crm, crmLane, N],
        );
      }
      await db.query('ANALYZE requests; ANALYZE events');
      console.log(`seeded ${int(N)} FAILED events (+ their requests) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } finally {
      await setupHub.close();
    }

    // --- Wirehub proper -------------------------------------------------------------------------
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const log = fs.createWriteStream(path.join(dataDir, 'wirehub.log'));
    wirehub = spawn(process.execPath, wirehubEntry(path.resolve(import.meta.dirname, '..')), {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: { ...process.env, ...env, PORT: String(port), WIREHUB_ROLE: 'all' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let echoed = 0;
    const echo = (c: Buffer) => {
      log.write(c);
      for (const line of c.toString().split('\n').filter(Boolean)) if (echoed++ < 20) console.log(`  [wirehub] ${line.slice(0, 300)}`);
    };
    wirehub.stdout?.on('data', echo);
    wirehub.stderr?.on('data', echo);
    const deadline = Date.now() + 60_000;
    while (
      !(await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (wirehub.exitCode !== null) throw new Error('wirehub exited during start-up');
      if (Date.now() > deadline) throw new Error('wirehub did not answer /healthz within 60 s');
      await sleep(200);
    }
    const wirehubPid = wirehub.pid as number;
    console.log(`wirehub: pid ${wirehubPid} at ${base}${Object.keys(extraEnv).length ? ` with ${JSON.stringify(extraEnv)}` : ''}; sink pid ${sinkChild.pid}`);

    pool = new Pool(base, { connections: 32, pipelining: 1, keepAliveTimeout: 60_000 });
    const paths = ['/hook', '/other'];
    const common = { pool, base, key, ingestPath: `/e/${liveSource}`, rate, probeMs };
    let seq = 0;
    const runPhase = async (until: () => Promise<boolean>) => {
      const cpu0 = { wirehub: procCpuSeconds(wirehubPid), postgres: postgresCpuSeconds() };
      const run = startLoad({ ...common, firstSeq: seq });
      while (!(await until())) await sleep(250);
      const load = await run.stop();
      seq = load.seqs.to;
      const cpu = { wirehub: procCpuSeconds(wirehubPid) - cpu0.wirehub, postgres: postgresCpuSeconds() - cpu0.postgres };
      return { load, cpu };
    };

    // Warm-up: JIT, pools, the routing cache; not counted.
    {
      const end = Date.now() + 5_000;
      const { load } = await runPhase(async () => Date.now() > end);
      await freshLatencies(sinkClient, load, paths, 15_000);
    }

    // (a) fresh traffic alone
    const aEnd = Date.now() + seconds * 1000;
    const a = await runPhase(async () => Date.now() > aEnd);
    const aLat = await freshLatencies(sinkClient, a.load, paths, 30_000);
    const aUptime = uptime();

    // (b) the same, while a bulk retry of every failed event runs
    const before = (await sinkClient.snapshot()).bulk.unique;
    const tBulk = performance.now();
    const op = await api<{ id: string; estimated_count: number }>(base, 'POST', '/events/bulk_operations', key, {
      status: 'failed',
      source_id: backfillSource,
    });
    const postMs = performance.now() - tBulk;
    let completedAt = NaN;
    let lastReport = performance.now();
    let delivered = 0;
    const progress: string[] = [];
    const b = await runPhase(async () => {
      const snap = await sinkClient.snapshot();
      delivered = snap.bulk.unique - before;
      if (Number.isNaN(completedAt)) {
        const state = await api<{ state: string; processed_count: number }>(base, 'GET', `/events/bulk_operations/${op.id}`, key);
        if (state.state === 'completed') completedAt = performance.now() - tBulk;
      }
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        const line = `  +${((performance.now() - tBulk) / 1000).toFixed(0)} s: ${int(delivered)} of ${int(N)} bulk events delivered`;
        progress.push(line);
        console.log(line);
      }
      return (delivered >= N && !Number.isNaN(completedAt)) || performance.now() - tBulk > maxBulkSeconds * 1000;
    });
    const bulkSeconds = (performance.now() - tBulk) / 1000;
    const bLat = await freshLatencies(sinkClient, b.load, paths, 60_000);
    const bulkSnap = (await sinkClient.snapshot()).bulk;
    const bUptime = uptime();

    // --- report ---------------------------------------------------------------------------------
    const dbLabel = serverUrl ? 'PostgreSQL' : 'embedded PGlite';
    const slow = Number(process.env.BENCH_SINK_DELAY_MS ?? 0);
    console.log(
      `\n## ${dbLabel}, N = ${int(N)} bulk-retried events, fresh traffic ${rate} requests/s (2 events each), probes every ${probeMs} ms${slow > 0 ? `, receiver answers after ${slow} ms` : ''}\n`,
    );
    console.log('p50 / p99 / max in ms\n');
    console.log(
      '| phase | seconds | fresh requests | fresh e2e, same destination as the bulk | fresh e2e, other destination | ingest 200 | GET /api/v1/events?limit=50 | GET /api/health | Wirehub CPU s | PostgreSQL CPU s |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const [name, phase, lat] of [
      ['(a) no bulk retry', a, aLat],
      ['(b) during the bulk retry', b, bLat],
    ] as const) {
      const l = phase.load;
      const missing = paths.map((p) => lat[p].missing).reduce((x, y) => x + y, 0);
      console.log(
        `| ${name} | ${l.seconds.toFixed(0)} | ${int(l.sentAt.size)}${l.ingestErrors ? ` (${l.ingestErrors} errors)` : ''}${missing ? ` (${missing} not delivered)` : ''} ` +
          `| ${summary(lat['/hook'].list.map(([, v]) => v))} | ${summary(lat['/other'].list.map(([, v]) => v))} | ${summary(l.ingest)} ` +
          `| ${summary(l.events)} (${l.events.length}) | ${summary(l.health)} (${l.health.length})${l.probeErrors ? ` ${l.probeErrors} errors` : ''} ` +
          `| ${phase.cpu.wirehub.toFixed(1)} | ${serverUrl ? phase.cpu.postgres.toFixed(1) : '–'} |`,
      );
    }
    console.log(
      `\nBulk retry: POST answered in ${ms(postMs)} ms (estimated_count ${int(op.estimated_count)}); operation completed (processed = total) after ${(completedAt / 1000).toFixed(1)} s;`,
    );
    console.log(
      `${int(delivered)} of ${int(N)} delivered after ${bulkSeconds.toFixed(1)} s → ${int(delivered / bulkSeconds)} events/s ` +
        `(${int(bulkSnap.count - bulkSnap.unique)} duplicate deliveries)${delivered < N ? ` — STOPPED at BENCH_MAX_BULK_SECONDS=${maxBulkSeconds}` : ''}`,
    );
    console.log("\nFresh end-to-end latency to the bulk's destination during (b), by 10-second window of send time (p50 / p99 / max ms, count):");
    const start = b.load.sentAt.get(b.load.seqs.from) ?? 0;
    const windows = new Map<number, number[]>();
    for (const [s, v] of bLat['/hook'].list) {
      const w = Math.floor(((b.load.sentAt.get(s) ?? start) - start) / 10_000);
      windows.set(w, [...(windows.get(w) ?? []), v]);
    }
    for (const [w, v] of [...windows].sort(([x], [y]) => x - y)) console.log(`  ${w * 10}–${w * 10 + 10} s: ${summary(v)} (${v.length})`);
    console.log(`\nuptime after (a): ${aUptime}\nuptime after (b): ${bUptime}`);
    if (delivered < N) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

if (process.argv.includes('--sink')) runSink();
else await main();
