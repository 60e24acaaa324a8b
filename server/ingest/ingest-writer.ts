import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler } from 'express';
import { sql } from 'kysely';
import { AppError } from '../core/errors.ts';
import type { RequestRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { newId } from '../core/ids.ts';
import { HeapPressure } from '../core/heap-pressure.ts';
import { LoopLag } from '../core/loop-lag.ts';
import { AdmissionLimit } from './admission-limit.ts';
import { claimDedupeKeys } from './dedupe.ts';
import type { NewEvent, NewIgnored, Routed } from './route-request.ts';

/**
 * A request as ingest writes it: the requests row's columns (server/db/schema.ts, RequestsTable) bar
 * what the insert itself fills in; the logs' summary and the trace context are optional.
 */
export type StoredRequest = Pick<
  RequestRow,
  'id' | 'workspace_id' | 'source_id' | 'status' | 'rejection_cause' | 'verified' | 'method' | 'path' | 'query' | 'headers' | 'content_type' | 'body'
> &
  Partial<Pick<RequestRow, 'summary' | 'event_type' | 'traceparent'>>;

type Ticket = { sender: string; id: number };
type Item = { request: StoredRequest; routed: Routed; done: (err?: unknown) => void; at: number };
type Row<T> = T & { request: StoredRequest };
type EventRow = Row<NewEvent> & { delayMs: number };

const MAX_BATCH = 500;
const MAX_IN_FLIGHT = 2;
/** A delay this short is woken by a timer in this process; longer ones are found by the lanes' poll. */
const TIMED_WAKE_MAX_MS = 60_000;
/**
 * Refused past this many waiting requests whatever the timings say: before the first commit has
 * been timed (a database stalled from the start) nothing else bounds the queue's memory.
 */
const MAX_QUEUED = 20 * MAX_BATCH;
/** Weight of the newest batch in the running commit time: about the last ten batches count. */
const EWMA_WEIGHT = 0.2;
const RETRY_AFTER_MAX_S = 30;
/**
 * One request may be slow for reasons of its own (a publish waiting for another with its
 * idempotency key): a sender counts as slow once this many of its requests have waited long.
 */
const STUCK_TOLERATED = 2;
/** A sender's requests in progress count as stalled past this many times the bound. */
const STALL_FACTOR = 5;

/**
 * Group commit: requests arriving while a write is in flight are stored together in the next
 * transaction. One row-set INSERT per table per batch is what lets a small machine take thousands
 * of requests a second, and each caller still gets its answer only after its own commit.
 */
export class IngestWriter {
  private queue: Item[] = [];
  private inFlight = 0;
  private idle: (() => void)[] = [];
  /** Running mean of a batch's commit time (ms), the yardstick of how fast the queue moves. */
  private batchMs = 0;

  private readonly lag: LoopLag | null;
  private readonly heap: HeapPressure | null;
  private readonly limit: AdmissionLimit;
  /** Requests carry a traceparent to store only while traces are exported; otherwise the column is left out of the INSERT. */
  private readonly traced: boolean;

  constructor(
    private readonly deps: Deps,
    /** Beyond this expected wait (ms) `refusal` turns new requests away; 0 never does. */
    private readonly maxWaitMs = deps.config.ingestMaxWaitMs,
    /** Beyond this event-loop lag (ms) too; 0 never refuses on lag. */
    private readonly maxLagMs = deps.config.ingestMaxLagMs,
    /** Beyond this share of the heap's limit (%) too; 0 never refuses on memory. */
    private readonly maxHeapPercent = deps.config.ingestMaxHeapPercent,
    heap?: HeapPressure,
    maxLoopBusyPercent = deps.config.ingestMaxLoopBusyPercent,
  ) {
    this.limit = new AdmissionLimit(maxLoopBusyPercent / 100);
    this.traced = deps.tracing !== null;
    this.lag = maxLagMs > 0 ? new LoopLag() : null;
    this.heap = maxHeapPercent > 0 ? (heap ?? new HeapPressure()) : null;
  }

  write(request: StoredRequest, routed: Routed): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, routed, done: (err) => (err ? reject(err) : resolve()), at: performance.now() });
      this.pump();
    });
  }

  /**
   * Requests past the overload check whose answer is not sent yet, per sender (a source, or a
   * publishing credential), by the time they were taken in (insertion order is age order). They
   * count before they reach the queue: while the database stalls, a request may wait in its
   * source's routing lookup or a publish's idempotency claim instead. Per sender, so that one
   * sender whose requests are slow for reasons of its own (filters that burn their CPU budget)
   * has its own requests refused, not everyone's.
   */
  private admitted = new Map<string, Map<number, number>>();
  private nextTicket = 0;

  /** Marks a request of `sender` as taken in; `leave` once it is answered, whatever the answer. */
  enter(sender: string): Ticket {
    const ticket = { sender, id: this.nextTicket++ };
    let mine = this.admitted.get(sender);
    if (!mine) this.admitted.set(sender, (mine = new Map()));
    mine.set(ticket.id, performance.now());
    return ticket;
  }

  leave(ticket: Ticket): void {
    const mine = this.admitted.get(ticket.sender);
    if (mine?.delete(ticket.id) && mine.size === 0) this.admitted.delete(ticket.sender);
  }

  /**
   * How long a request taken in now would wait for its commit (ms). FIFO: it waits at least as
   * long as the head of the queue already has (which alone grows while the database stalls), and
   * as its sender's requests still in progress (but a few stragglers) have; and, with every
   * in-flight slot busy, for the batches ahead of it to pass through the slots at the recent
   * commit time, then its own commit. With a slot free it is written at once: refusing it would
   * win nothing, and after a stall that is how the commit time is measured again.
   */
  expectedWaitMs(sender?: string, now = performance.now()): number {
    const mine = sender === undefined ? undefined : this.admitted.get(sender);
    const stuck = now - ((mine && nthOldest(mine, STUCK_TOLERATED)) ?? now);
    // Slowness outside the writer (a starved CPU) is not the writer's to shed: on a loaded machine
    // (bench phase 3b at 1,500/s) counting it refused 9 in 10 requests. Only a sender's requests
    // stuck far longer than the bound (a stall before the writer) count.
    const waited = Math.max(now - (this.queue[0]?.at ?? now), stuck > STALL_FACTOR * this.maxWaitMs ? stuck : 0);
    if (this.inFlight < MAX_IN_FLIGHT) return waited;
    const ahead = (Math.floor(this.queue.length / MAX_BATCH) + 1) * (this.batchMs / MAX_IN_FLIGHT);
    return Math.max(waited, ahead + this.batchMs);
  }

  /**
   * Null when a new request (of `sender`, when known yet) may be taken in; otherwise the seconds
   * it should retry after. Asked before a request's body is read, so that an overloaded gateway
   * refuses cheaply and what it has taken in is committed promptly instead of waiting behind an
   * unbounded queue. A refused request is not stored at all: the sender's retry is its only copy.
   */
  refusal(sender?: string): number | null {
    // The lag says nothing of when the database will commit: a second is a fair time to retry.
    if (this.lag && this.lag.ms > this.maxLagMs) return 1;
    // A garbage collection frees most of a full heap within a second.
    if (this.heap && this.heap.percent > this.maxHeapPercent) return 1;
    if (this.maxWaitMs === 0) return null;
    const wait = this.expectedWaitMs(sender);
    if (wait <= this.maxWaitMs && this.queue.length < MAX_QUEUED) return null;
    return Math.min(RETRY_AFTER_MAX_S, Math.max(1, Math.ceil(wait / 1000)));
  }

  /**
   * Null when this process's loop has room for one more request, which is then counted as taken
   * in; otherwise the seconds to retry after. Asked once a request, on arrival (`refuseBeforeExpress`).
   */
  allowance(): number | null {
    // The loop has been running full: in a second the allowance has grown back if it has room.
    return this.limit.admit() ? null : 1;
  }

  /** Resolves once everything submitted so far is committed (or failed), and stops measuring the lag and the heap. */
  async close(): Promise<void> {
    this.lag?.stop();
    this.heap?.stop();
    this.limit.stop();
    await this.drain();
  }

  /** Resolves once everything submitted so far is committed (or failed). */
  async drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      const started = performance.now();
      this.flush(batch)
        .then(
          () => batch.forEach((i) => i.done()),
          (err) => batch.forEach((i) => i.done(err)),
        )
        .finally(() => {
          const ms = performance.now() - started;
          this.batchMs = this.batchMs === 0 ? ms : this.batchMs + EWMA_WEIGHT * (ms - this.batchMs);
          this.inFlight--;
          this.pump();
          if (this.inFlight === 0 && this.queue.length === 0) this.idle.splice(0).forEach((f) => f());
        });
    }
  }

  private async flush(batch: Item[]): Promise<void> {
    const candidates = batch.flatMap((i) => i.routed.events.map((e, n) => ({ ...e, request: i.request, delayMs: i.routed.arrival?.delayMs[n] ?? 0 })));
    const claims = batch.flatMap((i) => i.routed.events.map((_, n) => i.routed.arrival?.dedupe[n] ?? null));
    let events: EventRow[] = candidates;
    if (claims.some((c) => c !== null)) {
      await this.deps.db.transaction().execute(async (trx) => {
        // Deduplicate keys are taken in the transaction that creates the events: if it fails, the
        // keys go with it, and a concurrent batch waits for this one's outcome.
        const duplicates = await claimDedupeKeys(trx, claims);
        events = candidates.filter((_, n) => !duplicates.has(n));
        const dropped = candidates.flatMap((e, n) =>
          duplicates.has(n)
            ? [{ id: newId('ign'), connection_id: e.connection_id, cause: 'DUPLICATE', step: claims[n]?.step ?? null, request: e.request }]
            : [],
        );
        await storeBatch(batch, events, dropped, this.traced).execute(trx);
      });
    } else {
      // One statement is its own transaction: no BEGIN and COMMIT round trips.
      await storeBatch(batch, events, [], this.traced).execute(this.deps.db);
    }
    const lanes = [...new Set(events.filter((e) => e.status === 'QUEUED').map((e) => e.lane))];
    if (lanes.length > 0) this.deps.wake(lanes);
    this.wakeWhenDue(events.filter((e) => e.status === 'SCHEDULED'));
  }

  /** Delayed events are delivered by the lanes' poll anyway; a timer just makes a short delay punctual. */
  private wakeWhenDue(scheduled: EventRow[]): void {
    const byDelay = new Map<number, Set<number>>();
    for (const e of scheduled) {
      if (e.delayMs > TIMED_WAKE_MAX_MS) continue;
      const lanes = byDelay.get(e.delayMs) ?? new Set<number>();
      byDelay.set(e.delayMs, lanes.add(e.lane));
    }
    for (const [ms, lanes] of byDelay) setTimeout(() => this.deps.wake([...lanes]), ms + 5).unref();
  }
}

/**
 * The batch's requests, their events and their ignored events (the routes' and `duplicates`), in
 * one statement: all of it is stored, or none.
 */
function storeBatch(batch: Item[], events: EventRow[], duplicates: Row<NewIgnored>[], traced: boolean) {
  const reqs = batch.map((i) => i.request);
  const col = <T, V>(rows: T[], f: (r: T) => V) => rows.map(f);
  const ignored: Row<NewIgnored>[] = [...batch.flatMap((i) => i.routed.ignored.map((g) => ({ ...g, request: i.request }))), ...duplicates];
  const count = (rows: { request: StoredRequest }[]) => {
    const by = new Map<string, number>();
    for (const r of rows) by.set(r.request.id, (by.get(r.request.id) ?? 0) + 1);
    return reqs.map((r) => by.get(r.id) ?? 0);
  };
  const storeEvents =
    events.length === 0
      ? sql``
      : sql`, stored_events AS (
    INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, next_attempt_at)
    SELECT id, ws, req, src, conn, dest, lane, status,
      CASE status WHEN 'QUEUED' THEN now() WHEN 'SCHEDULED' THEN now() + make_interval(secs => delay_ms / 1000.0) END
    FROM unnest(
      ${col(events, (e) => e.id)}::text[], ${col(events, (e) => e.request.workspace_id)}::text[], ${col(events, (e) => e.request.id)}::text[],
      ${col(events, (e) => e.request.source_id)}::text[], ${col(events, (e) => e.connection_id)}::text[], ${col(events, (e) => e.destination_id)}::text[],
      ${col(events, (e) => e.lane)}::smallint[], ${col(events, (e) => e.status)}::text[], ${col(events, (e) => e.delayMs)}::int[]
    ) AS t(id, ws, req, src, conn, dest, lane, status, delay_ms))`;
  const storeIgnored =
    ignored.length === 0
      ? sql``
      : sql`, stored_ignored AS (
    INSERT INTO ignored_events (id, workspace_id, request_id, connection_id, cause, step)
    SELECT * FROM unnest(
      ${col(ignored, (g) => g.id)}::text[], ${col(ignored, (g) => g.request.workspace_id)}::text[],
      ${col(ignored, (g) => g.request.id)}::text[], ${col(ignored, (g) => g.connection_id)}::text[], ${col(ignored, (g) => g.cause)}::text[],
      ${col(ignored, (g) => g.step)}::text[]))`;
  // The foreign keys from events and ignored events to requests are checked at the end of the
  // statement, when the requests of the first CTE are there.
  return sql`
    WITH stored_requests AS (
      INSERT INTO requests (id, workspace_id, source_id, status, rejection_cause, verified, method, path, query, headers, content_type, body, events_count, ignored_count, summary, event_type${traced ? sql`, traceparent` : sql``})
      SELECT * FROM unnest(
        ${col(reqs, (r) => r.id)}::text[], ${col(reqs, (r) => r.workspace_id)}::text[], ${col(reqs, (r) => r.source_id)}::text[],
        ${col(reqs, (r) => r.status)}::text[], ${col(reqs, (r) => r.rejection_cause)}::text[], ${col(reqs, (r) => r.verified)}::bool[],
        ${col(reqs, (r) => r.method)}::text[], ${col(reqs, (r) => r.path)}::text[], ${col(reqs, (r) => JSON.stringify(r.query))}::jsonb[],
        ${col(reqs, (r) => JSON.stringify(r.headers))}::jsonb[], ${col(reqs, (r) => r.content_type)}::text[], ${col(reqs, (r) => r.body)}::bytea[],
        ${count(events)}::int[], ${count(ignored)}::int[],
        ${col(reqs, (r) => r.summary ?? null)}::text[], ${col(reqs, (r) => r.event_type ?? null)}::text[]${traced ? sql`, ${col(reqs, (r) => r.traceparent ?? null)}::text[]` : sql``}))${storeEvents}${storeIgnored}
    SELECT 1`;
}

/** When the n-th oldest of these requests was taken in; undefined with fewer. */
function nthOldest(takenIn: Map<number, number>, n: number): number | undefined {
  if (takenIn.size < n) return undefined;
  let i = 0;
  for (const at of takenIn.values()) if (++i === n) return at;
  return undefined;
}

const overloadedMessage = (retryAfter: number) =>
  `More requests are arriving than can be stored promptly, so this one was not stored; retry it after ${retryAfter} s.`;

const overloaded = (retryAfter: number) =>
  new AppError(503, 'OVERLOADED', overloadedMessage(retryAfter), { retry_after_seconds: retryAfter }, { 'Retry-After': String(retryAfter) });

/** The 503 `refuseBeforeExpress` sends, as errorMiddleware would write it, built once per Retry-After. */
const refusals = new Map<number, Buffer>();
function refusalBody(retryAfter: number): Buffer {
  let body = refusals.get(retryAfter);
  if (!body) {
    const error = { code: 'OVERLOADED', message: overloadedMessage(retryAfter), details: { retry_after_seconds: retryAfter } };
    refusals.set(retryAfter, (body = Buffer.from(JSON.stringify({ error }))));
  }
  return body;
}

/**
 * Answers 503 to a request for `writes` (ingest, publish) while the writer refuses everyone,
 * before Express sees it; true when it did. When this process's own event loop is what is
 * overloaded, a refusal costs what Express's router, middlewares and error handler cost (158 µs of
 * CPU a request against 23 µs here, measured closed-loop), which is most of an accepted request's: refusing then
 * takes the time that accepting would have, and the backlog stays in the senders' connections.
 * What depends on the sender (its own requests stuck) is still asked by `inProgress`.
 */
export function refuseBeforeExpress(writer: IngestWriter, writes: (url: string, method: string) => boolean) {
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (!writes(req.url ?? '', req.method ?? '')) return false;
    const retryAfter = writer.refusal() ?? writer.allowance();
    if (retryAfter === null) return false;
    const body = refusalBody(retryAfter);
    res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Retry-After': String(retryAfter) });
    res.end(body);
    return true;
  };
}

/**
 * Mounted before a route that writes through the writer, ahead of reading its body: while the
 * writer (or this sender's requests) is too slow, the request is answered 503 + Retry-After and
 * nothing is stored; otherwise it counts as in progress (for `refusal`) until it is answered,
 * body read included, so a sender whose requests stall anywhere has its own refused.
 */
export function inProgress(writer: IngestWriter, senderOf: (req: Request) => string): RequestHandler {
  return (req, res, next) => {
    takeIn(writer, senderOf(req), res);
    next();
  };
}

/** What `inProgress` does, for a route served without Express: throws the 503 when `sender`'s request is refused. */
export function takeIn(writer: IngestWriter, sender: string, res: http.ServerResponse): void {
  const retryAfter = writer.refusal(sender);
  if (retryAfter !== null) throw overloaded(retryAfter);
  const ticket = writer.enter(sender);
  res.once('close', () => writer.leave(ticket));
}
