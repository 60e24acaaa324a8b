import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import type { NewEvent, NewIgnored } from './route-request.ts';

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
};

type Item = { request: StoredRequest; events: NewEvent[]; ignored: NewIgnored[]; done: (err?: unknown) => void };

const MAX_BATCH = 500;
const MAX_IN_FLIGHT = 2;

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

  write(request: StoredRequest, events: NewEvent[], ignored: NewIgnored[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, events, ignored, done: (err) => (err ? reject(err) : resolve()) });
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
    const events = batch.flatMap((i) => i.events.map((e) => ({ ...e, request: i.request })));
    const ignored = batch.flatMap((i) => i.ignored.map((g) => ({ ...g, request: i.request })));
    const col = <T, V>(rows: T[], f: (r: T) => V) => rows.map(f);
    await this.deps.db.transaction().execute(async (trx) => {
      await sql`
        INSERT INTO requests (id, workspace_id, source_id, status, rejection_cause, verified, method, path, query, headers, content_type, body, events_count, ignored_count)
        SELECT * FROM unnest(
          ${col(reqs, (r) => r.id)}::text[], ${col(reqs, (r) => r.workspace_id)}::text[], ${col(reqs, (r) => r.source_id)}::text[],
          ${col(reqs, (r) => r.status)}::text[], ${col(reqs, (r) => r.rejection_cause)}::text[], ${col(reqs, (r) => r.verified)}::bool[],
          ${col(reqs, (r) => r.method)}::text[], ${col(reqs, (r) => r.path)}::text[], ${col(reqs, (r) => JSON.stringify(r.query))}::jsonb[],
          ${col(reqs, (r) => JSON.stringify(r.headers))}::jsonb[], ${col(reqs, (r) => r.content_type)}::text[], ${col(reqs, (r) => r.body)}::bytea[],
          ${col(batch, (i) => i.events.length)}::int[], ${col(batch, (i) => i.ignored.length)}::int[])`.execute(trx);
      if (events.length > 0) {
        await sql`
          INSERT INTO events (id, workspace_id, request_id, source_id, connection_id, destination_id, lane, status, next_attempt_at)
          SELECT id, ws, req, src, conn, dest, lane, status, CASE WHEN status = 'QUEUED' THEN now() END
          FROM unnest(
            ${col(events, (e) => e.id)}::text[], ${col(events, (e) => e.request.workspace_id)}::text[], ${col(events, (e) => e.request.id)}::text[],
            ${col(events, (e) => e.request.source_id)}::text[], ${col(events, (e) => e.connection_id)}::text[], ${col(events, (e) => e.destination_id)}::text[],
            ${col(events, (e) => e.lane)}::smallint[], ${col(events, (e) => e.status)}::text[]
          ) AS t(id, ws, req, src, conn, dest, lane, status)`.execute(trx);
      }
      if (ignored.length > 0) {
        await sql`
          INSERT INTO ignored_events (id, workspace_id, request_id, connection_id, cause)
          SELECT * FROM unnest(
            ${col(ignored, (g) => g.id)}::text[], ${col(ignored, (g) => g.request.workspace_id)}::text[],
            ${col(ignored, (g) => g.request.id)}::text[], ${col(ignored, (g) => g.connection_id)}::text[], ${col(ignored, (g) => g.cause)}::text[])`.execute(trx);
      }
    });
    const lanes = [...new Set(events.filter((e) => e.status === 'QUEUED').map((e) => e.lane))];
    if (lanes.length > 0) this.deps.wake(lanes);
  }
}
