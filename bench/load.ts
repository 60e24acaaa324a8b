import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';

/** The open-loop load generator of the gateway benches, and the percentile helpers its results use. */

/** Wall-clock milliseconds with sub-ms resolution, comparable between processes on this machine. */
export const wallNow = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The nearest-rank percentile `p` (0–100) of sorted values; NaN for none. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
export function sortedOf(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/** Polls `f` every 100 ms until it answers true; throws after `timeoutMs`. */
export async function waitUntil(what: string, timeoutMs: number, f: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await f().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export type LoadOptions = {
  pool: Pool;
  /** The URL path, or the path of request number `index` (to spread one stream over several sources). */
  path: string | ((index: number) => string);
  rate: number;
  seconds: number;
  seqBase: number;
  phase: string;
  bodyBytes: number;
  timeoutMs: number;
  maxInFlight: number;
  /** Request body for one seq (default: bodyFor, an inbound order.paid of bodyBytes). */
  body?: (seq: number) => string;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
  /** The status that counts as accepted (default 200; POST /publish answers 202). */
  okStatus?: number;
  /** Read each accepted answer's `eventId` (POST /publish) into LoadResult.eventIds. */
  captureEventIds?: boolean;
};
export type LoadResult = {
  phase: string;
  rate: number;
  seconds: number;
  offered: number;
  accepted: number;
  seqBase: number;
  /** Per request index: wall time the success answer (200, or okStatus) was received, or NaN. */
  acceptedAtWall: Float64Array;
  /** Per request index: the eventId answered (captureEventIds only). */
  eventIds: (string | undefined)[];
  /** Ingest latency of accepted requests, from scheduled send time, sorted (ms). */
  latency: Float64Array;
  /** The same for requests answered 503 (refused under overload), sorted (ms). */
  refusedLatency: Float64Array;
  /** Per request index: the HTTP status answered, 0 for none (a timeout, a connection error, not sent). */
  status: Uint16Array;
  errors: Map<string, number>;
  /** Accepted per second over the time from the first scheduled send to the last answer. */
  acceptedPerSec: number;
  /** How late this process sent requests behind their schedule (p99, ms): the generator's own limit. */
  lagP99: number;
  startWall: number;
  endWall: number;
};

export function bodyFor(seq: number, phase: string, bytes: number): string {
  const head = `{"type":"order.paid","phase":"${phase}","seq":${seq},"amount":42,"pad":"`;
  return `${head}${'x'.repeat(Math.max(0, bytes - head.length - 2))}"}`;
}

export function openLoop(o: LoadOptions): Promise<LoadResult> {
  const n = Math.max(1, Math.round(o.rate * o.seconds));
  const interval = 1000 / o.rate;
  const done = new Float64Array(n).fill(NaN);
  const lag = new Float64Array(n);
  const ok = new Uint8Array(n);
  const status = new Uint16Array(n);
  const errors = new Map<string, number>();
  const bump = (k: string) => errors.set(k, (errors.get(k) ?? 0) + 1);
  const headers = { 'content-type': 'application/json', 'user-agent': 'wirehub-bench', ...o.headers };
  const bodyOf = o.body ?? ((seq: number) => bodyFor(seq, o.phase, o.bodyBytes));
  const okStatus = o.okStatus ?? 200;
  const eventIds: (string | undefined)[] = o.captureEventIds ? new Array<string | undefined>(n) : [];
  const start = performance.now() + 5;
  let sent = 0;
  let finished = 0;
  let inFlight = 0;

  return new Promise((resolve) => {
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(hardStop);
      const latency: number[] = [];
      const refusedLatency: number[] = [];
      let lastDone = start;
      for (let i = 0; i < n; i++) {
        if (status[i] === 503) refusedLatency.push(done[i] - (start + i * interval));
        if (!ok[i]) continue;
        latency.push(done[i] - (start + i * interval));
        lastDone = Math.max(lastDone, done[i]);
      }
      const accepted = latency.length;
      const acceptedAtWall = new Float64Array(n).fill(NaN);
      for (let i = 0; i < n; i++) if (ok[i]) acceptedAtWall[i] = performance.timeOrigin + done[i];
      const missing = n - finished;
      if (missing > 0) errors.set('no answer by the deadline', missing);
      resolve({
        phase: o.phase,
        rate: o.rate,
        seconds: o.seconds,
        offered: n,
        accepted,
        seqBase: o.seqBase,
        acceptedAtWall,
        eventIds,
        latency: sortedOf(latency),
        refusedLatency: sortedOf(refusedLatency),
        status,
        errors,
        acceptedPerSec: accepted / (Math.max(lastDone - start, o.seconds * 1000) / 1000),
        lagP99: percentile(lag.slice(0, sent).sort(), 99),
        startWall: performance.timeOrigin + start,
        endWall: performance.timeOrigin + Math.max(lastDone, start + o.seconds * 1000),
      });
    };
    // Bounded in time whatever happens: the schedule, then the per-request timeout, then a margin.
    const hardStop = setTimeout(finish, o.seconds * 1000 + o.timeoutMs + 5_000);

    const fire = (i: number, now: number) => {
      lag[i] = Math.max(0, now - (start + i * interval));
      inFlight++;
      o.pool
        .request({
          path: typeof o.path === 'string' ? o.path : o.path(i),
          method: 'POST',
          headers,
          body: bodyOf(o.seqBase + i),
          headersTimeout: o.timeoutMs,
          bodyTimeout: o.timeoutMs,
          signal: AbortSignal.timeout(o.timeoutMs),
        })
        .then(
          async (res) => {
            status[i] = res.statusCode;
            if (res.statusCode === okStatus && o.captureEventIds) {
              eventIds[i] = ((await res.body.json()) as { eventId?: string }).eventId;
              ok[i] = 1;
              return;
            }
            await res.body.dump();
            if (res.statusCode === okStatus) ok[i] = 1;
            // A refusal the sender cannot schedule its retry from is worth its own line.
            else bump(res.statusCode === 503 && res.headers['retry-after'] === undefined ? 'HTTP 503 without Retry-After' : `HTTP ${res.statusCode}`);
          },
          (err: Error & { code?: string | number }) =>
            bump(err.name === 'TimeoutError' ? `client timeout (${o.timeoutMs / 1000} s)` : String(err.code ?? err.name)),
        )
        .finally(() => {
          done[i] = performance.now();
          inFlight--;
          if (++finished === n) finish();
        });
    };
    const tick = () => {
      if (settled) return;
      const now = performance.now();
      const due = Math.min(n, Math.floor((now - start) / interval) + 1);
      while (sent < due) {
        const i = sent++;
        if (inFlight >= o.maxInFlight) {
          // Open loop, but not unbounded: past this many outstanding requests we stop offering.
          bump('not sent (generator in-flight cap)');
          if (++finished === n) finish();
          continue;
        }
        fire(i, now);
      }
      if (sent < n) setTimeout(tick, Math.max(0, Math.min(1, start + sent * interval - performance.now())));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
}
