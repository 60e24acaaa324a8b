/**
 * The sandbox that runs users' transformation code (issue 6).
 *
 * The isolation boundary is QuickJS compiled to WebAssembly (quickjs-emscripten): user code only
 * reaches what the worker puts in its global object, and its heap is a WebAssembly memory with a
 * fixed maximum. The engine runs in piscina worker threads so a run that takes its full second
 * never blocks the API's event loop. Two deadlines guard a run: QuickJS's interrupt handler (the
 * normal case), and this side's watchdog, which terminates the worker (piscina replaces it) when a
 * single long native operation keeps the engine from asking in time.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';

export type SandboxRequest = { headers: Record<string, string>; body: unknown; query: Record<string, unknown>; path: string };
export type SandboxLog = { level: 'log' | 'info' | 'warn' | 'error' | 'debug'; message: string; at_ms: number };
export type SandboxErrorCode = 'SYNTAX' | 'NO_HANDLER' | 'THREW' | 'TIMEOUT' | 'MEMORY' | 'BAD_RESULT' | 'TOO_LARGE';
export type SandboxResult =
  | { ok: true; request: SandboxRequest; logs: SandboxLog[]; duration_ms: number }
  | { ok: false; error: { code: SandboxErrorCode; message: string }; logs: SandboxLog[]; duration_ms: number };
export type SandboxInput = { code: string; env: Record<string, string>; request: SandboxRequest; context?: Record<string, unknown> };
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

type TaskIn = { code: string; envJson: string; inputJson: string; port: MessagePort };
type TaskOut =
  | { ok: true; patch: Partial<SandboxRequest>; logs: SandboxLog[]; duration_ms: number }
  | { ok: false; error: { code: SandboxErrorCode; message: string }; logs: SandboxLog[]; duration_ms: number };

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
    workerData: { timeoutMs, memoryMiB },
  });
  let closed = false;

  async function run(input: SandboxInput): Promise<SandboxResult> {
    if (closed) throw new Error('the transformation sandbox is closed');
    const request: SandboxRequest = {
      headers: input.request.headers ?? {},
      body: input.request.body === undefined ? null : input.request.body,
      query: input.request.query ?? {},
      path: input.request.path ?? '/',
    };
    const inputJson = JSON.stringify({ request, context: input.context ?? {} });
    const envJson = JSON.stringify(input.env ?? {});
    const inputBytes = Buffer.byteLength(inputJson, 'utf8') + Buffer.byteLength(envJson, 'utf8');
    if (inputBytes > SANDBOX_MAX_JSON_BYTES) {
      return failed('TOO_LARGE', `the request given to the transformation is ${mb(inputBytes)} MB of JSON; the limit is ${mb(SANDBOX_MAX_JSON_BYTES)} MB`, 0);
    }

    const { port1, port2 } = new MessageChannel();
    const abort = new AbortController();
    let startedAt: number | null = null;
    let watchdog: NodeJS.Timeout | undefined;
    let gaveUp = false;
    const waiting = setTimeout(() => {
      // Still queued: withdrawn (a queued task leaves piscina's queue without touching a worker).
      gaveUp = true;
      abort.abort();
    }, maxWaitMs);
    // Armed when the worker starts the run, not when it is queued: waiting for a thread is not the user's time.
    port1.once('message', () => {
      clearTimeout(waiting);
      startedAt = performance.now();
      watchdog = setTimeout(() => abort.abort(), timeoutMs + graceMs);
    });
    try {
      const out = await pool.run({ code: input.code, envJson, inputJson, port: port2 }, { signal: abort.signal, transferList: [port2] });
      if (!out.ok) return out;
      return { ok: true, request: { ...request, ...out.patch }, logs: out.logs, duration_ms: out.duration_ms };
    } catch (error) {
      const ranFor = startedAt === null ? 0 : performance.now() - startedAt;
      if (gaveUp) throw new SandboxBusy(1000);
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
    }
  }

  return {
    run,
    async close() {
      if (closed) return;
      closed = true;
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
