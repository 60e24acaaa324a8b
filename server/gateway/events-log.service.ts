import { AppError } from '../core/errors.ts';
import { paginate, type PageParams } from '../core/pagination.ts';
import type { AttemptRow, EventRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { bodyForReading } from './body.ts';
import { applyEventFilters, type EventFilter } from './log-filters.ts';
import { eventLabels } from './log-rows.ts';
import { missingFromLog } from './log-retention.ts';

export const EVENT_COLUMNS = [
  'id',
  'workspace_id',
  'request_id',
  'source_id',
  'connection_id',
  'destination_id',
  'status',
  'attempts',
  'next_attempt_at',
  'last_attempt_at',
  'response_status',
  'error_code',
  'successful_at',
  'batch_operation_id',
  'created_at',
  'updated_at',
] as const;

export type EventSummary = Pick<EventRow, (typeof EVENT_COLUMNS)[number]>;

/** A page of the logs, always in creation order (the direction and cursor are the caller's). */
export type LogPage = Omit<PageParams, 'order_by'>;

export type AttemptFilter = { event_id?: string; destination_id?: string };

export function eventOut(e: EventSummary, data?: unknown) {
  return {
    id: e.id,
    team_id: e.workspace_id,
    request_id: e.request_id,
    source_id: e.source_id,
    connection_id: e.connection_id,
    webhook_id: e.connection_id,
    destination_id: e.destination_id,
    status: e.status,
    attempts: e.attempts,
    next_attempt_at: e.next_attempt_at,
    last_attempt_at: e.last_attempt_at,
    response_status: e.response_status,
    error_code: e.error_code,
    successful_at: e.successful_at,
    batch_operation_id: e.batch_operation_id,
    created_at: e.created_at,
    updated_at: e.updated_at,
    ...(data !== undefined ? { data } : {}),
  };
}

function attemptOut(a: AttemptRow, body?: unknown) {
  return {
    id: a.id,
    team_id: a.workspace_id,
    event_id: a.event_id,
    destination_id: a.destination_id,
    attempt_number: a.attempt_number,
    trigger: a.trigger,
    status: a.status,
    request: { method: a.request_method, url: a.request_url, headers: a.request_headers, ...(body !== undefined ? { body } : {}) },
    // The body exactly as sent, when it was not the stored request's (a transformed or vendor body).
    request_body: a.request_body,
    // The vendor's id for what this attempt wrote (a CRM contact, a sheet range).
    record_id: a.record_id,
    response: a.response_status === null ? null : { status: a.response_status, headers: a.response_headers, body: a.response_body },
    duration_ms: a.duration_ms,
    error: a.error_code ? { code: a.error_code, message: a.error_message } : null,
    created_at: a.created_at,
  };
}

/** The events log and its delivery attempts, as GET /events and /attempts show them, and a manual retry. */
export function eventsLogService(deps: Pick<Deps, 'db' | 'config' | 'wake'>) {
  const { db } = deps;
  /** 404, or 410 for an event deleted with its request after the team's retention (log-retention.ts). */
  const missing = (ws: string, what: 'Event' | 'Attempt', id: string) => missingFromLog(db, deps.config.retentionDays, ws, what, id);
  const find = async (ws: string, id: string) => {
    const row = await db.selectFrom('events').select(EVENT_COLUMNS).where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!row) throw await missing(ws, 'Event', id);
    return row;
  };
  /** Rows with their names, summary, reason and retry plan beside the ids (log-rows.ts). */
  const labelled = async (ws: string, rows: EventSummary[]) => {
    const labels = await eventLabels(db, ws, deps.config.retrySchedule, rows);
    return (e: EventSummary, data?: unknown) => ({ ...eventOut(e, data), ...labels.get(e.id) });
  };

  return {
    async list(ws: string, filter: EventFilter, page: LogPage) {
      const q = applyEventFilters(db.selectFrom('events').select(EVENT_COLUMNS), ws, filter);
      const found = await paginate(q, { ...page, order_by: 'created_at' }, 'id');
      const out = await labelled(ws, found.models);
      return { ...found, models: found.models.map((e) => out(e)) };
    },

    async count(ws: string, filter: EventFilter): Promise<{ count: number }> {
      const row = await applyEventFilters(
        db.selectFrom('events').select((eb) => eb.fn.countAll<string>().as('n')),
        ws,
        filter,
      ).executeTakeFirstOrThrow();
      return { count: Number(row.n) };
    },

    /** The event with the request it came from (its body as the logs show bodies), or null once that is gone. */
    async get(ws: string, id: string) {
      const ev = await find(ws, id);
      const request = await db
        .selectFrom('requests')
        .select(['body', 'content_type', 'headers', 'path', 'query'])
        .where('id', '=', ev.request_id)
        .executeTakeFirst();
      const data = request
        ? { path: request.path, query: request.query, headers: request.headers, body: bodyForReading(request.body, request.content_type) }
        : null;
      return (await labelled(ws, [ev]))(ev, data);
    },

    /** Queues the event for a manual attempt now, unless it is being delivered or cannot be. */
    async retry(ws: string, id: string) {
      // The event and its destination in one read: a missing event is a 404, a missing destination a conflict.
      const dest = await db
        .selectFrom('events')
        .leftJoin('destinations', 'destinations.id', 'events.destination_id')
        .select(['destinations.id as destination_id', 'destinations.disabled_at', 'events.lane'])
        .where('events.workspace_id', '=', ws)
        .where('events.id', '=', id)
        .executeTakeFirst();
      if (!dest) throw await missing(ws, 'Event', id);
      if (!dest.destination_id) throw new AppError(409, 'RETRY_CONFLICT', 'The destination of this event was deleted; it cannot be retried.');
      if (dest.disabled_at)
        throw new AppError(409, 'RETRY_CONFLICT', 'The destination is disabled; enable it first (its held events then resume on their own).');
      const updated = await db
        .updateTable('events')
        .set({ status: 'QUEUED', next_attempt_at: new Date(), pending_trigger: 'manual', updated_at: new Date() })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', new Date())]))
        .returning(EVENT_COLUMNS)
        .executeTakeFirst();
      if (!updated) {
        // Retention may have deleted it since the read above (prune-log.job.ts).
        if (!(await db.selectFrom('events').select('id').where('id', '=', id).executeTakeFirst())) throw await missing(ws, 'Event', id);
        throw new AppError(409, 'RETRY_CONFLICT', 'This event is being delivered right now; try again in a moment.');
      }
      deps.wake([dest.lane]);
      return (await labelled(ws, [updated]))(updated);
    },

    /** The team's ignored events (a request a connection's rule dropped), newest first: they are not events, so /events never lists them. */
    async listIgnored(ws: string, filter: { request_id?: string; connection_id?: string; cause?: string }, page: LogPage) {
      let q = db
        .selectFrom('ignored_events')
        .select(['id', 'workspace_id', 'request_id', 'connection_id', 'cause', 'step', 'created_at'])
        .where('workspace_id', '=', ws);
      if (filter.request_id) q = q.where('request_id', '=', filter.request_id);
      if (filter.connection_id) q = q.where('connection_id', '=', filter.connection_id);
      if (filter.cause) q = q.where('cause', '=', filter.cause);
      const found = await paginate(q, { ...page, order_by: 'created_at' }, 'created_at');
      return {
        ...found,
        models: found.models.map((g) => ({
          id: g.id,
          team_id: g.workspace_id,
          request_id: g.request_id,
          connection_id: g.connection_id,
          cause: g.cause,
          step: g.step,
          created_at: g.created_at,
        })),
      };
    },

    async listAttempts(ws: string, filter: AttemptFilter, page: LogPage) {
      let q = db.selectFrom('attempts').selectAll().where('workspace_id', '=', ws);
      if (filter.event_id) q = q.where('event_id', '=', filter.event_id);
      if (filter.destination_id) q = q.where('destination_id', '=', filter.destination_id);
      const found = await paginate(q, { ...page, order_by: 'created_at' }, 'id');
      return { ...found, models: found.models.map((a) => attemptOut(a)) };
    },

    /** The attempt with the body of its event's request (null once that is gone). */
    async getAttempt(ws: string, id: string) {
      const a = await db.selectFrom('attempts').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
      if (!a) throw await missing(ws, 'Attempt', id);
      const request = await db
        .selectFrom('events')
        .innerJoin('requests', 'requests.id', 'events.request_id')
        .select(['requests.body', 'requests.content_type'])
        .where('events.id', '=', a.event_id)
        .executeTakeFirst();
      return attemptOut(a, request ? bodyForReading(request.body, request.content_type) : null);
    },
  };
}

export type EventsLogService = ReturnType<typeof eventsLogService>;
