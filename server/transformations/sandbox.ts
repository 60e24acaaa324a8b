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
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { MAX_JSON_DEPTH } from '../core/json-depth.ts';

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
  close(): Promise<void>;
}
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

type TaskIn = { code: string; envJson: string; inputJson: string; port: MessagePort };
/** `cold`: the worker's first run since it loaded the engine, slow for the engine's sake (WebAssembly warming up), not the code's. */
type TaskOut = { cold?: boolean } & (
  | { ok: true; patch: Partial<SandboxRequest>; logs: SandboxLog[]; duration_ms: number }
  | { ok: false; error: { code: SandboxErrorCode; message: string }; logs: SandboxLog[]; duration_ms: number }
);

const WORKER_FILE = new URL('./sandbox-worker.mjs', import.meta.url).href;

export function createSandbox(opts: SandboxOptions = {}): Sandbox {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const memoryMiB = opts.memoryMiB ?? 64;
  const threads = opts.threads ?? Math.min(2, os.availableParallelism());
  const graceMs = opts.graceMs ?? 500;
  const maxWaitMs = opts.maxWaitMs ?? 10_000;
  const pool = new Piscina<TaskIn, TaskOut>({
    filename: WORKER_FILE,
    minThreads: threads,
    maxThreads: threads,
    // Workers load the engine once (~25-60 ms); they stay for the life of the sandbox.
    idleTimeout: Infinity,
    // The worker is plain JavaScript: no tsx loader needed, whatever started this process.
    execArgv: [],
    workerData: { timeoutMs, memoryMiB, maxJsonDepth: MAX_JSON_DEPTH },
  });
  let closed = false;
  /** How each run still waiting for a thread is refused when the sandbox closes. */
  const queued = new Set<(error: Error) => void>();

  // The fair queue. Piscina is only handed a run when a thread is free for it, so its own FIFO queue
  // stays empty; the choice of whose run goes next is made here. Teams with runs waiting are served
  // round-robin (a team moves to the back of `teams` when served), and a team holds at most `share`
  // threads while it has no record of being fast: a flood of one-second runs leaves the other
  // threads to other teams, whose runs then start at once instead of after the flood. A team whose
  // runs are fast on average may use the threads nobody else is waiting for (throughput stays that
  // of the whole pool for the usual single busy team); one run of a second lifts its average far
  // past the bar, so a team that turns slow holds extra threads for one run's length, and then only
  // again after several fast runs.
  const share = Math.max(1, Math.ceil(threads / 2));
  type Waiter = { go: () => void };
  type TeamQueue = { waiting: Waiter[]; running: number };
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
      const next = q.waiting.shift() as Waiter;
      q.running++;
      busy++;
      teams.delete(chosen);
      teams.set(chosen, q);
      next.go();
    }
  }

  function enqueue(team: string, waiter: Waiter): void {
    let q = teams.get(team);
    if (!q) {
      q = { waiting: [], running: 0 };
      teams.set(team, q);
    }
    q.waiting.push(waiter);
    pump();
  }

  /** A run withdrawn before it got a thread. */
  function withdraw(team: string, waiter: Waiter): void {
    const q = teams.get(team);
    if (!q) return;
    const at = q.waiting.indexOf(waiter);
    if (at >= 0) q.waiting.splice(at, 1);
    if (q.waiting.length === 0 && q.running === 0) teams.delete(team);
  }

  /** `ranMs` null: the run says nothing of the team's speed (it never ran, or ran cold). */
  function release(team: string, ranMs: number | null): void {
    const q = teams.get(team) as TeamQueue;
    q.running--;
    busy--;
    if (q.waiting.length === 0 && q.running === 0) teams.delete(team);
    if (ranMs !== null) {
      const before = speed.get(team);
      speed.delete(team);
      speed.set(team, before === undefined ? ranMs : before + SPEED_WEIGHT * (ranMs - before));
      if (speed.size > MAX_TEAMS_REMEMBERED) speed.delete(speed.keys().next().value as string);
    }
    pump();
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
      if (error instanceof RangeError) return failed('TOO_DEEP', `the request given to the transformation nests deeper than ${MAX_JSON_DEPTH} levels (or is too large) and cannot be turned into JSON`, 0);
      throw error;
    }
    const inputBytes = Buffer.byteLength(inputJson, 'utf8') + Buffer.byteLength(envJson, 'utf8');
    if (inputBytes > SANDBOX_MAX_JSON_BYTES) {
      return failed('TOO_LARGE', `the request given to the transformation is ${mb(inputBytes)} MB of JSON; the limit is ${mb(SANDBOX_MAX_JSON_BYTES)} MB`, 0);
    }

    const team = input.team ?? '';
    const abort = new AbortController();
    let startedAt: number | null = null;
    let dispatched = false;
    let watchdog: NodeJS.Timeout | undefined;
    let gaveUp = false;
    let refuse: (error: Error) => void = () => {};
    const waiter: Waiter = { go: () => {} };
    const turn = new Promise<void>((resolve, reject) => {
      waiter.go = () => {
        dispatched = true;
        resolve();
      };
      refuse = reject;
    });
    const waiting = setTimeout(() => {
      gaveUp = true;
      if (!dispatched) {
        withdraw(team, waiter);
        refuse(new SandboxBusy(1000));
      } else {
        // Handed to piscina but not started (a terminated worker being replaced): withdrawn from there.
        abort.abort();
      }
    }, maxWaitMs);
    queued.add(refuse);
    enqueue(team, waiter);
    try {
      await turn;
    } catch (error) {
      clearTimeout(waiting);
      throw error;
    } finally {
      queued.delete(refuse);
    }

    const { port1, port2 } = new MessageChannel();
    // Armed when the worker starts the run, not when it is queued: waiting for a thread is not the user's time.
    port1.once('message', () => {
      clearTimeout(waiting);
      startedAt = performance.now();
      watchdog = setTimeout(() => abort.abort(), timeoutMs + graceMs);
    });
    // The engine's own time when it answers: a worker's start-up, or the wait for its 'started' message, is not the team's slowness.
    let ranMs: number | null = null;
    try {
      const { cold, ...out } = await pool.run({ code: input.code, envJson, inputJson, port: port2 }, { signal: abort.signal, transferList: [port2] });
      if (!cold) ranMs = out.duration_ms;
      if (!out.ok) return out;
      return { ok: true, request: { ...request, ...out.patch }, logs: out.logs, duration_ms: out.duration_ms };
    } catch (error) {
      const ranFor = startedAt === null ? 0 : performance.now() - startedAt;
      if (gaveUp) throw new SandboxBusy(1000);
      ranMs = ranFor;
      if (abort.signal.aborted) {
        // The worker was terminated mid-run; its logs went with it.
        return failed('TIMEOUT', `the transformation did not finish within ${timeoutMs} ms and was stopped`, ranFor);
      }
      if (closed) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'ERR_WORKER_OUT_OF_MEMORY') return failed('MEMORY', `the transformation ran out of memory (${memoryMiB} MiB)`, ranFor);
      return failed('THREW', `the sandbox worker stopped: ${error instanceof Error ? error.message : String(error)}`, ranFor);
    } finally {
      clearTimeout(waiting);
      clearTimeout(watchdog);
      port1.close();
      release(team, ranMs);
    }
  }

  return {
    run,
    async close() {
      if (closed) return;
      closed = true;
      for (const refuse of queued) refuse(new Error('the transformation sandbox is closed'));
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
