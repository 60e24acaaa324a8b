import { type Kysely, sql, type Transaction } from 'kysely';
import type { DB, RequestRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { routeRequest, type Routed } from '../ingest/route-request.ts';
import { bodyForReading } from './body.ts';

export type ReplayableRequest = Pick<RequestRow, 'id' | 'workspace_id' | 'source_id' | 'body' | 'content_type' | 'headers' | 'query' | 'path'>;
export type PlannedReplay = { request: ReplayableRequest; routed: Routed };

/**
 * What replaying a stored request would make now: it goes through its source's connections as
 * they are today (filters included; a replay is neither deduplicated nor delayed again). Null
 * when the source is gone.
 */
export async function planReplay(deps: Pick<Deps, 'routing'>, request: ReplayableRequest): Promise<PlannedReplay | null> {
  const source = await deps.routing.get(request.source_id);
  if (!source) return null;
  const view = { body: bodyForReading(request.body, request.content_type), headers: request.headers, query: request.query, path: request.path };
  return { request, routed: routeRequest(view, source.routes) };
}

export type ReplayMark =
  | { kind: 'single' }
  /** `dueAt(i)` spreads the i-th new event of this batch over time so fresh traffic goes first. */
  | { kind: 'bulk'; batchOperationId: string; dueAt: (i: number) => Date };

/**
 * Stores the events and ignored events of planned replays and marks their requests as replayed;
 * says which were replayed. Their requests are locked first: one that retention deleted since it
 * was read (prune-log.job.ts) is left out, and none can be deleted before this transaction ends.
 */
export async function writeReplays(
  trx: Transaction<DB> | Kysely<DB>,
  all: PlannedReplay[],
  mark: ReplayMark,
): Promise<{ eventIds: string[]; replayed: PlannedReplay[] }> {
  const bulk = mark.kind === 'bulk' ? mark : null;
  const locked = all.length
    ? await sql<{ id: string }>`SELECT id FROM requests WHERE id = ANY (${all.map((p) => p.request.id)}::text[]) FOR NO KEY UPDATE`.execute(trx)
    : { rows: [] };
  const kept = new Set(locked.rows.map((r) => r.id));
  const planned = all.filter((p) => kept.has(p.request.id));
  let n = 0;
  const events = planned.flatMap(({ request, routed }) =>
    routed.events.map((e) => ({
      ...e,
      workspace_id: request.workspace_id,
      request_id: request.id,
      source_id: request.source_id,
      pending_trigger: bulk ? ('bulk' as const) : ('manual' as const),
      batch_operation_id: bulk?.batchOperationId ?? null,
      next_attempt_at: e.status === 'QUEUED' ? (bulk ? bulk.dueAt(n++) : new Date()) : null,
    })),
  );
  const ignored = planned.flatMap(({ request, routed }) => routed.ignored.map((g) => ({ ...g, workspace_id: request.workspace_id, request_id: request.id })));
  if (events.length) await trx.insertInto('events').values(events).execute();
  if (ignored.length) await trx.insertInto('ignored_events').values(ignored).execute();
  if (planned.length) {
    // One statement for the whole batch: a bulk replay marks up to a hundred requests at a time.
    const col = <V>(f: (p: PlannedReplay) => V) => planned.map(f);
    await sql`
      UPDATE requests r SET events_count = r.events_count + v.events, ignored_count = r.ignored_count + v.ignored,
        retry_kind = ${mark.kind}, batch_operation_id = COALESCE(${bulk?.batchOperationId ?? null}::text, r.batch_operation_id)
      FROM unnest(${col((p) => p.request.id)}::text[], ${col((p) => p.routed.events.length)}::int[], ${col((p) => p.routed.ignored.length)}::int[]) AS v(id, events, ignored)
      WHERE r.id = v.id`.execute(trx);
  }
  return { eventIds: events.map((e) => e.id), replayed: planned };
}
