/**
 * The gateway bench's phases where receivers and workers misbehave (issue 13). Each starts Wirehub
 * processes of its own (a fresh database on PostgreSQL, a data dir of its own when embedded) and
 * stops them at its end, and answers rows for the bench's summary table.
 *
 * Isolation: one team, one delivery lane (WIREHUB_DELIVERY_LANES=1), three HTTP destinations on
 * the sink: one that never answers (timeout_ms 10,000), one that answers 500 at once, one healthy.
 * A backlog for the hanging one first, then one source fanned out to all three at a fixed rate: the
 * healthy destination's end-to-end latency (ingest 200 → sink arrival) while its neighbours fail.
 * WIREHUB_AUTO_DISABLE_AFTER is raised so that neither bad destination is disabled mid-phase.
 * Before that, after a 3 s warm-up, a control (BENCH_ISOLATION_CONTROL=0 to skip): the same load
 * to three healthy destinations in that lane, which tells a lane that cannot carry the load on this machine apart
 * from neighbours that hold it back.
 *
 * Fail-over (PostgreSQL only): an API process and two workers (WIREHUB_ROLE), a steady stream to
 * destinations spread over every lane, one worker killed with SIGKILL, later a new worker started:
 * how long the dead worker's lanes went without deliveries, duplicates (at least once), losses,
 * and whether the lanes were shared out again.
 *
 * Knobs: BENCH_ISOLATION=0, BENCH_ISOLATION_SECONDS=20, BENCH_ISOLATION_RATE=200,
 *   BENCH_ISOLATION_PRELOAD=200, BENCH_ISOLATION_CONTROL=0, BENCH_ISOLATION_CONTROL_SECONDS=10;
 *   BENCH_FAILOVER=0, BENCH_FAILOVER_SECONDS=24, BENCH_FAILOVER_RATE=200.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Pool } from 'undici';
import { laneOf } from '../server/delivery/lanes.ts';
import { api, envNumber, type StartWirehub, type WirehubProcess } from './harness.ts';
import { openLoop, percentile, sleep, sortedOf, wallNow, type LoadResult } from './load.ts';
import { machineTicks, postgresCpuSeconds, procCpuSeconds } from './measure.ts';
import { fmt, fmtInt, ingestLine } from './report.ts';
import { FAIL_PREFIX, HANG_PREFIX, type SinkClient } from './sink.ts';

export type FaultPhaseContext = {
  /** DATABASE_URL of the server, or null for embedded. */
  serverUrl: string | null;
  /** A fresh database on the server for one phase (dropped when the bench ends); answers its URL. */
  freshDatabase(prefix: string): Promise<string>;
  startWirehub: StartWirehub;
  /** BENCH_WIREHUB_ENV, for what a phase must know of it (the lane count). */
  extraEnv: Record<string, string>;
  sink: SinkClient;
  sinkPort: number;
  sinkPid: number;
  /** Sink clock minus this process's clock (ms). */
  clockSkew: number;
  bodyBytes: number;
};

type SummaryRow = [metric: string, result: string, goal: string, status: string];

/** `BENCH_X=0` (or false/no/off) turns a phase off. */
export function phaseOn(name: string): boolean {
  return !['0', 'false', 'no', 'off'].includes((process.env[name] ?? '').trim().toLowerCase());
}

/** A new team with a read/write API key. */
async function newTeam(base: string, name: string): Promise<string> {
  const signup = await api<{ token: string }>(base, 'POST', '/auth/signup', null, {
    email: `${name}${Date.now()}@example.test`,
    password: 'correct horse battery staple',
    name: 'Bench',
    workspace: name,
  });
  return (await api<{ key: string }>(base, 'POST', '/api-keys', signup.token, { name, scopes: ['read', 'write'] })).key;
}

type Circuit = { state: 'closed' | 'open'; failures: number; opened_at?: string; next_probe_at?: string | null };
type DestinationView = { id: string; disabled_at: string | null; consecutive_failures: number; circuit?: Circuit };

/**
 * CPU in use over a stretch, in cores: the whole machine, and what is left after this phase's
 * Wirehub processes, PostgreSQL, the sink and this process, which is other work skewing the figures.
 * The processes are sampled every 250 ms, so that one killed on the way keeps the CPU it had used.
 */
function cpuWatch(pids: () => number[], sinkPid: number) {
  const lastSeen = new Map<number, number>();
  const sample = () => {
    for (const pid of [...pids(), sinkPid]) {
      const v = procCpuSeconds(pid);
      if (!Number.isNaN(v)) lastSeen.set(pid, v);
    }
  };
  const ours = () => {
    sample();
    const u = process.cpuUsage();
    return [...lastSeen.values()].reduce((n, v) => n + v, 0) + postgresCpuSeconds() + (u.user + u.system) / 1e6;
  };
  const a = { ticks: machineTicks(), ours: ours(), at: performance.now() };
  const timer = setInterval(sample, 250);
  timer.unref();
  return () => {
    clearInterval(timer);
    const ticks = machineTicks();
    const machine = ((ticks.busy - a.ticks.busy) / Math.max(1, ticks.total - a.ticks.total)) * os.cpus().length;
    const other = Math.max(0, machine - (ours() - a.ours) / ((performance.now() - a.at) / 1000));
    return `machine ${fmt(machine, 2)} cores busy, ${fmt(other, 2)} of them other work${other > 0.2 ? ' (these figures understate Wirehub)' : ''}`;
  };
}

/**
 * Waits (bounded) until the sink has, at each path, every seq these runs' accepted requests sent
 * there, or nothing more arrives for `quietMs`; answers how many are still missing.
 */
async function awaitDeliveries(sink: SinkClient, runs: LoadResult[], pathOfSeq: (seq: number) => string, timeoutMs: number, quietMs = 15_000): Promise<number> {
  const wanted = new Map<string, number[]>();
  for (const r of runs) {
    for (let i = 0; i < r.offered; i++) {
      if (Number.isNaN(r.acceptedAtWall[i])) continue;
      const p = pathOfSeq(r.seqBase + i);
      let list = wanted.get(p);
      if (!list) wanted.set(p, (list = []));
      list.push(r.seqBase + i);
    }
  }
  const deadline = Date.now() + timeoutMs;
  let lastLeft = -1;
  let lastChange = Date.now();
  for (;;) {
    let left = 0;
    for (const [p, list] of wanted) {
      const missing = list.length > 0 ? await sink.ask({ op: 'missing', path: p, seqs: list }) : list;
      wanted.set(p, missing);
      left += missing.length;
    }
    if (left === 0) return 0;
    if (left !== lastLeft) {
      lastLeft = left;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > quietMs || Date.now() > deadline) return left;
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// Isolation: a hanging and a failing destination next to a healthy one, in one lane
// ---------------------------------------------------------------------------------------------

/** End-to-end latency (200 received → first arrival at `path`) of a run's accepted requests, overall and per 5 s of the run. */
async function endToEnd(ctx: FaultPhaseContext, run: LoadResult, path: string) {
  const missing = await awaitDeliveries(ctx.sink, [run], () => path, 60_000);
  const arrivals = await ctx.sink.ask({ op: 'arrivals', path, from: run.seqBase, to: run.seqBase + run.offered });
  const all: number[] = [];
  const slices: number[][] = [];
  for (let i = 0; i < run.offered; i++) {
    const acc = run.acceptedAtWall[i];
    if (Number.isNaN(acc) || arrivals[i] < 0) continue;
    const v = arrivals[i] - ctx.clockSkew - acc;
    all.push(v);
    (slices[Math.floor(i / (run.rate * 5))] ??= []).push(v);
  }
  const sorted = sortedOf(all);
  return {
    count: sorted.length,
    missing,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    /** p99 per 5 s of the run: does it hold all along, or only once a circuit has opened? */
    slices: slices.map((v, i) => `${i * 5}–${i * 5 + 5} s ${fmt(percentile(sortedOf(v), 99))} ms`).join(', '),
  };
}
type EndToEnd = Awaited<ReturnType<typeof endToEnd>>;
const e2eText = (e: EndToEnd) =>
  `p50 ${fmt(e.p50)} ms, p90 ${fmt(e.p90)} ms, p99 ${fmt(e.p99)} ms, max ${fmt(e.max)} ms over ${fmtInt(e.count)} events; not delivered ${fmtInt(e.missing)}`;

export async function isolationPhase(ctx: FaultPhaseContext): Promise<SummaryRow[]> {
  const seconds = envNumber('BENCH_ISOLATION_SECONDS', 20);
  const rate = envNumber('BENCH_ISOLATION_RATE', 200);
  const preload = Math.round(envNumber('BENCH_ISOLATION_PRELOAD', 200));
  const controlOn = phaseOn('BENCH_ISOLATION_CONTROL');
  const controlSeconds = envNumber('BENCH_ISOLATION_CONTROL_SECONDS', 10);
  const timeoutMs = 10_000;
  const paths = { hang: `${HANG_PREFIX}isolation`, fail: `${FAIL_PREFIX}isolation`, ok: '/isolation/ok' };
  console.log(
    `phase 5: isolation: one team, one delivery lane, three destinations: ${paths.hang} never answers (timeout_ms ${fmtInt(timeoutMs)}), ` +
      `${paths.fail} answers 500 at once, ${paths.ok} answers 200 at once; ${fmtInt(preload)} events queued for the hanging one, ` +
      `then ${fmtInt(rate)} events/s to each of the three for ${seconds} s` +
      `; first, ${fmtInt(rate)} events/s to each of three healthy destinations in that lane for 3 s (warm-up)` +
      (controlOn ? ` and ${controlSeconds} s (the control)` : ''),
  );

  const databaseUrl = ctx.serverUrl ? await ctx.freshDatabase('wirehub_bench_iso') : '';
  const hub = await ctx.startWirehub('all', {
    tag: 'isolation',
    databaseUrl,
    // The bad destinations must keep misbehaving for the whole phase, not be disabled after 10 failures.
    defaults: { WIREHUB_AUTO_DISABLE_AFTER: '1000000' },
    env: { WIREHUB_DELIVERY_LANES: '1' },
    quiet: true,
  });
  const pool = new Pool(hub.base, { connections: 32, pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    const key = await newTeam(hub.base, 'isolation');
    const destination = (name: string, p: string) =>
      api<DestinationView>(hub.base, 'POST', '/destinations', key, { name, config: { url: `http://127.0.0.1:${ctx.sinkPort}${p}`, timeout_ms: timeoutMs } });
    const source = (name: string) => api<{ id: string }>(hub.base, 'POST', '/sources', key, { name });
    let connections = 0;
    const connect = (from: { id: string }, to: { id: string }) =>
      api(hub.base, 'POST', '/connections', key, { name: `isolation ${++connections}`, source_id: from.id, destination_id: to.id });
    let seq = 0;
    const load = async (path: string, phase: string, r: number, secs: number) => {
      const run = await openLoop({ pool, path, rate: r, seconds: secs, seqBase: seq, phase, bodyBytes: ctx.bodyBytes, timeoutMs: 10_000, maxInFlight: 20_000 });
      seq += run.offered;
      return run;
    };

    // Three healthy destinations: a fresh process is slow for its first seconds (JIT, pools), so
    // they warm it up unmeasured, then serve as the control: what this lane delivers to a healthy
    // receiver at this load with well-behaved neighbours.
    const src = await source('isolation-control');
    for (let i = 0; i < 3; i++) await connect(src, await destination(`control ${i}`, `/isolation/control-${i}`));
    await endToEnd(ctx, await load(`/e/${src.id}`, 'isolation-warmup', rate, 3), '/isolation/control-0');
    let control: EndToEnd | null = null;
    if (controlOn) {
      const cpu = cpuWatch(() => [hub.pid], ctx.sinkPid);
      const run = await load(`/e/${src.id}`, 'isolation-control', rate, controlSeconds);
      const cpuText = cpu();
      control = await endToEnd(ctx, run, '/isolation/control-0');
      console.log(`  control stream to three healthy destinations: ${ingestLine(run)}; ${cpuText}`);
      console.log(`    one of them, end-to-end (ingest 200 → sink): ${e2eText(control)}`);
      console.log(`    p99 per 5 s: ${control.slices}`);
    }

    const hang = await destination('hangs', paths.hang);
    const fail = await destination('answers 500', paths.fail);
    const ok = await destination('healthy', paths.ok);
    const stream = await source('isolation');
    const backlog = await source('isolation-backlog');
    for (const d of [hang, fail, ok]) await connect(stream, d);
    await connect(backlog, hang);

    const phaseStart = wallNow();
    const pre = await load(`/e/${backlog.id}`, 'isolation-backlog', Math.min(1000, preload), preload / Math.min(1000, preload));
    console.log(`  backlog for the hanging destination: ${ingestLine(pre)}`);
    const cpu = cpuWatch(() => [hub.pid], ctx.sinkPid);
    const run = await load(`/e/${stream.id}`, 'isolation', rate, seconds);
    const cpuText = cpu();
    console.log(`  stream to all three: ${ingestLine(run)}; ${cpuText}`);
    const healthy = await endToEnd(ctx, run, paths.ok);
    const held = healthy.count > 0 && healthy.p99 < 100 && healthy.missing === 0;
    console.log(`  healthy destination, end-to-end (ingest 200 → sink): ${e2eText(healthy)} → p99 < 100 ms ${held ? 'holds' : 'MISSED'}`);
    console.log(`    p99 per 5 s: ${healthy.slices}`);

    const views = await Promise.all([hang, fail].map((d) => api<DestinationView>(hub.base, 'GET', `/destinations/${d.id}`, key)));
    const badCells: string[] = [];
    for (const [name, p, v] of [
      ['hanging', paths.hang, views[0]],
      ['500', paths.fail, views[1]],
    ] as const) {
      const st = await ctx.sink.ask({ op: 'stats', path: p });
      const c = v.circuit;
      const circuit = !c
        ? 'circuit not reported (this Wirehub has no circuit breaker)'
        : c.state === 'open'
          ? `circuit open since +${fmt((Date.parse(c.opened_at ?? '') - phaseStart) / 1000)} s (${c.failures} failures in a row${c.next_probe_at ? `, next probe ${c.next_probe_at}` : ''})`
          : `circuit closed (${c.failures} failures in a row)`;
      console.log(
        `  ${name} destination: ${fmtInt(st.deliveries)} attempts reached the sink (${fmtInt(st.uniqueSeqs)} distinct events); ${circuit}; ` +
          `consecutive failures ${fmtInt(v.consecutive_failures)}${v.disabled_at ? `; DISABLED at ${v.disabled_at}` : ''}`,
      );
      badCells.push(`${name}: ${fmtInt(st.deliveries)} attempts, circuit ${c?.state ?? 'n/a'}${v.disabled_at ? ', disabled' : ''}`);
    }
    console.log();
    const rows: SummaryRow[] = [
      [
        `isolation: healthy destination end-to-end @ ${fmtInt(rate)}/s, a hanging and a 500 one in its lane`,
        `p50 ${fmt(healthy.p50)} ms, p99 ${fmt(healthy.p99)} ms, max ${fmt(healthy.max)} ms (${fmtInt(healthy.count)} events, ${fmtInt(healthy.missing)} not delivered)`,
        'p99 < 100 ms',
        held ? 'met' : 'MISSED',
      ],
      ['isolation: the misbehaving neighbours', badCells.join('; '), '', ''],
    ];
    if (control) {
      rows.push([
        `isolation control: three healthy destinations @ ${fmtInt(rate)}/s each, one lane`,
        `p50 ${fmt(control.p50)} ms, p99 ${fmt(control.p99)} ms, max ${fmt(control.max)} ms`,
        '',
        '',
      ]);
    }
    return rows;
  } finally {
    await pool.close().catch(() => {});
    // In-flight deliveries to the hanging receiver end by their timeout: a graceful stop waits for them.
    await hub.stop(20_000);
  }
}

// ---------------------------------------------------------------------------------------------
// Fail-over: a worker killed mid-stream, then a new one
// ---------------------------------------------------------------------------------------------

type Owners = { how: string; byLane: Map<number, string> };

/**
 * Which worker runs which lane: the workers' own /healthz (`lanes`) when they report it, else the
 * advisory lane locks in pg_locks (the lock connection names its process in application_name), else
 * unknown (a Wirehub whose lanes are not held that way).
 */
async function laneOwners(workers: WirehubProcess[], db: pg.Client, lanes: number): Promise<Owners> {
  const byLane = new Map<number, string>();
  let reported = false;
  for (const w of workers) {
    const body = await fetch(`${w.base}/healthz`, { signal: AbortSignal.timeout(2_000) })
      .then((res) => res.json() as Promise<{ lanes?: unknown }>)
      .catch(() => null);
    if (!body || !Array.isArray(body.lanes)) continue;
    reported = true;
    for (const lane of body.lanes) if (typeof lane === 'number') byLane.set(lane, w.tag);
  }
  if (reported) return { how: '/healthz lanes', byLane };
  const { rows } = await db.query<{ lane: number; pid: number; app: string | null }>(
    `SELECT l.objid::text::int AS lane, l.pid, a.application_name AS app
     FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.objid::text::bigint < $1
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [lanes],
  );
  if (rows.length === 0) return { how: 'unknown (no lanes in /healthz, no advisory lane locks)', byLane };
  for (const r of rows) {
    const pid = Number(/pid (\d+)/.exec(r.app ?? '')?.[1]);
    byLane.set(r.lane, workers.find((w) => w.pid === pid)?.tag ?? `backend ${r.pid}`);
  }
  return { how: 'pg_locks', byLane };
}

const ownersText = (o: Owners, lanes: number) =>
  o.byLane.size === 0 ? o.how : `${Array.from({ length: lanes }, (_, l) => `${l}:${o.byLane.get(l) ?? '—'}`).join(' ')} (from ${o.how})`;

/** Lanes each worker holds, as `worker n, …`. */
function perWorker(o: Owners, workers: WirehubProcess[]): string {
  if (o.byLane.size === 0) return o.how;
  return workers.map((w) => `${w.tag} ${[...o.byLane.values()].filter((t) => t === w.tag).length}`).join(', ');
}

/**
 * An open-loop stream in back-to-back segments of `segmentSeconds`, each launched on the clock
 * (not when the one before has had all its answers), until stop() is called: a stream whose end
 * is known only once the events it is there to watch have happened.
 */
function segmentedStream(o: { pool: Pool; rate: number; segmentSeconds: number; pathOfSeq: (seq: number) => string; bodyBytes: number; phase: string }) {
  const perSegment = Math.max(1, Math.round(o.rate * o.segmentSeconds));
  const segments: Promise<LoadResult>[] = [];
  const startedAt = wallNow();
  let stopAt = Infinity;
  const launcher = (async () => {
    for (let k = 0; ; k++) {
      const at = startedAt + k * o.segmentSeconds * 1000;
      await sleep(Math.max(0, at - wallNow()));
      if (at >= stopAt) return;
      const seqBase = k * perSegment;
      segments.push(
        openLoop({
          pool: o.pool,
          path: (i) => o.pathOfSeq(seqBase + i),
          rate: o.rate,
          seconds: o.segmentSeconds,
          seqBase,
          phase: o.phase,
          bodyBytes: o.bodyBytes,
          timeoutMs: 10_000,
          maxInFlight: 20_000,
        }),
      );
    }
  })();
  return {
    startedAt,
    /** Launches no segment that would start at or after `at`; answers every segment's result. */
    async stop(at: number): Promise<LoadResult[]> {
      stopAt = at;
      await launcher;
      return Promise.all(segments);
    },
  };
}

/** A line on several runs together: offered, accepted, answer latency, errors. */
function runsLine(runs: LoadResult[]): string {
  const offered = runs.reduce((n, r) => n + r.offered, 0);
  const accepted = runs.reduce((n, r) => n + r.accepted, 0);
  const latency = sortedOf(runs.flatMap((r) => [...r.latency]));
  const errors = new Map<string, number>();
  for (const r of runs) for (const [k, v] of r.errors) errors.set(k, (errors.get(k) ?? 0) + v);
  const secs = runs.reduce((n, r) => n + r.seconds, 0);
  return (
    `offered ${fmtInt(offered)} in ${fmt(secs, 0)} s: accepted ${fmtInt(accepted)}; ingest latency p50 ${fmt(percentile(latency, 50))} ms, p99 ${fmt(percentile(latency, 99))} ms; ` +
    `errors: ${errors.size === 0 ? 'none' : [...errors].map(([k, v]) => `${k} ×${v}`).join(', ')}`
  );
}

export async function failoverPhase(ctx: FaultPhaseContext): Promise<SummaryRow[]> {
  if (!ctx.serverUrl) {
    console.log('phase 6: fail-over: skipped (the embedded database runs in one process; set DATABASE_URL for API + worker processes)\n');
    return [['fail-over (a worker killed mid-stream)', 'skipped: embedded database', '', '']];
  }
  const seconds = envNumber('BENCH_FAILOVER_SECONDS', 24);
  const rate = envNumber('BENCH_FAILOVER_RATE', 200);
  const lanes = Number(ctx.extraEnv.WIREHUB_DELIVERY_LANES ?? 4);
  const killAt = seconds * 0.25;
  const rejoinAt = seconds * 0.5;
  /** The stream goes on this long after the lanes were shared out again (or the wait for that gave up). */
  const tailMs = 5_000;
  console.log(
    `phase 6: fail-over: an API process and two workers, ${lanes} lanes, ${fmtInt(rate)} events/s spread over destinations on every lane; ` +
      `one worker killed (SIGKILL) at +${fmt(killAt)} s, a new worker started at +${fmt(rejoinAt)} s (or once the lanes are held again); ` +
      `the stream runs ${seconds} s, and at least until ${tailMs / 1000} s after the new worker has its lanes`,
  );
  const databaseUrl = await ctx.freshDatabase('wirehub_bench_fo');
  const env = { WIREHUB_DELIVERY_LANES: String(lanes) };
  const procs: WirehubProcess[] = [];
  const start = async (role: 'api' | 'worker', tag: string) => {
    const p = await ctx.startWirehub(role, { tag, databaseUrl, env, quiet: true });
    procs.push(p);
    return p;
  };
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  let pool: Pool | null = null;
  try {
    const apiProc = await start('api', 'failover-api');
    const workers = [await start('worker', 'worker-1'), await start('worker', 'worker-2')];
    pool = new Pool(apiProc.base, { connections: 32, pipelining: 1, keepAliveTimeout: 60_000 });
    const key = await newTeam(apiProc.base, 'failover');
    // Destinations until every lane has some (ids are random, so their lanes are too), each fed by a source of its own.
    type Target = { path: string; ingest: string; lane: number };
    const targets: Target[] = [];
    const covered = new Set<number>();
    while ((covered.size < lanes || targets.length < 2 * lanes) && targets.length < 8 * lanes) {
      const n = targets.length;
      const p = `/failover/${n}`;
      const d = await api<{ id: string }>(apiProc.base, 'POST', '/destinations', key, {
        name: `failover ${n}`,
        config: { url: `http://127.0.0.1:${ctx.sinkPort}${p}` },
      });
      const src = await api<{ id: string }>(apiProc.base, 'POST', '/sources', key, { name: `failover ${n}` });
      await api(apiProc.base, 'POST', '/connections', key, { name: `failover ${n}`, source_id: src.id, destination_id: d.id });
      const lane = laneOf(d.id, lanes);
      covered.add(lane);
      targets.push({ path: p, ingest: `/e/${src.id}`, lane });
    }
    console.log(
      `  ${targets.length} destinations, per lane: ${Array.from({ length: lanes }, (_, l) => `${l}: ${targets.filter((t) => t.lane === l).length}`).join(', ')}`,
    );

    // Both workers should hold lanes before the stream starts (the second one joined after the first took them all).
    let live = [...workers];
    let owners = await laneOwners(live, db, lanes);
    for (let waited = 0; waited < 10_000 && owners.byLane.size > 0 && live.some((w) => ![...owners.byLane.values()].includes(w.tag)); waited += 200) {
      await sleep(200);
      owners = await laneOwners(live, db, lanes);
    }
    console.log(`  lanes before: ${ownersText(owners, lanes)}`);

    const target = (seq: number) => targets[seq % targets.length];
    const stream = segmentedStream({ pool, rate, segmentSeconds: 2, pathOfSeq: (seq) => target(seq).ingest, bodyBytes: ctx.bodyBytes, phase: 'failover' });
    const loadStart = stream.startedAt;
    const cpu = cpuWatch(() => procs.map((w) => w.pid), ctx.sinkPid);
    const since = (t: number) => `+${fmt((t - loadStart) / 1000)} s`;

    // The kill.
    const victim = workers[1];
    await sleep(Math.max(0, loadStart + killAt * 1000 - wallNow()));
    const ownersAtKill = await laneOwners(live, db, lanes);
    const deadLanes = [...ownersAtKill.byLane].filter(([, t]) => t === victim.tag).map(([l]) => l);
    const killedAt = wallNow();
    victim.kill();
    live = live.filter((w) => w !== victim);
    const holdersUnseen = ownersAtKill.byLane.size === 0;
    console.log(
      `  ${since(killedAt)}: killed ${victim.tag} (pid ${victim.pid}, SIGKILL)` +
        (holdersUnseen
          ? ' (lane holders not visible: it may have held no lane, and then the figures below show nothing)'
          : `, which ran lanes ${deadLanes.join(', ') || 'none'}`),
    );
    // When does a live worker hold every lane again (if lane holders can be seen)?
    let takenOverAt = NaN;
    for (;;) {
      const o = await laneOwners(live, db, lanes);
      if (o.byLane.size === 0) break; // holders not visible
      if (o.byLane.size === lanes && [...o.byLane.values()].every((tag) => tag !== victim.tag)) {
        takenOverAt = wallNow();
        console.log(`  ${since(takenOverAt)}: every lane held again, ${fmt((takenOverAt - killedAt) / 1000, 2)} s after the kill: ${ownersText(o, lanes)}`);
        break;
      }
      if (wallNow() - killedAt > 30_000) {
        console.log(`  ! 30 s after the kill, lanes: ${ownersText(o, lanes)}`);
        break;
      }
      await sleep(100);
    }

    // A new worker.
    await sleep(Math.max(0, loadStart + rejoinAt * 1000 - wallNow()));
    const rejoinStart = wallNow();
    const newcomer = await start('worker', 'worker-3');
    const rejoinReady = wallNow();
    live = [...live, newcomer];
    let rebalancedAt = NaN;
    let after = await laneOwners(live, db, lanes);
    for (; wallNow() - rejoinReady < 15_000; after = await laneOwners(live, db, lanes)) {
      if (after.byLane.size === 0) break;
      const counts = live.map((w) => [...after.byLane.values()].filter((t) => t === w.tag).length);
      if (after.byLane.size === lanes && Math.max(...counts) - Math.min(...counts) <= 1) {
        rebalancedAt = wallNow();
        break;
      }
      await sleep(100);
    }
    console.log(
      `  ${since(rejoinStart)}: started worker-3 (pid ${newcomer.pid}), answering /healthz ${fmt((rejoinReady - rejoinStart) / 1000, 2)} s later; ` +
        (Number.isFinite(rebalancedAt)
          ? `lanes shared out again ${fmt((rebalancedAt - rejoinReady) / 1000, 2)} s after that: ${ownersText(after, lanes)}`
          : `lanes: ${ownersText(after, lanes)}${after.byLane.size > 0 ? ' (not balanced within 15 s)' : ''}`),
    );

    const stopAt = Math.max(loadStart + seconds * 1000, (Number.isFinite(rebalancedAt) ? rebalancedAt : wallNow()) + tailMs);
    await sleep(Math.max(0, stopAt - wallNow()));
    const runs = await stream.stop(stopAt);
    const streamEnd = wallNow();
    console.log(`  stream: ${runsLine(runs)}; ${cpu()}`);
    const missing = await awaitDeliveries(ctx.sink, runs, (seq) => target(seq).path, 120_000, 20_000);
    const accepted = runs.reduce((n, r) => n + r.accepted, 0);

    // Per lane: the wait from the kill to its next delivery; the longest gap in steady state and around the new worker.
    const perLane = new Map<number, { resume: number; rejoinGap: number; steadyGap: number }>();
    let duplicates = 0;
    let deliveries = 0;
    for (const t of targets) {
      const times = [...(await ctx.sink.ask({ op: 'times', path: t.path }))].sort((a, b) => a - b).map((v) => v - ctx.clockSkew);
      const st = await ctx.sink.ask({ op: 'stats', path: t.path });
      duplicates += st.duplicateIds + st.duplicateSeqs;
      deliveries += st.deliveries;
      const next = times.find((v) => v >= killedAt);
      const resume = next === undefined ? Infinity : next - killedAt;
      let rejoinGap = 0;
      let steadyGap = 0;
      for (let i = 1; i < times.length; i++) {
        const gap = times[i] - times[i - 1];
        if (times[i] > rejoinStart && times[i - 1] < streamEnd) rejoinGap = Math.max(rejoinGap, gap);
        if (times[i] < killedAt && times[i - 1] > loadStart + 1_000) steadyGap = Math.max(steadyGap, gap);
      }
      const cur = perLane.get(t.lane) ?? { resume: 0, rejoinGap: 0, steadyGap: 0 };
      perLane.set(t.lane, {
        resume: Math.max(cur.resume, resume),
        rejoinGap: Math.max(cur.rejoinGap, rejoinGap),
        steadyGap: Math.max(cur.steadyGap, steadyGap),
      });
    }
    const ms = (v: number) => (Number.isFinite(v) ? `${fmtInt(v)} ms` : 'never');
    for (const [lane, v] of [...perLane].sort((x, y) => x[0] - y[0])) {
      console.log(
        `    lane ${lane} (${ownersAtKill.byLane.get(lane) ?? '?'} at the kill → ${after.byLane.get(lane) ?? '?'} at the end): first delivery after the kill +${ms(v.resume)}; ` +
          `longest gap between deliveries to one destination: before the kill ${ms(v.steadyGap)}, from worker-3's start on ${ms(v.rejoinGap)}`,
      );
    }
    // The dead worker's lanes when they are known; otherwise every lane (the live ones resume within a few ms anyway).
    const watched = deadLanes.length > 0 ? deadLanes : [...perLane.keys()];
    const recovery = Math.max(...watched.map((l) => perLane.get(l)?.resume ?? Infinity));
    const steadyGap = Math.max(...[...perLane.values()].map((v) => v.steadyGap));
    const rejoinGap = Math.max(...[...perLane.values()].map((v) => v.rejoinGap));
    const recoveryText = Number.isFinite(recovery) ? `${fmt(recovery / 1000, 2)} s` : 'NEVER';
    console.log(
      `  recovery: deliveries on ${deadLanes.length > 0 ? "the dead worker's lanes" : 'every lane'} resumed ${recoveryText} after the kill ` +
        `(longest gap per destination before the kill ${ms(steadyGap)}); of ${fmtInt(accepted)} events answered 200 in time, not delivered ${fmtInt(missing)}; ` +
        `${fmtInt(deliveries)} deliveries in all (requests answered after the client's timeout are delivered too), duplicates ${fmtInt(duplicates)} (at least once)`,
    );
    console.log(`  rebalance: ${perWorker(after, live)} lanes after worker-3 joined; longest gap per destination from its start on ${ms(rejoinGap)}\n`);
    return [
      [
        `fail-over: one of two workers killed at ${fmtInt(rate)}/s`,
        `${holdersUnseen ? 'lane holders not visible (the killed worker may have held none); every lane' : 'its lanes'} delivered again after ${recoveryText}` +
          `${Number.isFinite(takenOverAt) ? ` (held again after ${fmt((takenOverAt - killedAt) / 1000, 2)} s)` : ''}; duplicates ${fmtInt(duplicates)}, not delivered ${fmtInt(missing)}`,
        'taken over within ~1–2 s, nothing lost',
        Number.isFinite(recovery) && missing === 0 ? (recovery <= 2_000 ? 'met' : 'slow') : 'MISSED',
      ],
      [
        'fail-over: a new worker joins',
        Number.isFinite(rebalancedAt)
          ? `lanes shared out ${fmt((rebalancedAt - rejoinReady) / 1000, 2)} s after it answered /healthz (${perWorker(after, live)}); longest delivery gap ${ms(rejoinGap)}`
          : `lanes: ${ownersText(after, lanes)}; longest delivery gap ${ms(rejoinGap)}`,
        '',
        '',
      ],
    ];
  } finally {
    await pool?.close().catch(() => {});
    await db.end().catch(() => {});
    await Promise.all(procs.map((w) => w.stop(15_000)));
  }
}
