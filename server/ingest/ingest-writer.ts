import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { newId } from '../core/ids.ts';
import { claimDedupeKeys } from './dedupe.ts';
import type { NewEvent, NewIgnored, Routed } from './route-request.ts';

export type StoredRequest = {
  id: string;
  workspace_id: string;
  source_id: string;
  status: 'accepted' | 'rejected';
  rejection_cause: string | null;
  verified: boolean;
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  content_type: string | null;
  body: Buffer;
  /** For the logs' rows (payload-summary.ts). */
  summary?: string | null;
  event_type?: string | null;
};

type Item = { request: StoredRequest; routed: Routed; done: (err?: unknown) => void };
type Row<T> = T & { request: StoredRequest };
type EventRow = Row<NewEvent> & { delayMs: number };

const MAX_BATCH = 500;
const MAX_IN_FLIGHT = 2;
/** A delay this short is woken by a timer in this process; longer ones are found by the lanes' poll. */
const TIMED_WAKE_MAX_MS = 60_000;

/**
 * Group commit: requests arriving while a write is in flight are stored together in the next
 * transaction. One row-set INSERT per table per batch is what lets a small machine take thousands
 * of requests a second, and each caller still gets its answer only after its own commit.
 */
export class IngestWriter {
  private queue: Item[] = [];
  private inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(private readonly deps: Deps) {}

  write(request: StoredRequest, routed: Routed): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, routed, done: (err) => (err ? reject(err) : resolve()) });
      this.pump();
    });
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
      this.flush(batch)
        .then(
          () => batch.forEach((i) => i.done()),
          (err) => batch.forEach((i) => i.done(err)),
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.inFlight === 0 && this.queue.length === 0) this.idle.splice(0).forEach((f) => f());
        });
    }
  }

  private async flush(batch: Item[]): Promise<void> {
    const reqs = batch.map((i) => i.request);
    const col = <T, V>(rows: T[], f: (r: T) => V) => rows.map(f);
    let events: EventRow[] = [];
    await this.deps.db.transaction().execute(async (trx) => {
      // Deduplicate keys are taken in the transaction that creates the events: if it fails, the
      // keys go with it, and a concurrent batch waits for this one's outcome.
      const candidates = batch.flatMap((i) => i.routed.events.map((e, n) => ({ ...e, request: i.request, delayMs: i.routed.arrival?.delayMs[n] ?? 0 })));
      const claims = batch.flatMap((i) => i.routed.events.map((_, n) => i.routed.arrival?.dedupe[n] ?? null));
      const duplicates = await claimDedupeKeys(trx, claims);
      events = candidates.filter((_, n) => !duplicates.has(n));
      const ignored: Row<NewIgnored>[] = [
        ...batch.flatMap((i) => i.routed.ignored.map((g) => ({ ...g, request: i.request }))),
        ...candidates.flatMap((e, n) => (duplicates.has(n) ? [{ id: newId('ign'), connection_id: e.connection_id, cause: 'DUPLICATE', step: claims[n]?.step ?? null, request: e.request }] : [])),
      ];
      const count = (rows: { request: StoredRequest }[]) => {
        const by = new Map<string, number>();
        for (const r of rows) by.set(r.request.id, (by.get(r.request.id) ?? 0) + 1);
        return reqs.map((r) => by.get(r.id) ?? 0);
      };
      await sql`
        INSERT INTO requests (id, workspace_id, source_id, status, rejection_cause, verified, method, path, query, headers, content_type, body, events_count, ignored_count, summary, event_type)
        SELECT * FROM unnest(
          ${col(reqs, (r) => r.id)}::text[], ${col(reqs, (r) => r.workspace_id)}::text[], ${col(reqs, (r) => r.source_id)}::text[],
          ${col(reqs, (r) => r.status)}::text[], ${col(reqs, (r) => r.rejection_cause)}::text[], ${col(reqs, (r) => r.verified)}::bool[],
          ${col(reqs, (r) => r.method)}::text[], ${col(reqs, (r) => r.path)}::text[], ${col(reqs, (r) => JSON.stringify(r.query))}::jsonb[],
          ${col(reqs, (r) => JSON.stringify(r.headers))}::jsonb[], ${col(reqs, (r) => r.content_type)}::text[], ${col(reqs, (r) => r.body)}::bytea[],
          ${count(events)}::int[], ${count(ignored)}::int[],
          ${col(reqs, (r) => r.summary ?? null)}::text[], ${col(reqs, (r) => r.event_type ?? null)}::text[])`.execute(trx);
      if (events.length > 0) {
        await sql`
          INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, next_attempt_at)
          SELECT id, ws, req, src, conn, dest, lane, status,
            CASE status WHEN 'QUEUED' THEN now() WHEN 'SCHEDULED' THEN now() + make_interval(secs => delay_ms / 1000.0) END
          FROM unnest(
            ${col(events, (e) => e.id)}::text[], ${col(events, (e) => e.request.workspace_id)}::text[], ${col(events, (e) => e.request.id)}::text[],
            ${col(events, (e) => e.request.source_id)}::text[], ${col(events, (e) => e.connection_id)}::text[], ${col(events, (e) => e.destination_id)}::text[],
            ${col(events, (e) => e.lane)}::smallint[], ${col(events, (e) => e.status)}::text[], ${col(events, (e) => e.delayMs)}::int[]
          ) AS t(id, ws, req, src, conn, dest, lane, status, delay_ms)`.execute(trx);
      }
      if (ignored.length > 0) {
        await sql`
          INSERT INTO ignored_events (id, workspace_id, request_id, connection_id, cause, step)
          SELECT * FROM unnest(
            ${col(ignored, (g) => g.id)}::text[], ${col(ignored, (g) => g.request.workspace_id)}::text[],
            ${col(ignored, (g) => g.request.id)}::text[], ${col(ignored, (g) => g.connection_id)}::text[], ${col(ignored, (g) => g.cause)}::text[],
            ${col(ignored, (g) => g.step)}::text[])`.execute(trx);
      }
    });
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
