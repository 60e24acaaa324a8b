import { AppError } from '../core/errors.ts';
import { paginate } from '../core/pagination.ts';
import type { EventStatus, RequestRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { bodyForReading } from './body.ts';
import { eventOut, EVENT_COLUMNS, type LogPage } from './events-log.service.ts';
import { applyRequestFilters, type RequestFilter } from './log-filters.ts';
import { sourceNames } from './log-labels.ts';
import { requestOutcomes } from './log-rows.ts';
import { missingFromLog } from './log-retention.ts';
import { requestStory } from './request-outcome.ts';
import { planReplay, writeReplays } from './request-replay.ts';

type RequestSummary = Omit<RequestRow, 'body' | 'traceparent'> & { body?: Buffer };

function requestOut(row: RequestSummary, withData: boolean) {
  return {
    id: row.id,
    team_id: row.workspace_id,
    source_id: row.source_id,
    status: row.status,
    rejection_cause: row.rejection_cause,
    verified: row.verified,
    events_count: row.events_count,
    ignored_count: row.ignored_count,
    is_retry: row.retry_kind !== null,
    retry_kind: row.retry_kind,
    batch_operation_id: row.batch_operation_id,
    created_at: row.created_at,
    event_type: row.event_type,
    summary: row.summary,
    ...(withData && row.body
      ? { data: { method: row.method, path: row.path, query: row.query, headers: row.headers, body: bodyForReading(row.body, row.content_type) } }
      : {}),
  };
}

const SUMMARY = [
  'id',
  'workspace_id',
  'source_id',
  'status',
  'rejection_cause',
  'verified',
  'method',
  'path',
  'query',
  'headers',
  'content_type',
  'events_count',
  'ignored_count',
  'retry_kind',
  'batch_operation_id',
  'created_at',
  'summary',
  'event_type',
] as const;

/** The requests log (GET /requests and what became of each), and replaying a request. */
export function requestsLogService(deps: Pick<Deps, 'db' | 'config' | 'wake' | 'routing'>) {
  const { db } = deps;
  const find = async (ws: string, id: string) => {
    const row = await db.selectFrom('requests').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    // 404, or 410 for one deleted after the team's retention (log-retention.ts).
    if (!row) throw await missingFromLog(db, deps.config.retentionDays, ws, 'Request', id);
    return row;
  };

  return {
    /** `withData`: each row with its method, path, query, headers and body. */
    async list(ws: string, filter: RequestFilter, page: LogPage, withData: boolean) {
      let q = applyRequestFilters(db.selectFrom('requests').select(SUMMARY), ws, filter);
      if (withData) q = q.select('body') as typeof q;
      const found = await paginate(q, { ...page, order_by: 'created_at' }, 'id');
      // What became of each (delivered, filtered by which flow, duplicate…) and its source's name, for the log's rows.
      const [outcomes, sources] = await Promise.all([
        requestOutcomes(db, ws, found.models),
        sourceNames(
          db,
          ws,
          found.models.map((m) => m.source_id),
        ),
      ]);
      return {
        ...found,
        models: found.models.map((m) => ({ ...requestOut(m, withData), source_name: sources.get(m.source_id) ?? null, outcome: outcomes.get(m.id) })),
      };
    },

    async count(ws: string, filter: RequestFilter): Promise<{ count: number }> {
      const row = await applyRequestFilters(
        db.selectFrom('requests').select((eb) => eb.fn.countAll<string>().as('n')),
        ws,
        filter,
      ).executeTakeFirstOrThrow();
      return { count: Number(row.n) };
    },

    async get(ws: string, id: string) {
      const row = await find(ws, id);
      const [outcomes, sources] = await Promise.all([requestOutcomes(db, ws, [row]), sourceNames(db, ws, [row.source_id])]);
      return { ...requestOut(row, true), source_name: sources.get(row.source_id) ?? null, outcome: outcomes.get(row.id) };
    },

    /** What became of the request on each flow or connection, in sentences (request-outcome.ts). */
    async outcome(ws: string, id: string) {
      return requestStory(db, ws, deps.config.retrySchedule, await find(ws, id));
    },

    /** Throws the 404 or 410 of a request the team's log does not hold. */
    async mustExist(ws: string, id: string): Promise<void> {
      await find(ws, id);
    },

    /** The request's events, oldest first; the caller has checked the request exists (mustExist). */
    async events(ws: string, id: string, status: EventStatus[] | undefined) {
      let q = db.selectFrom('events').select(EVENT_COLUMNS).where('workspace_id', '=', ws).where('request_id', '=', id);
      if (status) q = q.where('status', 'in', status);
      const models = (await q.orderBy('id').execute()).map((e) => eventOut(e));
      return { models, count: models.length };
    },

    async ignoredEvents(ws: string, id: string) {
      await find(ws, id);
      const rows = await db.selectFrom('ignored_events').selectAll().where('workspace_id', '=', ws).where('request_id', '=', id).orderBy('id').execute();
      const models = rows.map((g) => ({
        id: g.id,
        team_id: g.workspace_id,
        request_id: g.request_id,
        connection_id: g.connection_id,
        cause: g.cause,
        created_at: g.created_at,
      }));
      return { models, count: models.length };
    },

    /** Routes the stored request again through the connections as they are now. */
    async retry(ws: string, id: string) {
      const row = await find(ws, id);
      if (row.status !== 'accepted') throw new AppError(409, 'RETRY_CONFLICT', 'A rejected request cannot be replayed: it failed verification.');
      const planned = await planReplay(deps, row);
      if (!planned) throw new AppError(409, 'RETRY_CONFLICT', 'The source of this request no longer exists.');
      const { eventIds: ids, replayed } = await db.transaction().execute((trx) => writeReplays(trx, [planned], { kind: 'single' }));
      // Retention deleted it between the read above and the replay's lock on it.
      if (!replayed.length) throw await missingFromLog(db, deps.config.retentionDays, ws, 'Request', row.id);
      deps.wake([...new Set(planned.routed.events.map((e) => e.lane))]);
      const created = ids.length ? await db.selectFrom('events').select(EVENT_COLUMNS).where('id', 'in', ids).execute() : [];
      const updated = await find(ws, row.id);
      return { request: requestOut(updated, false), events: created.map((e) => eventOut(e)), ignored_count: planned.routed.ignored.length };
    },
  };
}

export type RequestsLogService = ReturnType<typeof requestsLogService>;
