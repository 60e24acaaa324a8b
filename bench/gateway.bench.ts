/**
 * Wirehub gateway benchmark: `npm run bench`.
 *
 * Starts three processes on 127.0.0.1 and measures the gateway end to end:
 *   - Wirehub (as `npm start` runs it: server/dist/main.mjs, API + delivery worker in one process) on real
 *     PostgreSQL when DATABASE_URL is set (a fresh database `wirehub_bench_*`, dropped at the end),
 *     else on the embedded PGlite database in a temporary data dir;
 *   - a 0 ms sink in its own small child process (bench/sink.ts), so that recording deliveries does
 *     not compete with the load generator's event loop; it answers 200 at once and records each
 *     delivery's arrival time, its webhook-id and the `seq` in the body;
 *   - this process: set-up through the public API, and an open-loop load generator (undici Pool)
 *     that schedules requests by the clock, not by responses, and measures latency from the
 *     scheduled send time (so a slow server cannot hide its queueing from the figures).
 *
 * Phases: warm-up; 1) ingest at fixed offered rates (3,000/s, stepping up while the goals hold)
 * with delivery running as in production; 2) delivery drain: a backlog ingested while the
 * connection is paused, then unpaused and timed until the sink has every event; 3) end-to-end
 * latency (ingest 200 received → sink arrival) at a fixed 500 events/s; 3b) overload (issue 15,
 * item 4): about twice the capacity offered from many connections, so that requests wait in
 * Wirehub and not in this process's connection pool: accepted/s and latency, 503/s (each must
 * carry Retry-After), and a ledger: every accepted request stored once, no refused one stored.
 * Then a ledger (accepted vs delivered, duplicates), Wirehub's RSS idle after start and at peak
 * (VmHWM), and CPU use per phase.
 *
 * Phase 4, published events (opt-in, BENCH_PUBLISH=1; about a minute more): `POST /api/v1/publish`
 * of lead.captured (API key, zod, ajv schema, the same group-commit writer; 202) fanned out to two
 * webhooks on the sink: /pub/flat (flat envelope, 2 JSONata expressions) and /pub/nested (nested
 * envelope, paths). 4a) publish at fixed offered rates (1,000/s, 2,000/s) with delivery running;
 * 4b) delivery drain of a backlog published while both webhooks are paused; 4c) end-to-end
 * latency (202 received → sink arrival) at 300/s; 4d) a ledger per webhook: every accepted
 * publish delivered once under the eventId its 202 answered (the sink keeps one ledger per URL
 * path, since both webhooks receive an event under the same webhook-id).
 *
 * Phases 5 and 6 (bench/fault-phases.ts, issue 13), after the main Wirehub is stopped, each with
 * Wirehub processes of its own: 5) isolation: a receiver that hangs and one that answers 500 next
 * to a healthy one in one delivery lane, 200 events/s to each: the healthy one's end-to-end p99
 * (goal < 100 ms); 6) fail-over (PostgreSQL only): an API process and two workers, one killed
 * with SIGKILL mid-stream, then a new one started: how long its lanes went undelivered, duplicates,
 * losses, and the lanes shared out again.
 *
 * Everything is bounded in count and time (BENCH_MAX_SECONDS watchdog); children are killed on
 * exit. Missed goals are printed, not failures: the exit code is non-zero only on a crash.
 *
 * CPU use is reported per phase from /proc (Wirehub, every PostgreSQL process on the machine, the
 * load generator, the sink, and anything else), and on PostgreSQL the per-table scan counters of
 * the run's database, which is where a bad plan shows up.
 *
 * Knobs (env): BENCH_INGEST_RATES=3000,4500,6000  BENCH_SECONDS=10  BENCH_BACKLOG=20000
 *   BENCH_BACKLOG_RATE=4000  BENCH_E2E_RATE=500  BENCH_E2E_SECONDS=10  BENCH_BODY_BYTES=512
 *   BENCH_CONNECTIONS=128  BENCH_MAX_SECONDS=900  BENCH_WIREHUB_NODE_ARGS="--cpu-prof ..."
 *   BENCH_WIREHUB_ENV="WIREHUB_DELIVERY_CONCURRENCY=128,..." (extra env for the Wirehub child)
 *   BENCH_TOPOLOGY=split (PostgreSQL only): the API and the delivery worker as two processes
 *   (WIREHUB_ROLE=api and WIREHUB_ROLE=worker) instead of one.
 *   BENCH_TRANSFORMATION=1: the connection runs a small transformation (sandbox) on every delivery.
 *   BENCH_PUBLISH=1  BENCH_PUBLISH_RATES=1000,2000  BENCH_PUBLISH_SECONDS=10  BENCH_PUBLISH_BACKLOG=10000
 *   BENCH_PUBLISH_BACKLOG_RATE=2000  BENCH_PUBLISH_E2E_RATE=300  BENCH_PUBLISH_E2E_SECONDS=10
 *   BENCH_ISOLATION=0 (skip phase 5)  BENCH_ISOLATION_SECONDS=20  BENCH_ISOLATION_RATE=200  BENCH_ISOLATION_PRELOAD=200
 *   BENCH_FAILOVER=0 (skip phase 6)  BENCH_FAILOVER_SECONDS=24  BENCH_FAILOVER_RATE=200
 *   BENCH_OVERLOAD=0 (skip phase 3b)  BENCH_OVERLOAD_RATE (default: twice phase 1's first accepted/s, else 5000)
 *   BENCH_OVERLOAD_SECONDS=10  BENCH_OVERLOAD_CONNECTIONS=1024
 *   BENCH_ONLY=overload: the warm-up and phase 3b alone (about a minute; for A/B runs of item 4).
 *   BENCH_KEEP_DIR=1: keep the temporary dir with the Wirehub processes' logs.
 *   BENCH_WIREHUB_DIR=<checkout>: run the Wirehub of another checkout (bench:compare uses it).
 *   BENCH_JSON=<file>: also write the headline figures there as JSON (BenchFigures).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { api, benchWirehubEnv, wirehubEntry, dropDatabase, envNumber, forkSink, freePort, freshDatabase, type StartWirehub } from './harness.ts';
import { openLoop, percentile, sleep, sortedOf, waitUntil, wallNow, type LoadResult } from './load.ts';
import { StatementProfile } from './pg-statements.ts';
import { machineTicks, postgresCpuSeconds, procCpuSeconds } from './measure.ts';
import { errorsText, fmt, fmtInt, ingestLine, table, type BenchFigures } from './report.ts';
import { failoverPhase, isolationPhase, phaseOn, type FaultPhaseContext } from './fault-phases.ts';
import { HOOK_PATH, SinkClient, type SinkStats } from './sink.ts';
import { Pool } from 'undici';

const TRANSFORMATION_CODE =
  'addHandler("transform", (request) => { request.headers["x-bench"] = "1"; request.body = { ...request.body, transformed: true }; return request; });';

// ---------------------------------------------------------------------------------------------
// Measurement helpers
// ---------------------------------------------------------------------------------------------

/** Issue 15: what one Wirehub process may hold, idle and at peak (the embedded database included). */
const RSS_GOAL_MB = 250;

function procMemKb(pid: number): { rss: number; hwm: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

type CpuMark = { at: number; wirehub: number; perWirehub: number[]; postgres: number; sink: number; bench: number; machine: { busy: number; total: number } };
type CpuShare = { seconds: number; wirehub: number; perWirehub: number[]; postgres: number; sink: number; bench: number; machine: number; other: number };

class Meter {
  /** Peak RSS per Wirehub process (kB), from VmHWM, checked against sampled VmRSS. */
  readonly peakRssKb: number[];
  private timer: NodeJS.Timeout;
  constructor(
    private readonly wirehubPids: number[],
    private readonly sinkPid: number,
  ) {
    this.peakRssKb = wirehubPids.map(() => 0);
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }
  sample(): void {
    this.wirehubPids.forEach((pid, i) => {
      const { rss, hwm } = procMemKb(pid);
      this.peakRssKb[i] = Math.max(this.peakRssKb[i], Number.isNaN(hwm) ? 0 : hwm, Number.isNaN(rss) ? 0 : rss);
    });
  }
  mark(): CpuMark {
    const u = process.cpuUsage();
    return {
      at: performance.now(),
      wirehub: this.wirehubPids.reduce((sum, pid) => sum + procCpuSeconds(pid), 0),
      perWirehub: this.wirehubPids.map((pid) => procCpuSeconds(pid)),
      postgres: postgresCpuSeconds(),
      sink: procCpuSeconds(this.sinkPid),
      bench: (u.user + u.system) / 1e6,
      machine: machineTicks(),
    };
  }
  /** Largest CPU use by processes outside the bench seen in any measured interval (cores). */
  static maxOther = 0;
  /** CPU use between two marks, in cores (1.0 = one core fully busy). */
  static share(a: CpuMark, b: CpuMark): CpuShare {
    const secs = (b.at - a.at) / 1000;
    const cores = os.cpus().length;
    const machine = ((b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total)) * cores;
    const wirehub = (b.wirehub - a.wirehub) / secs;
    const perWirehub = b.perWirehub.map((v, i) => (v - a.perWirehub[i]) / secs);
    const sink = (b.sink - a.sink) / secs;
    const bench = (b.bench - a.bench) / secs;
    const postgres = (b.postgres - a.postgres) / secs;
    const other = Math.max(0, machine - wirehub - postgres - sink - bench);
    Meter.maxOther = Math.max(Meter.maxOther, other);
    return { seconds: secs, wirehub, perWirehub, postgres, sink, bench, machine, other };
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** CPU milliseconds that `who` spent per event over an interval that handled `n` events. */
const msPer = (c: CpuShare, who: 'wirehub' | 'postgres', n: number) => (n > 0 ? ((c[who] * c.seconds) / n) * 1000 : NaN);
const perEventText = (c: CpuShare, n: number) => `Wirehub ${fmt(msPer(c, 'wirehub', n), 3)} CPU-ms, PostgreSQL ${fmt(msPer(c, 'postgres', n), 3)} CPU-ms`;

/** The Wirehub processes, once started: each phase's CPU line also says how high their RSS has been so far. */
let rssPids: number[] = [];
const cpuText = (c: CpuShare) =>
  `machine ${fmt(c.machine, 2)} cores busy: wirehub ${fmt(c.wirehub, 2)}${c.perWirehub.length > 1 ? ` (api ${fmt(c.perWirehub[0], 2)} + worker ${fmt(c.perWirehub[1], 2)})` : ''}, postgres ${fmt(c.postgres, 2)}, load generator ${fmt(c.bench, 2)}, ` +
  `sink ${fmt(c.sink, 2)}, anything else ${fmt(c.other, 2)}; Wirehub RSS high-water so far ${rssPids.map((pid) => fmtInt(procMemKb(pid).hwm / 1024)).join(' + ')} MB`;

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = performance.now();
  const rates = (process.env.BENCH_INGEST_RATES ?? '3000,4500,6000')
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((v) => v > 0);
  const seconds = envNumber('BENCH_SECONDS', 10);
  const backlog = Math.round(envNumber('BENCH_BACKLOG', 20_000));
  const backlogRate = envNumber('BENCH_BACKLOG_RATE', 4_000);
  const e2eRate = envNumber('BENCH_E2E_RATE', 500);
  const e2eSeconds = envNumber('BENCH_E2E_SECONDS', 10);
  const bodyBytes = Math.round(envNumber('BENCH_BODY_BYTES', 512));
  const connections = Math.round(envNumber('BENCH_CONNECTIONS', 128));
  const maxSeconds = envNumber('BENCH_MAX_SECONDS', 900);
  const drainTimeoutMs = 120_000;
  const publishOn = ['1', 'true', 'yes'].includes((process.env.BENCH_PUBLISH ?? '').toLowerCase());
  const publishRates = (process.env.BENCH_PUBLISH_RATES ?? '1000,2000')
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((v) => v > 0);
  const publishSeconds = envNumber('BENCH_PUBLISH_SECONDS', 10);
  const publishBacklog = Math.round(envNumber('BENCH_PUBLISH_BACKLOG', 10_000));
  const publishBacklogRate = envNumber('BENCH_PUBLISH_BACKLOG_RATE', 2_000);
  const publishE2eRate = envNumber('BENCH_PUBLISH_E2E_RATE', 300);
  const publishE2eSeconds = envNumber('BENCH_PUBLISH_E2E_SECONDS', 10);
  const serverUrl = process.env.DATABASE_URL || null;

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-bench-'));
  const wirehubs: ChildProcess[] = [];
  let sink: ChildProcess | null = null;
  let dbName: string | null = null;
  /** Databases of phases 5 and 6. */
  const phaseDbNames: string[] = [];
  let meter: Meter | null = null;
  let pool: Pool | null = null;

  const stopChild = async (child: ChildProcess | null, graceMs: number) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    meter?.stop();
    await pool?.close().catch(() => {});
    await Promise.all([...wirehubs.map((w) => stopChild(w, 30_000)), stopChild(sink, 5_000)]);
    if (serverUrl) for (const name of [dbName, ...phaseDbNames]) if (name) await dropDatabase(serverUrl, name);
    // BENCH_KEEP_DIR=1 keeps the Wirehub logs (wirehub-<tag>.log) and data for a look afterwards.
    if (process.env.BENCH_KEEP_DIR === '1') console.log(`kept ${dataDir}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const abort = (why: string) => {
    console.error(`\nbench: ${why}; stopping`);
    // Children die with us: SIGKILL is immediate, and the database/dir clean-up is best effort.
    for (const w of wirehubs) w.kill('SIGKILL');
    sink?.kill('SIGKILL');
    void cleanup().finally(() => process.exit(1));
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));
  const watchdog = setTimeout(() => abort(`still running after BENCH_MAX_SECONDS=${maxSeconds}`), maxSeconds * 1000);
  watchdog.unref();

  try {
    // Anything else busy on the machine skews every figure below: say so up front.
    const idleA = machineTicks();
    await sleep(1_000);
    const idleB = machineTicks();
    const background = ((idleB.busy - idleA.busy) / Math.max(1, idleB.total - idleA.total)) * os.cpus().length;
    console.log(
      `machine: ${os.cpus().length} cores, ${fmt(background, 2)} cores busy before the bench started${background > 0.2 ? ' (other work is running: figures will be lower)' : ''}`,
    );

    // --- database -------------------------------------------------------------------------------
    let databaseUrl: string | undefined;
    if (serverUrl) {
      const fresh = await freshDatabase(serverUrl, 'wirehub_bench');
      dbName = fresh.name;
      databaseUrl = fresh.url;
      console.log(`database: PostgreSQL ${fresh.version}, fresh database ${dbName} on ${fresh.host}`);
    } else {
      console.log(`database: embedded PGlite in ${dataDir} (inside the Wirehub process)`);
    }

    // --- sink -----------------------------------------------------------------------------------
    const { child: sinkChild, port: sinkPort } = await forkSink(path.join(import.meta.dirname, 'sink.ts'), (c) => (sink = c));
    const sinkClient = new SinkClient(sinkChild);
    // Clock check between the two processes (both use performance.timeOrigin + performance.now()).
    const c0 = wallNow();
    const sinkClock = await sinkClient.ask({ op: 'now' });
    const c1 = wallNow();
    const clockSkew = sinkClock - (c0 + c1) / 2;

    // --- wirehub --------------------------------------------------------------------------------
    const extraEnv = benchWirehubEnv();
    const secretKey = randomBytes(32).toString('hex');
    const nodeArgs = (process.env.BENCH_WIREHUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
    // bench:compare points this at another revision's checkout, so both are measured by the same harness.
    const wirehubDir = path.resolve(process.env.BENCH_WIREHUB_DIR || path.join(import.meta.dirname, '..'));
    const entry = wirehubEntry(wirehubDir);
    const startWirehubProcess: StartWirehub = async (role, o = {}) => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const tag = o.tag ?? role;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        WIREHUB_ROLE: role,
        WIREHUB_ALLOW_PRIVATE_DESTINATIONS: 'true',
        WIREHUB_DATA_DIR: tag === 'all' ? dataDir : path.join(dataDir, tag),
        WIREHUB_API_RATE_LIMIT: '1000000',
        WIREHUB_SECRET_KEY: secretKey,
        DATABASE_URL: o.databaseUrl ?? databaseUrl ?? '',
        ...o.defaults,
        ...extraEnv,
        ...o.env,
      };
      const log = fs.createWriteStream(path.join(dataDir, `wirehub-${tag}.log`));
      // After npm start's own flags, so that BENCH_WIREHUB_NODE_ARGS overrides them (a heap cap, say).
      const child = spawn(process.execPath, [...entry.slice(0, -1), ...nodeArgs, ...entry.slice(-1)], {
        cwd: wirehubDir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      wirehubs.push(child);
      const label = tag === 'all' ? 'wirehub' : `wirehub ${tag}`;
      let echoed = 0;
      let up = false;
      const echo = (chunk: Buffer) => {
        log.write(chunk);
        if (o.quiet && up) return;
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          if (echoed++ < 20) console.log(`  [${label}] ${line.slice(0, 300)}`);
        }
      };
      child.stdout?.on('data', echo);
      child.stderr?.on('data', echo);
      let exited = false;
      let expected = false;
      child.once('exit', (code, signal) => {
        exited = true;
        if (!cleaned && !expected) console.error(`  [${label}] exited unexpectedly (code ${code}, signal ${signal})`);
      });
      // A first embedded start runs initdb (3.5-9 s on a quiet machine, far more on a busy one).
      await waitUntil(`${label} /healthz`, serverUrl ? 60_000 : 180_000, async () => {
        if (exited) throw new Error(`${label} exited during start-up`);
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
        return res.ok;
      }).catch((err: Error) => {
        throw exited ? new Error(`${label} exited during start-up; see the log above`) : err;
      });
      up = true;
      return {
        child,
        pid: child.pid as number,
        base,
        tag,
        kill: () => {
          expected = true;
          child.kill('SIGKILL');
        },
        stop: (graceMs = 30_000) => {
          expected = true;
          return stopChild(child, graceMs);
        },
      };
    };
    // BENCH_TOPOLOGY=split runs the API and the delivery worker as two processes (PostgreSQL only).
    const split = process.env.BENCH_TOPOLOGY === 'split';
    if (split && !serverUrl) throw new Error('BENCH_TOPOLOGY=split needs DATABASE_URL (the embedded database is one process)');
    const started = split ? [await startWirehubProcess('api'), await startWirehubProcess('worker')] : [await startWirehubProcess('all')];
    const base = started[0].base;
    const wirehubPids = started.map((w) => w.child.pid as number);
    rssPids = wirehubPids;
    // Idle: started, nothing asked of it yet (what a quiet install holds).
    await sleep(2_000);
    const idleRssMb = wirehubPids.map((pid) => procMemKb(pid).rss / 1024);
    meter = new Meter(wirehubPids, sinkChild.pid as number);
    console.log(
      `wirehub: ${split ? `api pid ${wirehubPids[0]} + worker pid ${wirehubPids[1]}` : `pid ${wirehubPids[0]} (API and worker)`} at ${base} ` +
        `(ready after ${fmt((performance.now() - t0) / 1000, 1)} s); sink: pid ${sinkChild.pid} at 127.0.0.1:${sinkPort}; clock skew sink−bench ${fmt(clockSkew, 2)} ms`,
    );

    // --- set-up through the API -------------------------------------------------------------------
    const signup = await api<{ token: string }>(base, 'POST', '/auth/signup', null, {
      email: `bench${Date.now()}@example.test`,
      password: 'correct horse battery staple',
      name: 'Bench',
      workspace: 'Bench Co',
    });
    const key = (await api<{ key: string }>(base, 'POST', '/api-keys', signup.token, { name: 'bench', scopes: ['read', 'write'] })).key;
    const source = await api<{ id: string; url: string }>(base, 'POST', '/sources', key, { name: 'bench-source' });
    const destination = await api<{ id: string }>(base, 'POST', '/destinations', key, {
      name: 'bench-sink',
      config: { url: `http://127.0.0.1:${sinkPort}/hook` },
    });
    // BENCH_TRANSFORMATION=1: every delivery first runs a small transformation in the sandbox (the body's seq is kept for the sink).
    const rules = process.env.BENCH_TRANSFORMATION === '1' ? [{ type: 'transformation', transformation: { name: 'bench', code: TRANSFORMATION_CODE } }] : [];
    const connection = await api<{ id: string }>(base, 'POST', '/connections', key, {
      name: 'bench',
      source_id: source.id,
      destination_id: destination.id,
      rules,
    });
    const ingestPath = `/e/${source.id}`;
    console.log(
      `set-up: source ${source.id} → destination ${destination.id} (sink) via connection ${connection.id}${rules.length ? ' with a transformation' : ''}; body ${bodyBytes} B, ${connections} client connections\n`,
    );

    pool = new Pool(base, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
    const loadPool = pool;
    let seq = 0; // one numbering for every request of the run, inbound or published
    /**
     * The accepted requests of some runs and the sink paths each must reach (one per destination):
     * drain() waits (bounded) until the sink has every accepted one at every path, or progress stops.
     */
    const ledger = (paths: string[]) => {
      const runs: LoadResult[] = []; // not yet handed to drain()
      const allRuns: LoadResult[] = [];
      const undelivered = new Map(paths.map((p) => [p, [] as number[]]));
      const drain = async (what: string): Promise<void> => {
        for (const r of runs.splice(0)) {
          for (const list of undelivered.values()) for (let i = 0; i < r.offered; i++) if (!Number.isNaN(r.acceptedAtWall[i])) list.push(r.seqBase + i);
          allRuns.push(r);
        }
        const deadline = Date.now() + drainTimeoutMs;
        let lastChange = Date.now();
        for (;;) {
          let before = 0;
          let left = 0;
          for (const [p, list] of undelivered) {
            before += list.length;
            const now = list.length > 0 ? await sinkClient.ask({ op: 'missing', path: p, seqs: list }) : list;
            undelivered.set(p, now);
            left += now.length;
          }
          if (left === 0) return;
          if (left !== before) lastChange = Date.now();
          if (Date.now() - lastChange > 20_000 || Date.now() > deadline) {
            const where = paths.length > 1 ? ` (${[...undelivered].map(([p, l]) => `${fmtInt(l.length)} at ${p}`).join(', ')})` : '';
            console.log(`  ! ${what}: delivery stalled with ${left} accepted events not delivered${where}`);
            return;
          }
          await sleep(100);
        }
      };
      return { runs, allRuns, drain };
    };
    const hook = ledger([HOOK_PATH]);
    const allRuns = hook.allRuns;
    const run = async (phase: string, rate: number, secs: number) => {
      const r = await openLoop({
        pool: loadPool,
        path: ingestPath,
        rate,
        seconds: secs,
        seqBase: seq,
        phase,
        bodyBytes,
        timeoutMs: 10_000,
        maxInFlight: 20_000,
      });
      seq += r.offered;
      hook.runs.push(r);
      return r;
    };
    const drain = async (what: string): Promise<SinkStats> => {
      await hook.drain(what);
      return sinkClient.ask({ op: 'stats' });
    };

    // --- warm-up ----------------------------------------------------------------------------------
    const warm = await run('warmup', 500, 3);
    await drain('warm-up');
    console.log(`warm-up: ${ingestLine(warm)}\n`);

    // --- phase 3b: overload (issue 15, item 4) ----------------------------------------------------------
    type Overload = {
      r: LoadResult;
      cpu: CpuShare;
      stored: number | null;
      storedRefused: number;
      storedUnanswered: number;
      missing: number;
      ok: boolean;
      met: boolean;
    };
    const phaseMeter = meter;
    const overloadPhase = async (rate: number): Promise<Overload> => {
      const secs = envNumber('BENCH_OVERLOAD_SECONDS', 10);
      const conns = Math.round(envNumber('BENCH_OVERLOAD_CONNECTIONS', 1024));
      console.log(`phase 3b: overload: ${fmtInt(rate)}/s offered for ${secs} s over up to ${fmtInt(conns)} connections (delivery running alongside)`);
      // Many connections, as many senders would use: with the main pool's 128, the excess would
      // queue in this process and never reach Wirehub, whose queue is what is measured here.
      const wide = new Pool(base, { connections: conns, pipelining: 1, keepAliveTimeout: 60_000 });
      const a = phaseMeter.mark();
      const r = await openLoop({
        pool: wide,
        path: ingestPath,
        rate,
        seconds: secs,
        seqBase: seq,
        phase: 'overload',
        bodyBytes,
        timeoutMs: 30_000,
        maxInFlight: 50_000,
      });
      const b = phaseMeter.mark();
      await wide.close();
      seq += r.offered;
      hook.runs.push(r);
      await drain('overload');
      // The ledger of this phase: which requests are stored, by seq. On PostgreSQL from the requests
      // table itself; embedded, from the sink (every stored request of the source is delivered there).
      const storedSeqs = new Set<number>();
      let stored: number | null = null;
      if (databaseUrl) {
        const c = new pg.Client({ connectionString: databaseUrl });
        await c.connect();
        const { rows } = await c.query<{ seq: number }>(
          `SELECT (convert_from(body, 'UTF8')::jsonb->>'seq')::int AS seq FROM requests WHERE source_id = $1 AND position('"phase":"overload"'::bytea IN body) > 0`,
          [source.id],
        );
        await c.end();
        stored = rows.length;
        for (const row of rows) storedSeqs.add(row.seq - r.seqBase);
      } else {
        const arrivals = await sinkClient.ask({ op: 'arrivals', from: r.seqBase, to: r.seqBase + r.offered });
        for (let i = 0; i < r.offered; i++) if (arrivals[i] >= 0) storedSeqs.add(i);
      }
      let missing = 0;
      let storedRefused = 0;
      let storedUnanswered = 0;
      for (let i = 0; i < r.offered; i++) {
        if (r.status[i] === 200 && !storedSeqs.has(i)) missing++;
        if (r.status[i] === 503 && storedSeqs.has(i)) storedRefused++;
        if (r.status[i] === 0 && storedSeqs.has(i)) storedUnanswered++;
      }
      const refused = r.status.reduce((n, st) => n + (st === 503 ? 1 : 0), 0);
      const withoutRetryAfter = r.errors.get('HTTP 503 without Retry-After') ?? 0;
      const ok =
        missing === 0 &&
        storedRefused === 0 &&
        withoutRetryAfter === 0 &&
        storedSeqs.size === r.accepted + storedUnanswered &&
        (stored === null || stored === storedSeqs.size);
      const p99 = percentile(r.latency, 99);
      const cpu = Meter.share(a, b);
      console.log(`  ${ingestLine(r)}`);
      console.log(
        `  accepted ${fmtInt(r.accepted / secs)}/s (p50 ${fmt(percentile(r.latency, 50))} ms, p99 ${fmt(p99)} ms), refused 503 ${fmtInt(refused / secs)}/s ` +
          `(p50 ${fmt(percentile(r.refusedLatency, 50))} ms, p99 ${fmt(percentile(r.refusedLatency, 99))} ms; without Retry-After ${fmtInt(withoutRetryAfter)})`,
      );
      console.log(
        `  ledger: ${fmtInt(r.accepted)} answered 200, ${stored === null ? 'stored (by the sink)' : `${fmtInt(stored)} stored (requests table)`}; ` +
          `200 not stored ${fmtInt(missing)}, 503 stored ${fmtInt(storedRefused)}, unanswered but stored ${fmtInt(storedUnanswered)} → ${ok ? 'exact' : 'MISMATCH'}`,
      );
      console.log(`    cpu: ${cpuText(cpu)}\n`);
      return { r, cpu, stored, storedRefused, storedUnanswered, missing, ok, met: ok && p99 < 200 && refused > 0 };
    };
    const overloadRow = (o: Overload): string[] => [
      `overload @ ${fmtInt(o.r.rate)}/s offered`,
      `${fmtInt(o.r.accepted / o.r.seconds)}/s accepted, p50 ${fmt(percentile(o.r.latency, 50))} ms, p99 ${fmt(percentile(o.r.latency, 99))} ms; ` +
        `${fmtInt(o.r.refusedLatency.length / o.r.seconds)}/s refused 503 (p99 ${fmt(percentile(o.r.refusedLatency, 99))} ms); ledger ${o.ok ? 'exact' : 'MISMATCH'}`,
      'accepted p99 < 200 ms, the rest 503 + Retry-After, ledger exact',
      o.met ? 'met' : 'MISSED',
    ];
    if (process.env.BENCH_ONLY === 'overload') {
      const o = await overloadPhase(envNumber('BENCH_OVERLOAD_RATE', 5000));
      console.log(
        `summary (${serverUrl ? 'PostgreSQL' : 'embedded PGlite'}; overload only; ${os.cpus().length} cores; ${fmt((performance.now() - t0) / 1000, 0)} s):`,
      );
      console.log(table([['metric', 'result', 'goal', 'status'], overloadRow(o)]));
      return;
    }

    // --- phase 1: ingest throughput (delivery running alongside, as in production) ------------------
    type Step = { r: LoadResult; duringPerSec: number; stepDeliveryPerSec: number; drainedAfterMs: number; cpu: CpuShare; met: boolean };
    const steps: Step[] = [];
    console.log('phase 1: ingest throughput (open loop; the delivery worker runs alongside)');
    for (const rate of rates) {
      const a = meter.mark();
      const r = await run('ingest', rate, seconds);
      const b = meter.mark();
      const during = await sinkClient.ask({ op: 'window', from: r.startWall, to: r.startWall + seconds * 1000 });
      await drain(`ingest ${rate}/s`);
      const range = await sinkClient.ask({ op: 'seqRange', from: r.seqBase, to: r.seqBase + r.offered });
      const met = r.accepted >= 0.99 * r.offered && percentile(r.latency, 99) < 50;
      const step: Step = {
        r,
        duringPerSec: during.count / seconds,
        stepDeliveryPerSec: range.count > 1 ? range.count / ((range.last - range.first) / 1000) : NaN,
        drainedAfterMs: range.count > 0 ? range.last - r.endWall : NaN,
        cpu: Meter.share(a, b),
        met,
      };
      steps.push(step);
      console.log(`  ${ingestLine(r)}`);
      console.log(
        `    deliveries: ${fmtInt(step.duringPerSec)}/s while ingesting; this step's ${fmtInt(range.count)} events delivered at ${fmtInt(step.stepDeliveryPerSec)}/s ` +
          `(first→last delivery), last one ${fmt(step.drainedAfterMs / 1000)} s after ingest ended`,
      );
      console.log(`    cpu while ingesting: ${cpuText(step.cpu)}`);
      if (!met) break;
    }
    console.log();

    // --- phase 2: delivery throughput (drain of a paused backlog) ------------------------------------
    console.log('phase 2: delivery throughput (backlog ingested while the connection is paused, then unpaused)');
    await api(base, 'PUT', `/connections/${connection.id}/pause`, key);
    await sleep(1_100); // past the routing cache's TTL, whatever process served the change
    const statements = databaseUrl ? await StatementProfile.open(databaseUrl) : null;
    if (databaseUrl && !statements) console.log('  (no statement profile: this PostgreSQL does not preload pg_stat_statements)');
    await statements?.reset();
    const c2a = meter.mark();
    const fill = await run('backlog', backlogRate, backlog / backlogRate);
    const c2b = meter.mark();
    const fillCpu = Meter.share(c2a, c2b);
    console.log(`  ingest with delivery paused: ${ingestLine(fill)}`);
    console.log(`    cpu: ${cpuText(fillCpu)}; per stored request ${perEventText(fillCpu, fill.accepted)}`);
    if (statements) {
      console.log(`  PostgreSQL statements per stored request (pg_stat_statements):\n${await statements.report(fill.accepted, 'request')}`);
      await statements.reset();
    }
    const before = await sinkClient.ask({ op: 'stats' });
    const c2c = meter.mark();
    const unpausedAt = wallNow();
    await api(base, 'PUT', `/connections/${connection.id}/unpause`, key);
    const unpauseMs = wallNow() - unpausedAt;
    const after = await drain('backlog drain');
    const c2d = meter.mark();
    const drained = await sinkClient.ask({ op: 'seqRange', from: fill.seqBase, to: fill.seqBase + fill.offered });
    const drainSeconds = drained.count > 0 ? (drained.last - unpausedAt) / 1000 : NaN;
    const drainPerSec = drained.count / drainSeconds;
    const drainCpu = Meter.share(c2c, c2d);
    console.log(
      `  drained ${fmtInt(drained.count)}/${fmtInt(fill.accepted)} events in ${fmt(drainSeconds, 2)} s from the unpause call = ${fmtInt(drainPerSec)} deliveries/s ` +
        `(unpause call took ${fmtInt(unpauseMs)} ms; first delivery +${fmtInt(drained.first - unpausedAt)} ms; sink saw ${fmtInt(after.deliveries - before.deliveries)} requests)`,
    );
    console.log(`    cpu while draining: ${cpuText(drainCpu)}; per delivery ${perEventText(drainCpu, drained.count)}\n`);
    if (statements) {
      console.log(`  PostgreSQL statements per delivered event (pg_stat_statements):\n${await statements.report(drained.count, 'event')}\n`);
      await statements.close();
    }

    // --- phase 3: end-to-end latency at a fixed rate -------------------------------------------------
    console.log(`phase 3: end-to-end latency at ${e2eRate} events/s (ingest 200 received → sink arrival)`);
    const c3a = meter.mark();
    const e2e = await run('e2e', e2eRate, e2eSeconds);
    await drain('end-to-end');
    const c3b = meter.mark();
    const arrivals = await sinkClient.ask({ op: 'arrivals', from: e2e.seqBase, to: e2e.seqBase + e2e.offered });
    const e2eLat: number[] = [];
    let e2eMissing = 0;
    for (let i = 0; i < e2e.offered; i++) {
      const acc = e2e.acceptedAtWall[i];
      if (Number.isNaN(acc)) continue;
      if (arrivals[i] < 0) e2eMissing++;
      else e2eLat.push(arrivals[i] - clockSkew - acc);
    }
    const e2eSorted = sortedOf(e2eLat);
    const e2eP50 = percentile(e2eSorted, 50);
    const e2eP99 = percentile(e2eSorted, 99);
    console.log(`  ${ingestLine(e2e)}`);
    console.log(
      `  end-to-end over ${fmtInt(e2eSorted.length)} events: p50 ${fmt(e2eP50)} ms, p90 ${fmt(percentile(e2eSorted, 90))} ms, p99 ${fmt(e2eP99)} ms, ` +
        `max ${fmt(e2eSorted[e2eSorted.length - 1] ?? NaN)} ms; not delivered ${e2eMissing}`,
    );
    console.log(`    cpu: ${cpuText(Meter.share(c3a, c3b))}\n`);

    const overload = phaseOn('BENCH_OVERLOAD') ? await overloadPhase(envNumber('BENCH_OVERLOAD_RATE', 2 * steps[0].r.acceptedPerSec || 5000)) : null;

    // --- phase 4 (BENCH_PUBLISH=1): published events, POST /publish → two webhooks ---------------------
    meter.sample();
    const peakRssPhases13Mb = wirehubPids.map((pid, i) => Math.max(meter?.peakRssKb[i] ?? 0, procMemKb(pid).hwm || 0) / 1024);
    const publishRows: string[][] = [];
    let publishLedgerOk = true;
    let publishUnasked = 0;
    if (publishOn) {
      const PUB_FLAT = '/pub/flat';
      const PUB_NESTED = '/pub/nested';
      const pubPaths = [PUB_FLAT, PUB_NESTED];
      // Both webhooks carry the bench's seq (a field of the published data) so the sink can match
      // each delivery to its publish; the flat one otherwise shapes with JSONata, the nested one by paths.
      const flatHook = await api<{ id: string }>(base, 'POST', '/webhooks', key, {
        name: 'bench-flat',
        url: `http://127.0.0.1:${sinkPort}${PUB_FLAT}`,
        events: ['lead.captured'],
        envelope: 'flat',
        mappings: [
          { to: 'email', expression: '$lowercase(data.email)' },
          { to: 'first_name', expression: '$substringBefore(data.name, " ")' },
          { to: 'seq', from: 'data.seq' },
        ],
      });
      const nestedHook = await api<{ id: string }>(base, 'POST', '/webhooks', key, {
        name: 'bench-nested',
        url: `http://127.0.0.1:${sinkPort}${PUB_NESTED}`,
        events: ['lead.captured'],
        envelope: 'nested',
        mappings: ['name', 'email', 'phone', 'chatbot_name', 'intent', 'seq'].map((f) => ({ to: f, from: `data.${f}` })),
      });
      const webhooks = [flatHook, nestedHook];
      await sleep(1_100); // past the routing cache's TTL, whatever process served the change
      const publishBody = (s: number) =>
        `{"eventType":"lead.captured","customerId":"cus_bench","data":{"name":"Jane Smith","email":"Jane.Smith+${s}@Example.com",` +
        `"phone":"+15555550123","chatbot_name":"Acme Plumbing Bot","intent":"request_quote","seq":${s}}}`;
      const pub = ledger(pubPaths);
      const publish = async (phase: string, rate: number, secs: number) => {
        const r = await openLoop({
          pool: loadPool,
          path: '/api/v1/publish',
          rate,
          seconds: secs,
          seqBase: seq,
          phase,
          bodyBytes,
          timeoutMs: 10_000,
          maxInFlight: 20_000,
          body: publishBody,
          headers: { authorization: `Bearer ${key}` },
          okStatus: 202,
          captureEventIds: true,
        });
        seq += r.offered;
        pub.runs.push(r);
        return r;
      };
      /** Deliveries of one run's seqs summed over both webhooks, with the first and last arrival. */
      const pubRange = async (r: LoadResult) => {
        const per = await Promise.all(pubPaths.map((p) => sinkClient.ask({ op: 'seqRange', path: p, from: r.seqBase, to: r.seqBase + r.offered })));
        return { per, count: per.reduce((a, x) => a + x.count, 0), first: Math.min(...per.map((x) => x.first)), last: Math.max(...per.map((x) => x.last)) };
      };
      const usPer = (c: CpuShare, n: number) => fmtInt(((c.wirehub * c.seconds) / n) * 1e6);
      /**
       * drain() waits for the publishes that were answered 202; one answered after the client's
       * timeout is stored and delivered all the same. Waits (bounded) until the sink has had no
       * delivery at either webhook for 2 s, so that no leftover work runs into the next measurement.
       */
      const settle = async () => {
        const deadline = Date.now() + drainTimeoutMs;
        let last = -1;
        let quietSince = Date.now();
        for (;;) {
          let n = 0;
          for (const p of pubPaths) n += (await sinkClient.ask({ op: 'stats', path: p })).deliveries;
          if (n !== last) {
            last = n;
            quietSince = Date.now();
          } else if (Date.now() - quietSince >= 2_000 || Date.now() > deadline) return;
          await sleep(200);
        }
      };

      console.log(
        `phase 4: published events (POST /publish lead.captured, API key, 202) fanned out to two webhooks: ` +
          `${PUB_FLAT} (flat envelope, 2 JSONata expressions + seq by path), ${PUB_NESTED} (nested envelope, 6 paths)`,
      );
      const pwarm = await publish('publish-warmup', 200, 2);
      await pub.drain('publish warm-up');
      await settle();
      console.log(`  warm-up: ${ingestLine(pwarm)}`);

      // 4a: publish throughput, delivery to both webhooks running alongside (as in production).
      console.log('  4a: publish throughput (open loop; delivery to both webhooks runs alongside)');
      for (const rate of publishRates) {
        const a = meter.mark();
        const r = await publish('publish', rate, publishSeconds);
        const b = meter.mark();
        let during = 0;
        for (const p of pubPaths) during += (await sinkClient.ask({ op: 'window', path: p, from: r.startWall, to: r.startWall + publishSeconds * 1000 })).count;
        await pub.drain(`publish ${rate}/s`);
        await settle();
        const range = await pubRange(r);
        const cpu = Meter.share(a, b);
        console.log(`    ${ingestLine(r)}`);
        console.log(
          `      deliveries (both webhooks): ${fmtInt(during / publishSeconds)}/s while publishing; this step's ${fmtInt(range.count)} deliveries at ` +
            `${fmtInt(range.count / ((range.last - range.first) / 1000))}/s (first→last), last one ${fmt((range.last - r.endWall) / 1000)} s after publishing ended`,
        );
        console.log(`      cpu while publishing: ${cpuText(cpu)}`);
        publishRows.push([
          `publish @ ${fmtInt(rate)}/s offered, delivery running`,
          `${fmtInt(r.acceptedPerSec)}/s accepted, p50 ${fmt(percentile(r.latency, 50))} ms, p99 ${fmt(percentile(r.latency, 99))} ms; errors: ${errorsText(r.errors)}`,
          '',
          '',
        ]);
      }

      // 4b: delivery drain of a published backlog, two deliveries per event.
      console.log(`  4b: delivery throughput (${fmtInt(publishBacklog)} events published while both webhooks are paused, then both resumed)`);
      for (const w of webhooks) await api(base, 'POST', `/webhooks/${w.id}/pause`, key);
      await sleep(1_100);
      const f0 = meter.mark();
      const pfill = await publish('publish-backlog', publishBacklogRate, publishBacklog / publishBacklogRate);
      const f1 = meter.mark();
      const fillCpu = Meter.share(f0, f1);
      console.log(`    publish with delivery paused: ${ingestLine(pfill)}`);
      const d0 = meter.mark();
      const resumedAt = wallNow();
      await Promise.all(webhooks.map((w) => api(base, 'POST', `/webhooks/${w.id}/resume`, key)));
      const resumeMs = wallNow() - resumedAt;
      await pub.drain('published backlog drain');
      const d1 = meter.mark();
      await settle(); // publishes stored after their client gave up are part of the backlog too
      const pdrained = await pubRange(pfill);
      const stored = Math.max(...pdrained.per.map((x) => x.count)); // each stored publish is delivered to both
      const pDrainSeconds = pdrained.count > 0 ? (pdrained.last - resumedAt) / 1000 : NaN;
      const pDrainPerSec = pdrained.count / pDrainSeconds;
      const pDrainCpu = Meter.share(d0, d1);
      console.log(`      cpu: ${cpuText(fillCpu)}; Wirehub ${usPer(fillCpu, stored)} µs CPU per stored publish (${fmtInt(stored)} stored)`);
      console.log(
        `    drained ${fmtInt(pdrained.count)}/${fmtInt(2 * stored)} deliveries (2 × ${fmtInt(stored)} stored publishes, ${fmtInt(pfill.accepted)} of them answered 202 in time) in ${fmt(pDrainSeconds, 2)} s from the resume calls = ${fmtInt(pDrainPerSec)} deliveries/s ` +
          `(${pubPaths.map((p, i) => `${p} ${fmtInt(pdrained.per[i].count)}, last +${fmt((pdrained.per[i].last - resumedAt) / 1000, 2)} s`).join('; ')}; ` +
          `resume calls took ${fmtInt(resumeMs)} ms; first delivery +${fmtInt(pdrained.first - resumedAt)} ms)`,
      );
      console.log(`      cpu while draining: ${cpuText(pDrainCpu)}; Wirehub ${usPer(pDrainCpu, pdrained.count)} µs CPU per delivery`);
      publishRows.push([
        `publish, delivery paused, ${fmtInt(publishBacklogRate)}/s offered`,
        `${fmtInt(pfill.acceptedPerSec)}/s accepted, p99 ${fmt(percentile(pfill.latency, 99))} ms; Wirehub ${usPer(fillCpu, stored)} µs CPU per publish`,
        '',
        '',
      ]);
      publishRows.push([
        'published delivery (backlog drain, 2 webhooks)',
        `${fmtInt(pDrainPerSec)} deliveries/s (${fmtInt(pdrained.count)} in ${fmt(pDrainSeconds, 2)} s); Wirehub ${usPer(pDrainCpu, pdrained.count)} µs CPU per delivery`,
        '',
        '',
      ]);

      // 4c: end-to-end latency, 202 received → arrival at each webhook.
      console.log(`  4c: end-to-end latency at ${fmtInt(publishE2eRate)} published events/s (202 received → sink arrival, at each webhook)`);
      const e0 = meter.mark();
      const pe2e = await publish('publish-e2e', publishE2eRate, publishE2eSeconds);
      await pub.drain('published end-to-end');
      await settle();
      const e1 = meter.mark();
      console.log(`    ${ingestLine(pe2e)}`);
      const allLat: number[] = [];
      const perPathLat: string[] = [];
      for (const p of pubPaths) {
        const arr = await sinkClient.ask({ op: 'arrivals', path: p, from: pe2e.seqBase, to: pe2e.seqBase + pe2e.offered });
        const lat: number[] = [];
        let missing = 0;
        for (let i = 0; i < pe2e.offered; i++) {
          const acc = pe2e.acceptedAtWall[i];
          if (Number.isNaN(acc)) continue;
          if (arr[i] < 0) missing++;
          else lat.push(arr[i] - clockSkew - acc);
        }
        allLat.push(...lat);
        const sorted = sortedOf(lat);
        const line = `p50 ${fmt(percentile(sorted, 50))} ms, p99 ${fmt(percentile(sorted, 99))} ms`;
        perPathLat.push(`${p} ${line}`);
        console.log(
          `    ${p}: ${fmtInt(sorted.length)} events, p50 ${fmt(percentile(sorted, 50))} ms, p90 ${fmt(percentile(sorted, 90))} ms, p99 ${fmt(percentile(sorted, 99))} ms, ` +
            `max ${fmt(sorted[sorted.length - 1] ?? NaN)} ms; not delivered ${missing}`,
        );
      }
      const allSorted = sortedOf(allLat);
      console.log(`    both: p50 ${fmt(percentile(allSorted, 50))} ms, p99 ${fmt(percentile(allSorted, 99))} ms`);
      console.log(`      cpu: ${cpuText(Meter.share(e0, e1))}`);
      publishRows.push([
        `published end-to-end @ ${fmtInt(publishE2eRate)}/s`,
        `p50 ${fmt(percentile(allSorted, 50))} ms, p99 ${fmt(percentile(allSorted, 99))} ms (${perPathLat.join('; ')}); publish 202 p99 ${fmt(percentile(pe2e.latency, 99))} ms`,
        '',
        '',
      ]);

      // 4d: every accepted publish reached each webhook exactly once, under the eventId it was answered with.
      await pub.drain('published ledger');
      await settle();
      const acceptedPub = new Map<number, string | undefined>(); // seq → eventId in the 202
      for (const r of pub.allRuns) for (let i = 0; i < r.offered; i++) if (!Number.isNaN(r.acceptedAtWall[i])) acceptedPub.set(r.seqBase + i, r.eventIds[i]);
      const distinctEventIds = new Set(acceptedPub.values()).size;
      console.log(`  4d: ledger: ${fmtInt(acceptedPub.size)} publishes answered 202 with ${fmtInt(distinctEventIds)} distinct eventIds`);
      const ledgerCells: string[] = [];
      for (const p of pubPaths) {
        const st = await sinkClient.ask({ op: 'stats', path: p });
        const got = new Map(await sinkClient.ask({ op: 'seqIds', path: p }));
        let missing = 0;
        let wrongId = 0;
        let unasked = 0;
        for (const [s, id] of acceptedPub) {
          const seen = got.get(s);
          if (seen === undefined) missing++;
          else if (seen !== id) wrongId++;
        }
        for (const s of got.keys()) if (!acceptedPub.has(s)) unasked++;
        publishUnasked = Math.max(publishUnasked, unasked);
        const ok =
          missing === 0 &&
          wrongId === 0 &&
          st.duplicateIds === 0 &&
          st.duplicateSeqs === 0 &&
          st.badBodies === 0 &&
          st.deliveries === acceptedPub.size + unasked;
        publishLedgerOk &&= ok;
        console.log(
          `    ${p}: ${fmtInt(st.deliveries)} deliveries, ${fmtInt(st.uniqueIds)} distinct webhook-ids; missing ${fmtInt(missing)}, ` +
            `duplicates ${fmtInt(st.duplicateIds)} (same webhook-id) + ${fmtInt(st.duplicateSeqs)} (same publish, other id), webhook-id ≠ the 202's eventId ${fmtInt(wrongId)}, ` +
            `bodies without seq ${fmtInt(st.badBodies)}, unasked ${fmtInt(unasked)} → ${ok ? 'exactly once' : 'MISMATCH'}`,
        );
        ledgerCells.push(
          `${p} ${fmtInt(st.uniqueIds)} ids / ${fmtInt(st.deliveries)} deliveries, missing ${fmtInt(missing)}, dup. ${fmtInt(st.duplicateIds + st.duplicateSeqs)}`,
        );
      }
      const stray = Object.entries(await sinkClient.ask({ op: 'paths' })).filter(([p]) => p !== HOOK_PATH && !pubPaths.includes(p));
      if (stray.length) {
        publishLedgerOk = false;
        console.log(`    ! deliveries to paths no destination uses: ${stray.map(([p, n]) => `${p} ×${n}`).join(', ')}`);
      }
      if (distinctEventIds !== acceptedPub.size) publishLedgerOk = false;
      publishRows.push([
        'published ledger',
        `${fmtInt(acceptedPub.size)} accepted (${fmtInt(distinctEventIds)} eventIds); ${ledgerCells.join('; ')}`,
        'each webhook: every event once',
        publishLedgerOk ? 'met' : 'MISSED',
      ]);
      console.log();
    }

    // --- ledger -----------------------------------------------------------------------------------
    const finalStats = await drain('final ledger');
    const deliveredSeqs = new Set(await sinkClient.ask({ op: 'seqs' }));
    let acceptedMissing = 0;
    let deliveredNotAccepted = 0;
    const acceptedSeqs = new Set<number>();
    for (const r of allRuns) for (let i = 0; i < r.offered; i++) if (!Number.isNaN(r.acceptedAtWall[i])) acceptedSeqs.add(r.seqBase + i);
    for (const s of acceptedSeqs) if (!deliveredSeqs.has(s)) acceptedMissing++;
    for (const s of deliveredSeqs) if (!acceptedSeqs.has(s)) deliveredNotAccepted++;
    meter.sample();
    const peakRssMb = wirehubPids.map((pid, i) => Math.max(meter?.peakRssKb[i] ?? 0, procMemKb(pid).hwm || 0) / 1024);

    // --- PostgreSQL table statistics (where the database's time goes) ----------------------------------
    if (databaseUrl) {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      type TableStats = {
        relname: string;
        seq_scan: number;
        seq_tup_read: number;
        idx_scan: number | null;
        n_tup_ins: number;
        n_tup_upd: number;
        n_tup_hot_upd: number;
        n_dead_tup: number;
      };
      const { rows: tables } = await c.query<TableStats>(
        `SELECT relname, seq_scan::float8, seq_tup_read::float8, idx_scan::float8, n_tup_ins::float8, n_tup_upd::float8, n_tup_hot_upd::float8, n_dead_tup::float8
         FROM pg_stat_user_tables WHERE seq_scan + coalesce(idx_scan, 0) + n_tup_ins + n_tup_upd > 0 ORDER BY seq_tup_read DESC, relname`,
      );
      await c.end();
      console.log('PostgreSQL tables (whole run):');
      console.log(
        table([
          ['table', 'seq scans', 'rows read by seq scans', 'index scans', 'inserted', 'updated (HOT)', 'dead rows at end'],
          ...tables.map((t) => [
            t.relname,
            fmtInt(t.seq_scan),
            fmtInt(t.seq_tup_read),
            fmtInt(t.idx_scan ?? 0),
            fmtInt(t.n_tup_ins),
            `${fmtInt(t.n_tup_upd)} (${fmtInt(t.n_tup_hot_upd)})`,
            fmtInt(t.n_dead_tup),
          ]),
        ]),
      );
      console.log();
    }

    // --- phases 5 and 6 (issue 13): Wirehub processes of their own, so the main one stops first ------
    meter.stop();
    await Promise.all(started.map((w) => w.stop()));
    const faultRows: string[][] = [];
    const faultCtx: FaultPhaseContext = {
      serverUrl,
      freshDatabase: async (prefix) => {
        if (!serverUrl) throw new Error('no DATABASE_URL');
        const fresh = await freshDatabase(serverUrl, prefix);
        phaseDbNames.push(fresh.name);
        return fresh.url;
      },
      startWirehub: startWirehubProcess,
      extraEnv,
      sink: sinkClient,
      sinkPort,
      sinkPid: sinkChild.pid as number,
      clockSkew,
      bodyBytes,
    };
    for (const [knob, name, phase] of [
      ['BENCH_ISOLATION', 'phase 5: isolation', isolationPhase],
      ['BENCH_FAILOVER', 'phase 6: fail-over', failoverPhase],
    ] as const) {
      if (!phaseOn(knob)) {
        console.log(`${name}: skipped (${knob}=${process.env[knob]})\n`);
        continue;
      }
      // A phase that breaks costs its own rows, not the summary of the others.
      faultRows.push(
        ...(await phase(faultCtx).catch((err: Error) => {
          console.log(`  ! ${name} crashed: ${err.stack ?? err.message}\n`);
          return [[name, `crashed: ${err.message.slice(0, 200)}`, '', 'MISSED']];
        })),
      );
    }

    // --- summary ------------------------------------------------------------------------------------
    const best = steps.filter((s) => s.met).at(-1) ?? steps[0];
    const first = steps[0];
    const goal = (ok: boolean) => (ok ? 'met' : 'MISSED');
    // Met when every offered request of a ≥ 3,000/s run was accepted (≥ 99%) and p99 stayed under 50 ms.
    const ingestOk = first.met && first.r.rate >= 3000;
    const rows: string[][] = [['metric', 'result', 'goal', 'status']];
    rows.push([
      `ingest @ ${fmtInt(first.r.rate)}/s offered`,
      `${fmtInt(first.r.acceptedPerSec)}/s accepted, p50 ${fmt(percentile(first.r.latency, 50))} ms, p99 ${fmt(percentile(first.r.latency, 99))} ms`,
      '≥ 3,000/s at p99 < 50 ms',
      goal(ingestOk),
    ]);
    for (const s of steps.slice(1)) {
      rows.push([
        `ingest @ ${fmtInt(s.r.rate)}/s offered`,
        `${fmtInt(s.r.acceptedPerSec)}/s accepted, p50 ${fmt(percentile(s.r.latency, 50))} ms, p99 ${fmt(percentile(s.r.latency, 99))} ms`,
        '(step-up)',
        s.met ? 'held' : 'not held',
      ]);
    }
    rows.push([
      'ingest, delivery paused',
      `${fmtInt(fill.acceptedPerSec)}/s accepted at ${fmtInt(fill.rate)}/s offered, p99 ${fmt(percentile(fill.latency, 99))} ms`,
      '',
      '',
    ]);
    rows.push([
      'delivery (paused backlog drain)',
      `${fmtInt(drainPerSec)}/s (${fmtInt(drained.count)} events in ${fmt(drainSeconds, 2)} s)`,
      '≥ 1,500/s',
      goal(drainPerSec >= 1500),
    ]);
    const relayed = Math.min(fill.accepted, drained.count);
    const relay = {
      wirehub: msPer(fillCpu, 'wirehub', relayed) + msPer(drainCpu, 'wirehub', relayed),
      postgres: msPer(fillCpu, 'postgres', relayed) + msPer(drainCpu, 'postgres', relayed),
    };
    rows.push([
      'CPU per relayed event (paused ingest + drain)',
      `Wirehub ${fmt(relay.wirehub, 3)} ms, PostgreSQL ${serverUrl ? `${fmt(relay.postgres, 3)} ms` : 'in Wirehub (embedded)'}`,
      serverUrl ? 'PostgreSQL ≤ 0.25 ms' : '',
      serverUrl ? goal(relay.postgres <= 0.25) : '',
    ]);
    rows.push([
      `delivery during ingest @ ${fmtInt(first.r.rate)}/s`,
      `${fmtInt(first.duringPerSec)}/s while ingesting; ${fmtInt(first.stepDeliveryPerSec)}/s first→last`,
      '',
      '',
    ]);
    rows.push([
      `end-to-end @ ${fmtInt(e2eRate)}/s`,
      `p50 ${fmt(e2eP50)} ms, p99 ${fmt(e2eP99)} ms (${fmtInt(e2eSorted.length)} events)`,
      'p50 ≤ 25 ms, p99 ≤ 250 ms',
      goal(e2eP50 <= 25 && e2eP99 <= 250 && e2eMissing === 0),
    ]);
    const rssText = (mb: number[]) =>
      split ? `api ${fmt(mb[0], 0)} MB + worker ${fmt(mb[1], 0)} MB` : `${fmt(mb[0], 0)} MB${serverUrl ? '' : ' (includes embedded PGlite)'}`;
    // Per process: each of a split deployment's processes has the budget of the one.
    const rssGoal = (mb: number[]) => goal(mb.every((v) => v <= RSS_GOAL_MB));
    rows.push(['Wirehub RSS idle after start', rssText(idleRssMb), `≤ ${RSS_GOAL_MB} MB`, rssGoal(idleRssMb)]);
    rows.push([
      'Wirehub peak RSS (VmHWM)',
      publishOn ? `${rssText(peakRssPhases13Mb)} through phase 3; ${rssText(peakRssMb)} with phase 4` : rssText(peakRssMb),
      `≤ ${RSS_GOAL_MB} MB`,
      rssGoal(peakRssMb),
    ]);
    rows.push([
      'ledger',
      `accepted ${fmtInt(acceptedSeqs.size)}, delivered ${fmtInt(deliveredSeqs.size)} unique, missing ${fmtInt(acceptedMissing)}, ` +
        `duplicates ${fmtInt(finalStats.duplicateIds)} (same event) + ${fmtInt(finalStats.duplicateSeqs)} (same request, other event), unasked ${fmtInt(deliveredNotAccepted)}`,
      'accepted = delivered, 0 dup.',
      goal(acceptedMissing === 0 && finalStats.duplicateIds === 0 && finalStats.duplicateSeqs === 0),
    ]);
    if (overload) rows.push(overloadRow(overload));
    rows.push(...publishRows, ...faultRows);
    console.log(
      `summary (${serverUrl ? 'PostgreSQL' : 'embedded PGlite'}; ${split ? 'API and worker as two processes' : 'one Wirehub process'}; ` +
        `${os.cpus().length} cores; ${fmt((performance.now() - t0) / 1000, 0)} s):`,
    );
    console.log(table(rows));
    // bench:compare reads the headline figures from here rather than parsing the table.
    if (process.env.BENCH_JSON) {
      const figures: BenchFigures = {
        database: serverUrl ? 'postgresql' : 'embedded',
        ingestPausedPerSec: fill.acceptedPerSec,
        drainPerSec,
        ingestPerSec: first.r.acceptedPerSec,
        ingestP99Ms: percentile(first.r.latency, 99),
        e2eP50Ms: e2eP50,
        e2eP99Ms: e2eP99,
        wirehubCpuMsPerEvent: relay.wirehub,
        postgresCpuMsPerEvent: serverUrl ? relay.postgres : NaN,
        peakRssMb: peakRssPhases13Mb.reduce((a, b) => a + b, 0),
        idleRssMb: idleRssMb.reduce((a, b) => a + b, 0),
        ledgerOk: acceptedMissing === 0 && finalStats.duplicateIds === 0 && finalStats.duplicateSeqs === 0,
      };
      fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(figures));
    }
    if (Meter.maxOther > 0.2) {
      console.log(
        `note: other work on this machine used up to ${fmt(Meter.maxOther, 2)} cores during a phase (see "anything else"): those figures understate Wirehub`,
      );
    }
    if (best !== first) console.log(`highest offered rate that held the ingest goal: ${fmtInt(best.r.rate)}/s`);
    if (deliveredNotAccepted > 0 || publishUnasked > 0) {
      console.log('("unasked" = delivered although the client saw no 200 (202 for a publish), e.g. answered after its timeout: at-least-once, not a loss)');
    }
  } finally {
    await cleanup();
  }
}

await main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench crashed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
