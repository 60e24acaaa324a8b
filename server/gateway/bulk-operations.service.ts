import { sql, type Transaction } from 'kysely';
import { ZodError } from 'zod';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { BulkOperationRow, BulkOperationState, DB } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { shaperFor, type ShapeInput } from '../delivery/outbound.ts';
import { MappingError } from './mappings.ts';
import { applyEventFilters, applyRequestFilters, StoredEventFilter, StoredRequestFilter, type EventFilter, type RequestFilter } from './log-filters.ts';
import { planReplay, writeReplays, type PlannedReplay } from './request-replay.ts';
import type { Rule } from './rules.ts';
import { isDeepJsonBody } from '../core/json-depth.ts';

export type BulkKind = 'events' | 'requests';

/**
 * How a bulk operation paces itself. Tests and the bench lower or raise them; nothing else should.
 *
 * Fresh traffic first: a lane claims the events a bulk operation queued (pending_trigger 'bulk')
 * only into the room other due events leave (DeliveryEngine.claim). Pacing is what keeps that claim
 * cheap: it steps over the due bulk rows to find fresh ones, so each batch is released with its
 * `next_attempt_at` spread over `spreadMs` from now, and the next batch only once fewer than
 * `maxBacklog` of this operation's events are due and unclaimed; never 100,000 at once. Pacing
 * alone was not enough: a fresh event still waited behind the whole backlog, `maxBacklog` deliveries,
 * seconds when the receiver is slow (bench/results-bulk-retry.md). The bulk runs as fast as the
 * receivers absorb what fresh traffic leaves them, and no faster.
 */
export const bulkTuning = { eventBatch: 500, requestBatch: 100, spreadMs: 250, maxBacklog: 500, sliceMs: 10_000 };

/** In-process signal (on `deps.due`) that an operation was created: the worker schedules its job at once. */
export const BULK_CREATED = 'bulk-operation-created';

const ONGOING: BulkOperationState[] = ['planned', 'running'];
const FINISHED: BulkOperationState[] = ['completed', 'cancelled', 'failed'];
const SAMPLE_SIZE = 5;

export function bulkOperationOut(op: BulkOperationRow) {
  return {
    id: op.id,
    team_id: op.workspace_id,
    kind: op.kind,
    state: op.state,
    dry_run: op.dry_run,
    query: op.query,
    estimated_count: op.estimated_count,
    processed_count: op.processed_count,
    skipped_count: op.skipped_count,
    total: op.total,
    progress: op.total > 0 ? Math.min(1, op.processed_count / op.total) : FINISHED.includes(op.state) ? 1 : 0,
    ...(op.sample ? { sample: op.sample } : {}),
    error: op.error,
    created_at: op.created_at,
    updated_at: op.updated_at,
    completed_at: op.completed_at,
  };
}
export type BulkOperationOut = ReturnType<typeof bulkOperationOut>;

/** What a bulk step did: the lanes to wake, or that the operation is over. */
export type StepResult = { finished: true } | { finished: false; lanes: number[] };

export type BulkFilter = { kind: 'events'; filter: EventFilter } | { kind: 'requests'; filter: RequestFilter };
type Filter = BulkFilter;

/** Times as ISO strings, nothing undefined: what the operation stores and shows as `query`. */
function storedQuery(filter: EventFilter | RequestFilter): Record<string, unknown> {
  return JSON.parse(JSON.stringify(filter)) as Record<string, unknown>;
}

export function bulkOperationsService(deps: Deps) {
  const { db } = deps;

  function countQuery(ws: string, f: Filter) {
    return f.kind === 'events'
      ? applyEventFilters(
          db.selectFrom('events').select((eb) => eb.fn.countAll<string>().as('n')),
          ws,
          f.filter,
        )
      : applyRequestFilters(
          db.selectFrom('requests').select((eb) => eb.fn.countAll<string>().as('n')),
          ws,
          f.filter,
        );
  }

  async function find(ws: string, kind: BulkKind, id: string): Promise<BulkOperationRow> {
    const op = await db
      .selectFrom('bulk_operations')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('kind', '=', kind)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!op) throw notFound('Bulk operation', id);
    return op;
  }

  /** What delivering one event now would send, under its connection's and destination's current settings. */
  async function previewDelivery(
    input: ShapeInput & { destination: { type: string; config: Record<string, unknown>; disabled_at: Date | null } | null; paused: boolean },
  ) {
    if (!input.destination) return { action: 'skip' as const, reason: 'the destination was deleted', delivery: null };
    const url = typeof input.destination.config.url === 'string' ? input.destination.config.url : null;
    const held = input.destination.disabled_at ? 'the destination is disabled' : input.paused ? 'the connection is paused' : null;
    try {
      const shaped = await shaperFor(deps).shape(input);
      return {
        action: held ? ('hold' as const) : ('deliver' as const),
        reason: held,
        delivery: {
          destination_type: input.destination.type,
          url,
          message_id: shaped.messageId,
          event_type: shaped.eventType ?? null,
          content_type: shaped.contentType,
          // A deep body stored before ingest refused it reads as its text (as in the logs), not a 500 from JSON.
          body: shaped.payload !== undefined && !isDeepJsonBody(shaped.body, shaped.contentType) ? shaped.payload : shaped.body.toString('utf8'),
        },
      };
    } catch (err) {
      if (!(err instanceof MappingError) && !(err instanceof SyntaxError)) throw err;
      return { action: 'fail' as const, reason: `the mapping cannot shape this event: ${err.message}`, delivery: null };
    }
  }

  async function sampleEvents(ws: string, filter: EventFilter): Promise<unknown[]> {
    const picked = await applyEventFilters(db.selectFrom('events').select(['events.id']), ws, filter)
      .orderBy('events.id')
      .limit(SAMPLE_SIZE)
      .execute();
    if (!picked.length) return [];
    const rows = await db
      .selectFrom('events as e')
      .innerJoin('requests as r', 'r.id', 'e.request_id')
      .innerJoin('connections as c', 'c.id', 'e.connection_id')
      .innerJoin('sources as s', 's.id', 'e.source_id')
      .leftJoin('destinations as d', 'd.id', 'e.destination_id')
      .select([
        'e.id',
        'e.workspace_id',
        'e.request_id',
        'e.connection_id',
        'e.destination_id',
        'e.status',
        'e.attempts',
        'r.body',
        'r.content_type',
        'r.headers',
        'r.query',
        'r.path',
        'c.rules',
        'c.updated_at as connection_updated_at',
        'c.paused_at',
        'c.disabled_at as connection_disabled_at',
        's.type as source_type',
        'd.id as d_id',
        'd.type as d_type',
        'd.config as d_config',
        'd.disabled_at as d_disabled_at',
      ])
      .where(
        'e.id',
        'in',
        picked.map((p) => p.id),
      )
      .orderBy('e.id')
      .execute();
    return Promise.all(
      rows.map(async (r) => ({
        event_id: r.id,
        request_id: r.request_id,
        connection_id: r.connection_id,
        destination_id: r.destination_id,
        status: r.status,
        attempts: r.attempts,
        ...(await previewDelivery({
          id: r.id,
          workspace_id: r.workspace_id,
          connection_id: r.connection_id,
          connection_updated_at: r.connection_updated_at,
          source_type: r.source_type,
          rules: r.rules as Rule[],
          body: r.body,
          content_type: r.content_type,
          request: { headers: r.headers, query: r.query, path: r.path },
          destination: r.d_id && r.d_type ? { type: r.d_type, config: r.d_config ?? {}, disabled_at: r.d_disabled_at ?? null } : null,
          paused: !!(r.paused_at || r.connection_disabled_at),
        })),
      })),
    );
  }

  async function sampleRequests(ws: string, filter: RequestFilter): Promise<unknown[]> {
    const requests = await applyRequestFilters(db.selectFrom('requests').selectAll(), ws, filter).orderBy('requests.id').limit(SAMPLE_SIZE).execute();
    const out: unknown[] = [];
    for (const request of requests) {
      const planned = request.status === 'accepted' ? await planReplay(deps, request) : null;
      if (!planned) {
        out.push({
          request_id: request.id,
          source_id: request.source_id,
          action: 'skip',
          reason: request.status !== 'accepted' ? 'a rejected request cannot be replayed' : 'the source no longer exists',
          events: [],
          ignored: [],
        });
        continue;
      }
      const connections = planned.routed.events.length
        ? await db
            .selectFrom('connections as c')
            .innerJoin('sources as s', 's.id', 'c.source_id')
            .leftJoin('destinations as d', 'd.id', 'c.destination_id')
            .select([
              'c.id',
              'c.rules',
              'c.updated_at',
              'c.paused_at',
              's.type as source_type',
              'd.type as d_type',
              'd.config as d_config',
              'd.disabled_at as d_disabled_at',
            ])
            .where(
              'c.id',
              'in',
              planned.routed.events.map((e) => e.connection_id),
            )
            .execute()
        : [];
      const byId = new Map(connections.map((c) => [c.id, c]));
      const events = [];
      for (const e of planned.routed.events) {
        const c = byId.get(e.connection_id);
        if (!c) continue;
        // previewDelivery's input as sampleEvents builds it, from a routed event and its connection
        // rather than a stored event's joined row: the fields are the same, their sources are not.
        events.push({
          connection_id: e.connection_id,
          destination_id: e.destination_id,
          status: e.status,
          ...(await previewDelivery({
            id: e.id,
            workspace_id: ws,
            connection_id: c.id,
            connection_updated_at: c.updated_at,
            source_type: c.source_type,
            rules: c.rules as Rule[],
            body: request.body,
            content_type: request.content_type,
            request: { headers: request.headers, query: request.query, path: request.path },
            destination: c.d_type ? { type: c.d_type, config: c.d_config ?? {}, disabled_at: c.d_disabled_at ?? null } : null,
            paused: !!c.paused_at,
          })),
        });
      }
      out.push({
        request_id: request.id,
        source_id: request.source_id,
        action: 'replay',
        reason: null,
        events,
        ignored: planned.routed.ignored.map((g) => ({ connection_id: g.connection_id, cause: g.cause })),
      });
    }
    return out;
  }

  /** `next_attempt_at` of the i-th of n events released together: spread over the pacing window. */
  const spread = (n: number) => {
    const start = Date.now();
    return (i: number) => new Date(start + Math.floor((bulkTuning.spreadMs * i) / Math.max(1, n)));
  };

  /** Stores one batch's progress; a batch shorter than a full one is the last and completes the operation. */
  async function record(trx: Transaction<DB>, op: BulkOperationRow, rows: { id: string }[], skipped: number, batchSize: number): Promise<void> {
    const last = rows.length < batchSize;
    await trx
      .updateTable('bulk_operations')
      .set((eb) => ({
        state: last ? 'completed' : 'running',
        cursor: rows.length ? rows[rows.length - 1].id : op.cursor,
        processed_count: eb('processed_count', '+', rows.length),
        skipped_count: eb('skipped_count', '+', skipped),
        // The estimate becomes the exact tally: events can stop (or start) matching while it runs.
        ...(last ? { total: eb('processed_count', '+', rows.length), completed_at: new Date() } : {}),
        updated_at: new Date(),
      }))
      .where('id', '=', op.id)
      .execute();
  }

  /** One batch of a bulk retry of events, in its own transaction with the operation row locked. */
  async function stepEvents(op: BulkOperationRow, trx: Transaction<DB>): Promise<StepResult> {
    const filter = StoredEventFilter.parse(op.query);
    let q = applyEventFilters(
      trx.selectFrom('events').select(['events.id', 'events.lane', 'events.destination_id', 'events.lease_until']),
      op.workspace_id,
      filter,
    );
    if (op.cursor) q = q.where('events.id', '>', op.cursor);
    const rows = await q.orderBy('events.id').limit(bulkTuning.eventBatch).execute();
    if (rows.length === 0) {
      await record(trx, op, rows, 0, 1);
      return { finished: true };
    }
    const destinations = await trx
      .selectFrom('destinations')
      .select(['id', 'disabled_at'])
      .where('id', 'in', [...new Set(rows.map((r) => r.destination_id))])
      .execute();
    const live = new Set(destinations.filter((d) => !d.disabled_at).map((d) => d.id));
    const now = Date.now();
    // An event of a deleted or disabled destination would only be held; one being delivered right now is left to that delivery.
    const eligible = rows.filter((r) => live.has(r.destination_id) && (!r.lease_until || r.lease_until.getTime() < now));
    const at = spread(eligible.length);
    const updated = eligible.length
      ? await sql<{ id: string; lane: number }>`
          UPDATE events e SET status = 'QUEUED', next_attempt_at = v.at, pending_trigger = 'bulk',
            batch_operation_id = ${op.id}, updated_at = now()
          FROM unnest(${eligible.map((r) => r.id)}::text[], ${eligible.map((_, i) => at(i))}::timestamptz[]) AS v(id, at)
          WHERE e.id = v.id AND (e.lease_until IS NULL OR e.lease_until < now())
          RETURNING e.id, e.lane`.execute(trx)
      : { rows: [] };
    await record(trx, op, rows, rows.length - updated.rows.length, bulkTuning.eventBatch);
    return { finished: false, lanes: [...new Set(updated.rows.map((r) => r.lane))] };
  }

  /** One batch of a bulk replay of requests: each accepted request goes through its connections as they are now. */
  async function stepRequests(op: BulkOperationRow, trx: Transaction<DB>): Promise<StepResult> {
    const filter = StoredRequestFilter.parse(op.query);
    let q = applyRequestFilters(
      trx
        .selectFrom('requests')
        .select([
          'requests.id',
          'requests.workspace_id',
          'requests.source_id',
          'requests.status',
          'requests.body',
          'requests.content_type',
          'requests.headers',
          'requests.query',
          'requests.path',
        ]),
      op.workspace_id,
      filter,
    );
    if (op.cursor) q = q.where('requests.id', '>', op.cursor);
    const rows = await q.orderBy('requests.id').limit(bulkTuning.requestBatch).execute();
    if (rows.length === 0) {
      await record(trx, op, rows, 0, 1);
      return { finished: true };
    }
    const planned: PlannedReplay[] = [];
    for (const row of rows) {
      const plan = row.status === 'accepted' ? await planReplay(deps, row) : null;
      if (plan) planned.push(plan);
    }
    const n = planned.reduce((sum, p) => sum + p.routed.events.filter((e) => e.status === 'QUEUED').length, 0);
    // A request retention deleted since the read is skipped, as one that cannot be replayed.
    const { replayed } = await writeReplays(trx, planned, { kind: 'bulk', batchOperationId: op.id, dueAt: spread(n) });
    await record(trx, op, rows, rows.length - replayed.length, bulkTuning.requestBatch);
    return { finished: false, lanes: [...new Set(replayed.flatMap((p) => p.routed.events.map((e) => e.lane)))] };
  }

  return {
    async create(ws: string, f: Filter, dryRun: boolean): Promise<BulkOperationOut> {
      // The operation covers what exists now: later events are fresh traffic, not part of it.
      const to = f.filter.to && f.filter.to < new Date() ? f.filter.to : new Date();
      const scoped: Filter = f.kind === 'events' ? { kind: 'events', filter: { ...f.filter, to } } : { kind: 'requests', filter: { ...f.filter, to } };
      const snapshot = scoped.filter;
      const count = Number((await countQuery(ws, scoped).executeTakeFirstOrThrow()).n);
      const sample = dryRun ? (scoped.kind === 'events' ? await sampleEvents(ws, scoped.filter) : await sampleRequests(ws, scoped.filter)) : null;
      const done = dryRun || count === 0;
      const op = await db
        .insertInto('bulk_operations')
        .values({
          id: newId('bop'),
          workspace_id: ws,
          kind: f.kind,
          state: done ? 'completed' : 'planned',
          query: JSON.stringify(storedQuery(snapshot)),
          dry_run: dryRun,
          estimated_count: count,
          total: count,
          cursor: null,
          sample: sample ? JSON.stringify(sample) : null,
          error: null,
          completed_at: done ? new Date() : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (!done) deps.due.emit(BULK_CREATED, op.id);
      return bulkOperationOut(op);
    },

    async list(ws: string, kind: BulkKind, bucket: 'all' | 'ongoing' | 'history', limit: number) {
      let q = db.selectFrom('bulk_operations').selectAll().where('workspace_id', '=', ws).where('kind', '=', kind);
      if (bucket === 'ongoing') q = q.where('state', 'in', ONGOING);
      if (bucket === 'history') q = q.where('state', 'in', FINISHED);
      const models = (await q.orderBy('id', 'desc').limit(limit).execute()).map(bulkOperationOut);
      return { models, count: models.length };
    },

    async get(ws: string, kind: BulkKind, id: string): Promise<BulkOperationOut> {
      return bulkOperationOut(await find(ws, kind, id));
    },

    async cancel(ws: string, kind: BulkKind, id: string): Promise<BulkOperationOut> {
      // Waits for a batch in progress (it holds the row), so the counts stay exact.
      const op = await db
        .updateTable('bulk_operations')
        .set({ state: 'cancelled', completed_at: new Date(), updated_at: new Date() })
        .where('workspace_id', '=', ws)
        .where('kind', '=', kind)
        .where('id', '=', id)
        .where('state', 'in', ONGOING)
        .returningAll()
        .executeTakeFirst();
      if (op) return bulkOperationOut(op);
      const existing = await find(ws, kind, id);
      throw new AppError(409, 'BULK_OPERATION_FINISHED', `Bulk operation ${id} is already ${existing.state}; only a planned or running one can be cancelled.`);
    },

    /** Runs the next batch of an operation; over once it is finished, cancelled or gone. */
    async step(id: string): Promise<StepResult> {
      try {
        return await db.transaction().execute(async (trx) => {
          const op = await trx.selectFrom('bulk_operations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
          if (!op || !ONGOING.includes(op.state)) return { finished: true } as const;
          return op.kind === 'events' ? stepEvents(op, trx) : stepRequests(op, trx);
        });
      } catch (err) {
        // A stored filter that no longer parses cannot get better by retrying; a database hiccup can.
        if (err instanceof ZodError) {
          await db
            .updateTable('bulk_operations')
            .set({ state: 'failed', error: err.message, completed_at: new Date(), updated_at: new Date() })
            .where('id', '=', id)
            .execute();
          return { finished: true };
        }
        throw err;
      }
    },

    /** This operation's events that are due but not claimed yet: the queue fresh events would wait behind. */
    async backlog(id: string): Promise<number> {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM (
          SELECT 1 FROM events
          WHERE batch_operation_id = ${id} AND status IN ('QUEUED', 'SCHEDULED') AND next_attempt_at <= now()
            AND (lease_until IS NULL OR lease_until < now())
          LIMIT ${bulkTuning.maxBacklog}
        ) due`.execute(db);
      return rows[0]?.n ?? 0;
    },

    /** Marks a slice of work as started: a running operation whose mark is old has lost its worker. */
    async heartbeat(id: string): Promise<void> {
      await db.updateTable('bulk_operations').set({ state: 'running', updated_at: new Date() }).where('id', '=', id).where('state', 'in', ONGOING).execute();
    },

    /** Operations not finished whose worker is gone (or never started, when created by an API-only process). */
    async orphaned(staleAfterMs: number): Promise<string[]> {
      const rows = await db
        .selectFrom('bulk_operations')
        .select('id')
        .where('state', 'in', ONGOING)
        .where((eb) => eb.or([eb('state', '=', 'planned'), eb('updated_at', '<', new Date(Date.now() - staleAfterMs))]))
        .orderBy('updated_at')
        .limit(100)
        .execute();
      return rows.map((r) => r.id);
    },
  };
}

export type BulkOperationsService = ReturnType<typeof bulkOperationsService>;
