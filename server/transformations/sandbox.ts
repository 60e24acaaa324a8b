/**
 * The sandbox that runs users' transformation code (issue 6).
 *
 * The isolation boundary is QuickJS compiled to WebAssembly (quickjs-emscripten): user code only
 * reaches what the worker puts in its global object, and its heap is a WebAssembly memory with a
 * fixed maximum. The engine runs in piscina worker threads so a run that takes its full second
 * never blocks the API's event loop. Two deadlines guard a run: QuickJS's interrupt handler (the
 * normal case), and this side's watchdog, which terminates the worker (piscina replaces it) when a
 * single long native operation keeps the engine from asking in time.
 *
 * Threads are shared out between teams by a fair queue in front of piscina (see createSandbox), so
 * one team's flood of slow runs cannot make another team's runs wait for the flood to drain.
 */
import { pathToFileURL } from 'node:url';
import os from 'node:os';
import { Piscina } from 'piscina';
import { MAX_JSON_DEPTH } from '../core/json-depth.ts';
import { fromRoot } from '../core/root.ts';

export type SandboxRequest = { headers: Record<string, string>; body: unknown; query: Record<string, unknown>; path: string };
export type SandboxLog = { level: 'log' | 'info' | 'warn' | 'error' | 'debug'; message: string; at_ms: number };
export type SandboxErrorCode = 'SYNTAX' | 'NO_HANDLER' | 'THREW' | 'TIMEOUT' | 'MEMORY' | 'BAD_RESULT' | 'TOO_LARGE' | 'TOO_DEEP';
export type SandboxResult =
  | { ok: true; request: SandboxRequest; logs: SandboxLog[]; duration_ms: number }
  | { ok: false; error: { code: SandboxErrorCode; message: string }; logs: SandboxLog[]; duration_ms: number };
export type SandboxInput = {
  code: string;
  env: Record<string, string>;
  request: SandboxRequest;
  context?: Record<string, unknown>;
  /** Whose run it is: threads are shared out per team. Runs without one share a single queue. */
  team?: string;
};
export interface Sandbox {
  run(input: SandboxInput): Promise<SandboxResult>;
  /** Its threads and what they are doing now, for /metrics; all zero before a first run started the pool. */
  usage(): SandboxUsage;
  close(): Promise<void>;
}
export type SandboxUsage = { threads: number; busy: number; waiting: number };
export type SandboxOptions = {
  timeoutMs?: number;
  memoryMiB?: number;
  threads?: number;
  /** How long past the deadline the watchdog waits for the engine's own interrupt before it stops the worker. */
  graceMs?: number;
  /**
   * How long a run may wait for a thread before run() throws SandboxBusy instead (default 10 s).
   * The wait is in its own team's queue, so it is the team's own runs that make it long.
   * A delivery holds its event's lease while it waits; waiting longer than the lease would let
   * another worker take the event and deliver it twice. Fast transformations never wait this long.
   */
  maxWaitMs?: number;
  /** At most this many of a team's waiting runs go to a thread in one hop (1: one run per hop). */
  batch?: number;
  /** Whether a worker's QuickJS runtime serves several runs, each in a fresh context (see the README). */
  reuseRuntime?: boolean;
};

/** Every thread stayed busy for the run's whole allowed wait. Not the user's fault and not an answer: try later. */
export class SandboxBusy extends Error {
  constructor(readonly retryAfterMs: number) {
    super('every transformation thread is busy; try again in a moment');
  }
}

/** Input (request, context, env) and output are each capped at this many bytes of JSON. */
export const SANDBOX_MAX_JSON_BYTES = 5 * 1024 * 1024;

/**
 * A team whose runs take this long or less on average (a moving average, SPEED_WEIGHT for the newest
 * run) may use threads beyond its share (see createSandbox).
 */
const FAST_RUN_MS = 100;
const SPEED_WEIGHT = 0.3;
/** Teams whose recent speed is remembered; the least recently seen is forgotten first. */
const MAX_TEAMS_REMEMBERED = 10_000;
const DEFAULT_BATCH = 16;
const DEFAULT_REUSE_RUNTIME = false;

type TaskItem = { code: string; envJson: string; inputJson: string };
/** `states`: per item its start time and its state, shared with the worker (see sandbox-worker.mjs). */
type TaskIn = { items: TaskItem[]; states: SharedArrayBuffer };
/** `cold`: the worker's first run since it loaded the engine, slow for the engine's sake (WebAssembly warming up), not the code's. */
type ItemOut = { cold?: boolean } & (
  | { ok: true; patch: Partial<SandboxRequest>; logs: SandboxLog[]; duration_ms: number }
  | { ok: false; error: { code: SandboxErrorCode; message: string }; logs: SandboxLog[]; duration_ms: number }
);
/** One per item; null: handed back unrun (the batch's time budget was spent, or the host withdrew it). */
type TaskOut = (ItemOut | null)[];

/** Item states in the shared array (the worker's side is in sandbox-worker.mjs). */
const WAITING = 0;
const RUNNING = 1;
const WITHDRAWN = 2;

/** A batch's inputs stop growing past this many bytes of JSON (one item always goes). */
const BATCH_MAX_BYTES = 1024 * 1024;
/** An item handed back by a failed batch is queued again at most this many times. */
const MAX_REQUEUES = 2;

const WORKER_FILE = pathToFileURL(fromRoot('server/transformations/sandbox-worker.mjs')).href;

export function createSandbox(opts: SandboxOptions = {}): Sandbox {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const memoryMiB = opts.memoryMiB ?? 64;
  const threads = opts.threads ?? Math.min(2, os.availableParallelism());
  const graceMs = opts.graceMs ?? 500;
  const maxWaitMs = opts.maxWaitMs ?? 10_000;
  const batchMax = Math.max(1, opts.batch ?? DEFAULT_BATCH);
  const reuseRuntime = opts.reuseRuntime ?? DEFAULT_REUSE_RUNTIME;
  const pool = new Piscina<TaskIn, TaskOut>({
    filename: WORKER_FILE,
    minThreads: threads,
    maxThreads: threads,
    // Workers load the engine once (~25-60 ms); they stay for the life of the sandbox.
    idleTimeout: Infinity,
    // The worker is plain JavaScript: no tsx loader needed, whatever started this process.
    execArgv: [],
    workerData: { timeoutMs, memoryMiB, maxJsonDepth: MAX_JSON_DEPTH, reuseRuntime },
  });
  let closed = false;

  /** A run from run() until it settles: waiting in its team's queue, then in a batch on a thread. */
  type Pending = {
    team: string;
    item: TaskItem;
    bytes: number;
    request: SandboxRequest;
    settle: (result: SandboxResult) => void;
    refuse: (error: Error) => void;
    /** maxWaitMs: the run gives up (SandboxBusy) if it has not started by then. */
    waiting: NodeJS.Timeout;
    done: boolean;
    requeues: number;
    at: { batch: Batch; index: number } | null;
  };
  type Batch = { team: string; items: Pending[]; starts: Float64Array; states: Int32Array; abort: AbortController; watchdog?: NodeJS.Timeout };

  // The fair queue. Piscina is only handed a batch when a thread is free for it, so its own FIFO queue
  // stays empty; the choice of whose runs go next is made here. Teams with runs waiting are served
  // round-robin (a team moves to the back of `teams` when served), and a team holds at most `share`
  // threads while it has no record of being fast: a flood of one-second runs leaves the other
  // threads to other teams, whose runs then start at once instead of after the flood. A team whose
  // runs are fast on average may use the threads nobody else is waiting for (throughput stays that
  // of the whole pool for the usual single busy team); one run of a second lifts its average far
  // past the bar, so a team that turns slow holds extra threads for one run's length, and then only
  // again after several fast runs. A fast team's waiting runs go to a thread together, up to
  // `batchMax` of them (one thread hop instead of one each); a batch is only ever one team's, and a
  // slow team's runs go one at a time.
  const share = Math.max(1, Math.ceil(threads / 2));
  type TeamQueue = { waiting: Pending[]; running: number };
  const teams = new Map<string, TeamQueue>();
  /** Each team's moving average of run time (ms); a team not in it has not shown it is fast. */
  const speed = new Map<string, number>();
  let busy = 0;

  const mayBorrow = (team: string) => (speed.get(team) ?? Infinity) <= FAST_RUN_MS;

  function pump(): void {
    while (busy < threads) {
      let chosen: string | null = null;
      let borrower: string | null = null;
      for (const [team, q] of teams) {
        if (q.waiting.length === 0) continue;
        if (q.running < share) {
          chosen = team;
          break;
        }
        borrower ??= mayBorrow(team) ? team : null;
      }
      chosen ??= borrower;
      if (chosen === null) return;
      const q = teams.get(chosen) as TeamQueue;
      const items = [q.waiting.shift() as Pending];
      if (mayBorrow(chosen)) {
        let bytes = items[0].bytes;
        while (items.length < batchMax && q.waiting.length > 0 && bytes + q.waiting[0].bytes <= BATCH_MAX_BYTES) {
          const next = q.waiting.shift() as Pending;
          bytes += next.bytes;
          items.push(next);
        }
      }
      q.running++;
      busy++;
      teams.delete(chosen);
      teams.set(chosen, q);
      dispatch(chosen, items);
    }
  }

  function queueOf(team: string): TeamQueue {
    let q = teams.get(team);
    if (!q) {
      q = { waiting: [], running: 0 };
      teams.set(team, q);
    }
    return q;
  }

  function recordSpeed(team: string, ranMs: number): void {
    const before = speed.get(team);
    speed.delete(team);
    speed.set(team, before === undefined ? ranMs : before + SPEED_WEIGHT * (ranMs - before));
    if (speed.size > MAX_TEAMS_REMEMBERED) speed.delete(speed.keys().next().value as string);
  }

  /** A batch's thread is free again. */
  function release(team: string): void {
    const q = teams.get(team) as TeamQueue;
    q.running--;
    busy--;
    if (q.waiting.length === 0 && q.running === 0) teams.delete(team);
  }

  function finish(p: Pending, result: SandboxResult): void {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.waiting);
    p.settle(result);
  }

  function give(p: Pending, out: ItemOut): void {
    const { cold, ...result } = out;
    if (!cold) recordSpeed(p.team, result.duration_ms);
    finish(p, result.ok ? { ok: true, request: { ...p.request, ...result.patch }, logs: result.logs, duration_ms: result.duration_ms } : result);
  }

  /** Back to the front of its team's queue: its batch ended before it ran. */
  function requeue(p: Pending): void {
    p.at = null;
    queueOf(p.team).waiting.unshift(p);
  }

  function dispatch(team: string, items: Pending[]): void {
    const shared = new SharedArrayBuffer(items.length * 12);
    const batch: Batch = {
      team,
      items,
      starts: new Float64Array(shared, 0, items.length),
      states: new Int32Array(shared, items.length * 8, items.length),
      abort: new AbortController(),
    };
    items.forEach((p, index) => (p.at = { batch, index }));
    watch(batch, timeoutMs + graceMs);
    pool.run({ items: items.map((p) => p.item), states: shared }, { signal: batch.abort.signal }).then(
      (outs) => {
        clearTimeout(batch.watchdog);
        release(team);
        outs.forEach((out, i) => {
          const p = items[i];
          if (p.done) return;
          if (out) give(p, out);
          else if (closed) p.refuse(new Error('the transformation sandbox is closed'));
          else requeue(p);
        });
        pump();
      },
      (error: unknown) => {
        clearTimeout(batch.watchdog);
        release(team);
        // The worker was terminated or died: the item it was running fails; the others go round again.
        let running = -1;
        for (let i = 0; i < items.length; i++) if (Atomics.load(batch.states, i) === RUNNING) running = i;
        items.forEach((p, i) => {
          if (p.done) return;
          if (closed) return p.refuse(error instanceof Error ? error : new Error(String(error)));
          if (i !== running && p.requeues++ < MAX_REQUEUES) return requeue(p);
          const ranFor = i === running ? Date.now() - batch.starts[i] : 0;
          if (i === running) recordSpeed(team, ranFor);
          finish(p, crashed(error, batch.abort.signal.aborted && i === running, ranFor));
        });
        pump();
      },
    );
  }

  function crashed(error: unknown, timedOut: boolean, ranFor: number): SandboxResult {
    // The worker was terminated mid-run; its logs went with it.
    if (timedOut) return failed('TIMEOUT', `the transformation did not finish within ${timeoutMs} ms and was stopped`, ranFor);
    const code = (error as { code?: string }).code;
    if (code === 'ERR_WORKER_OUT_OF_MEMORY') return failed('MEMORY', `the transformation ran out of memory (${memoryMiB} MiB)`, ranFor);
    return failed('THREW', `the sandbox worker stopped: ${error instanceof Error ? error.message : String(error)}`, ranFor);
  }

  /**
   * The watchdog: the item running longer than its deadline plus grace (the engine's interrupt did
   * not stop it: a single long native operation) gets its worker terminated. Time an item spent
   * waiting, in the queue or behind others of its batch, is not counted.
   */
  function watch(batch: Batch, ms: number): void {
    batch.watchdog = setTimeout(() => {
      const limit = timeoutMs + graceMs;
      for (let i = 0; i < batch.items.length; i++) {
        if (Atomics.load(batch.states, i) !== RUNNING) continue;
        const ranFor = Date.now() - batch.starts[i];
        if (ranFor >= limit) return batch.abort.abort();
        return watch(batch, limit - ranFor);
      }
      watch(batch, limit);
    }, ms);
  }

  async function run(input: SandboxInput): Promise<SandboxResult> {
    if (closed) throw new Error('the transformation sandbox is closed');
    const request: SandboxRequest = {
      headers: input.request.headers ?? {},
      body: input.request.body === undefined ? null : input.request.body,
      query: input.request.query ?? {},
      path: input.request.path ?? '/',
    };
    let inputJson: string;
    let envJson: string;
    try {
      inputJson = JSON.stringify({ request, context: input.context ?? {} });
      envJson = JSON.stringify(input.env ?? {});
    } catch (error) {
      // A body stored before ingest refused deep JSON: the sender's doing, not a failure of the hub.
      if (error instanceof RangeError)
        return failed(
          'TOO_DEEP',
          `the request given to the transformation nests deeper than ${MAX_JSON_DEPTH} levels (or is too large) and cannot be turned into JSON`,
          0,
        );
      throw error;
    }
    const inputBytes = Buffer.byteLength(inputJson, 'utf8') + Buffer.byteLength(envJson, 'utf8');
    if (inputBytes > SANDBOX_MAX_JSON_BYTES) {
      return failed('TOO_LARGE', `the request given to the transformation is ${mb(inputBytes)} MB of JSON; the limit is ${mb(SANDBOX_MAX_JSON_BYTES)} MB`, 0);
    }

    const team = input.team ?? '';
    return new Promise<SandboxResult>((settle, refuse) => {
      const p: Pending = {
        team,
        item: { code: input.code, envJson, inputJson },
        bytes: inputBytes + input.code.length,
        request,
        settle,
        refuse,
        done: false,
        requeues: 0,
        at: null,
        // Waiting for a thread is not the user's time: the deadline starts when the worker starts the run.
        waiting: setTimeout(() => {
          if (p.done) return;
          if (p.at === null) {
            const q = teams.get(team);
            const index = q ? q.waiting.indexOf(p) : -1;
            if (q && index >= 0) q.waiting.splice(index, 1);
            if (q && q.waiting.length === 0 && q.running === 0) teams.delete(team);
          } else if (Atomics.compareExchange(p.at.batch.states, p.at.index, WAITING, WITHDRAWN) !== WAITING) {
            // It started in the meantime: its own deadline applies now.
            return;
          }
          p.done = true;
          refuse(new SandboxBusy(1000));
        }, maxWaitMs),
      };
      queueOf(team).waiting.push(p);
      pump();
    });
  }

  return {
    run,
    usage() {
      let waiting = 0;
      for (const q of teams.values()) waiting += q.waiting.length;
      return { threads, busy, waiting };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const q of teams.values()) {
        for (const p of q.waiting.splice(0)) {
          p.done = true;
          clearTimeout(p.waiting);
          p.refuse(new Error('the transformation sandbox is closed'));
        }
      }
      await pool.destroy();
    },
  };
}

function failed(code: SandboxErrorCode, message: string, durationMs: number): SandboxResult {
  return { ok: false, error: { code, message }, logs: [], duration_ms: durationMs };
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '');
}
