import { AppError } from '../core/errors.ts';
import { type ExpressionBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { z } from 'zod';
import { ID_PATTERN, idTime } from '../core/ids.ts';
import { timeParam } from '../core/time.ts';
import type { DB, EventStatus } from '../db/schema.ts';

/**
 * The filters of the events and requests logs (seed 002), shared by their lists, their counts and
 * the bulk operations made from them. Each comes in three forms: what a caller may send (query
 * string or JSON body), the parsed filter, and the stored filter a bulk operation keeps so that
 * its job applies exactly what was asked when it was created.
 */

const STATUSES: EventStatus[] = ['QUEUED', 'SCHEDULED', 'HOLD', 'SUCCESSFUL', 'FAILED', 'CANCELLED'];
/**
 * The seed's two vocabularies. `queued`/`processing`/`pending` are the events still to be
 * delivered; `ignored` names requests a connection filtered out, which are not delivery events
 * (see /requests/:id/ignored_events), so it matches no event rather than being refused.
 */
const STATUS_ALIASES: Record<string, EventStatus[]> = {
  queued: ['QUEUED', 'SCHEDULED'],
  pending: ['QUEUED', 'SCHEDULED'],
  processing: ['QUEUED', 'SCHEDULED'],
  delivered: ['SUCCESSFUL'],
  failed: ['FAILED'],
  hold: ['HOLD'],
  cancelled: ['CANCELLED'],
  ignored: [],
};

/**
 * Seed 002 lists IGNORED among the events' statuses, but an ignored event is a request a rule
 * dropped, kept in its own table: a filter on it used to find nothing, silently. Now it says where they are.
 */
export function refuseIgnoredStatus(status: unknown): void {
  const words = (Array.isArray(status) ? status : [status]).flatMap((v) => (typeof v === 'string' ? v.split(',') : []));
  if (words.some((w) => w.trim().toLowerCase() === 'ignored')) {
    throw new AppError(
      400,
      'IGNORED_EVENTS_ELSEWHERE',
      'Ignored events are requests a connection’s rule dropped, not events to deliver: list them with GET /ignored_events (filter by request_id, connection_id or cause), or one request’s with GET /requests/:id/ignored_events.',
      [{ path: 'query.status', message: 'ignored events are listed at GET /ignored_events', code: 'ignored_elsewhere' }],
    );
  }
}

/** `FAILED`, `failed`, `SUCCESSFUL,HOLD`, or (in a JSON body) an array of those. */
export const statusParam = z.preprocess(
  (v) => (Array.isArray(v) ? v.join(',') : v === '' ? undefined : v),
  z
    .string()
    .max(200)
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const out = new Set<EventStatus>();
      for (const part of v.split(',')) {
        const word = part.trim();
        const upper = word.toUpperCase() as EventStatus;
        // Seed 002's lower-case words are its own vocabulary (queued = QUEUED + SCHEDULED); ours are upper case.
        // Own properties only: `?status=constructor` must not find Object's.
        const aliasOf = (w: string) => (Object.hasOwn(STATUS_ALIASES, w) ? STATUS_ALIASES[w] : undefined);
        const alias = word === word.toLowerCase() ? aliasOf(word) : undefined;
        const mapped = alias ?? (STATUSES.includes(upper) ? [upper] : aliasOf(word.toLowerCase()));
        if (!mapped) {
          ctx.addIssue({ code: 'custom', message: `unknown status "${part}"; use ${STATUSES.join(', ')} or ${Object.keys(STATUS_ALIASES).join(', ')}` });
          return z.NEVER;
        }
        mapped.forEach((s) => out.add(s));
      }
      return [...out];
    }),
);

/** An empty value (a cleared form field) means "not filtered". */
const blankIsUnset = (v: string) => v || undefined;
const idFilter = z.string().trim().max(64).transform(blankIsUnset);
const searchTerm = z.string().trim().max(200).transform(blankIsUnset);
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** `ingested_at[gte]` arrives as one key in a query string and as `{ingested_at: {gte}}` in JSON. */
function flattenIngestedAt(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const { ingested_at, ...rest } = v as Record<string, unknown>;
  if (ingested_at && typeof ingested_at === 'object' && !Array.isArray(ingested_at)) {
    const range = ingested_at as Record<string, unknown>;
    return {
      ...rest,
      ...(range.gte !== undefined ? { 'ingested_at[gte]': range.gte } : {}),
      ...(range.lte !== undefined ? { 'ingested_at[lte]': range.lte } : {}),
    };
  }
  return ingested_at === undefined ? rest : v;
}

const timeRange = {
  from: timeParam.optional(),
  to: timeParam.optional(),
  'ingested_at[gte]': timeParam.optional(),
  'ingested_at[lte]': timeParam.optional(),
};
const search = { q: searchTerm.optional(), search_term: searchTerm.optional() };

export const eventFilterFields = {
  status: statusParam.optional(),
  source_id: idFilter.optional(),
  connection_id: idFilter.optional(),
  webhook_id: idFilter.optional(),
  destination_id: idFilter.optional(),
  request_id: idFilter.optional(),
  batch_operation_id: idFilter.optional(),
  ...timeRange,
  ...search,
};

/**
 * What became of a request (log-rows.ts), as a filter: `not_sent` is every request that gave no
 * delivery at all (filtered out, a duplicate, rejected, or no connection).
 */
export const REQUEST_OUTCOMES = ['delivered', 'failed', 'waiting', 'held', 'filtered', 'duplicate', 'rejected', 'no_connection', 'not_sent'] as const;
export type RequestOutcomeFilter = (typeof REQUEST_OUTCOMES)[number];

export const requestFilterFields = {
  status: z.enum(['accepted', 'rejected']).optional(),
  outcome: z.enum(REQUEST_OUTCOMES).optional(),
  verified: flag.optional(),
  source_id: idFilter.optional(),
  connection_id: idFilter.optional(),
  batch_operation_id: idFilter.optional(),
  is_retry: flag.optional(),
  retry_kind: z.enum(['single', 'bulk']).optional(),
  ...timeRange,
  ...search,
};

type RawTimes = { from?: Date; to?: Date; 'ingested_at[gte]'?: Date; 'ingested_at[lte]'?: Date; q?: string; search_term?: string };

/** The later of two lower bounds, the earlier of two upper bounds: every filter given must hold. */
const latest = (a?: Date, b?: Date) => (a && b ? (a > b ? a : b) : (a ?? b));
const earliest = (a?: Date, b?: Date) => (a && b ? (a < b ? a : b) : (a ?? b));

export type EventFilter = {
  status?: EventStatus[];
  source_id?: string;
  connection_id?: string;
  destination_id?: string;
  request_id?: string;
  batch_operation_id?: string;
  from?: Date;
  to?: Date;
  q?: string;
};

export type RequestFilter = {
  status?: 'accepted' | 'rejected';
  outcome?: RequestOutcomeFilter;
  verified?: boolean;
  source_id?: string;
  connection_id?: string;
  batch_operation_id?: string;
  is_retry?: boolean;
  retry_kind?: 'single' | 'bulk';
  from?: Date;
  to?: Date;
  q?: string;
};

function common(p: RawTimes) {
  return { from: latest(p.from, p['ingested_at[gte]']), to: earliest(p.to, p['ingested_at[lte]']), q: p.q ?? p.search_term };
}

export function toEventFilter(p: z.output<z.ZodObject<typeof eventFilterFields>>): EventFilter {
  return strip({
    status: p.status,
    source_id: p.source_id,
    connection_id: p.connection_id ?? p.webhook_id,
    destination_id: p.destination_id,
    request_id: p.request_id,
    batch_operation_id: p.batch_operation_id,
    ...common(p),
  });
}

export function toRequestFilter(p: z.output<z.ZodObject<typeof requestFilterFields>>): RequestFilter {
  return strip({
    status: p.status,
    outcome: p.outcome,
    verified: p.verified,
    source_id: p.source_id,
    connection_id: p.connection_id,
    batch_operation_id: p.batch_operation_id,
    is_retry: p.is_retry,
    retry_kind: p.retry_kind,
    ...common(p),
  });
}

function strip<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A query string with the list's own parameters beside the filters (unknown keys are ignored, as before). */
export const eventFilterQuery = <X extends z.ZodRawShape>(extra: X) => z.preprocess(flattenIngestedAt, z.object({ ...eventFilterFields, ...extra }));
export const requestFilterQuery = <X extends z.ZodRawShape>(extra: X) => z.preprocess(flattenIngestedAt, z.object({ ...requestFilterFields, ...extra }));
/** A JSON body is strict: a misspelt filter must not silently widen a bulk retry to everything. */
export const eventFilterBody = <X extends z.ZodRawShape>(extra: X) => z.preprocess(flattenIngestedAt, z.object({ ...eventFilterFields, ...extra }).strict());
export const requestFilterBody = <X extends z.ZodRawShape>(extra: X) =>
  z.preprocess(flattenIngestedAt, z.object({ ...requestFilterFields, ...extra }).strict());

/** How a filter is kept in a bulk operation (JSON: times as ISO strings) and read back. */
export const StoredEventFilter = z.object({
  status: z.array(z.enum(STATUSES as [EventStatus, ...EventStatus[]])).optional(),
  source_id: z.string().optional(),
  connection_id: z.string().optional(),
  destination_id: z.string().optional(),
  request_id: z.string().optional(),
  batch_operation_id: z.string().optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  q: z.string().optional(),
});
export const StoredRequestFilter = z.object({
  status: z.enum(['accepted', 'rejected']).optional(),
  outcome: z.enum(REQUEST_OUTCOMES).optional(),
  verified: z.boolean().optional(),
  source_id: z.string().optional(),
  connection_id: z.string().optional(),
  batch_operation_id: z.string().optional(),
  is_retry: z.boolean().optional(),
  retry_kind: z.enum(['single', 'bulk']).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  q: z.string().optional(),
});

/**
 * A published event's `eventId` (`msg_…`) lives only in its request's JSON body. The publisher
 * makes the request's id right after the event id, so the request was stored at or after the
 * time encoded in the `msg_` id: only requests of a few minutes from then are read (through the
 * created_at index), and their bodies searched for the exact `"eventId":"msg_…"` bytes. The
 * window is wide because the database's clock may differ from the API process's.
 */
const PUBLISHED_WINDOW_MS = 5 * 60_000;

function publishedRequestIds(eb: ExpressionBuilder<DB, 'events'> | ExpressionBuilder<DB, 'requests'>, ws: string, msgId: string) {
  const at = (idTime(msgId) as Date).getTime();
  const needle = Buffer.from(JSON.stringify({ eventId: msgId }).slice(1, -1));
  return (eb as ExpressionBuilder<DB, 'requests'>)
    .selectFrom('requests as pr')
    .select('pr.id')
    .where('pr.workspace_id', '=', ws)
    .where('pr.created_at', '>=', new Date(at - PUBLISHED_WINDOW_MS))
    .where('pr.created_at', '<=', new Date(at + PUBLISHED_WINDOW_MS))
    .where(sql<boolean>`position(${needle}::bytea in pr.body) > 0`);
}

/** A full id (`evt_`, `req_`, `msg_`) is looked up exactly; anything shorter is an id prefix. */
const isFullId = (q: string) => ID_PATTERN.test(q);

export function applyEventFilters<O>(qb: SelectQueryBuilder<DB, 'events', O>, ws: string, f: EventFilter): SelectQueryBuilder<DB, 'events', O> {
  let q = qb.where('events.workspace_id', '=', ws);
  if (f.status) q = f.status.length ? q.where('events.status', 'in', f.status) : q.where(sql<boolean>`false`);
  if (f.source_id) q = q.where('events.source_id', '=', f.source_id);
  if (f.connection_id) q = q.where('events.connection_id', '=', f.connection_id);
  if (f.destination_id) q = q.where('events.destination_id', '=', f.destination_id);
  if (f.request_id) q = q.where('events.request_id', '=', f.request_id);
  if (f.batch_operation_id) q = q.where('events.batch_operation_id', '=', f.batch_operation_id);
  if (f.from) q = q.where('events.created_at', '>=', f.from);
  if (f.to) q = q.where('events.created_at', '<=', f.to);
  const term = f.q;
  if (term) {
    q = q.where((eb) => {
      if (!isFullId(term)) return eb.or([eb(sql`starts_with(events.id, ${term})`, '=', true), eb(sql`starts_with(events.request_id, ${term})`, '=', true)]);
      if (term.startsWith('msg_')) return eb('events.request_id', 'in', publishedRequestIds(eb, ws, term));
      return eb.or([eb('events.id', '=', term), eb('events.request_id', '=', term)]);
    });
  }
  return q;
}

export function applyRequestFilters<O>(qb: SelectQueryBuilder<DB, 'requests', O>, ws: string, f: RequestFilter): SelectQueryBuilder<DB, 'requests', O> {
  let q = qb.where('requests.workspace_id', '=', ws);
  if (f.status) q = q.where('requests.status', '=', f.status);
  if (f.outcome) q = q.where((eb) => outcomeCondition(eb, f.outcome as RequestOutcomeFilter));
  if (f.verified !== undefined) q = q.where('requests.verified', '=', f.verified);
  if (f.source_id) q = q.where('requests.source_id', '=', f.source_id);
  if (f.batch_operation_id) q = q.where('requests.batch_operation_id', '=', f.batch_operation_id);
  if (f.is_retry !== undefined) q = q.where('requests.retry_kind', f.is_retry ? 'is not' : 'is', null);
  if (f.retry_kind) q = q.where('requests.retry_kind', '=', f.retry_kind);
  if (f.from) q = q.where('requests.created_at', '>=', f.from);
  if (f.to) q = q.where('requests.created_at', '<=', f.to);
  const connection = f.connection_id;
  if (connection) {
    // A request belongs to a connection when it gave it an event or the connection ignored it.
    // One IN over a UNION: PostgreSQL plans it as a semi-join, where two ORed INs scanned every
    // request of the workspace (minutes on a million rows).
    q = q.where((eb) =>
      eb(
        'requests.id',
        'in',
        eb
          .selectFrom('events as ce')
          .select('ce.request_id')
          .where('ce.connection_id', '=', connection)
          .union(eb.selectFrom('ignored_events as ci').select('ci.request_id').where('ci.connection_id', '=', connection)),
      ),
    );
  }
  const term = f.q;
  if (term) {
    q = q.where((eb) => {
      if (!isFullId(term)) return eb(sql`starts_with(requests.id, ${term})`, '=', true);
      if (term.startsWith('msg_')) return eb('requests.id', 'in', publishedRequestIds(eb, ws, term));
      if (term.startsWith('evt_'))
        return eb('requests.id', 'in', eb.selectFrom('events as se').select('se.request_id').where('se.id', '=', term).where('se.workspace_id', '=', ws));
      return eb('requests.id', '=', term);
    });
  }
  return q;
}

/**
 * A request whose events or ignored events show the outcome; EXISTS through the request_id indexes.
 * A request with several connections can match several outcomes (delivered by one, filtered by another).
 */
function outcomeCondition(eb: ExpressionBuilder<DB, 'requests'>, outcome: RequestOutcomeFilter) {
  const events = (statuses: EventStatus[], tried?: boolean) => {
    let sub = eb.selectFrom('events as oe').select(sql<number>`1`.as('one')).whereRef('oe.request_id', '=', 'requests.id').where('oe.status', 'in', statuses);
    if (tried !== undefined) sub = sub.where('oe.attempts', tried ? '>' : '=', 0);
    return eb.exists(sub);
  };
  const ignored = (duplicate: boolean) =>
    eb.exists(
      eb
        .selectFrom('ignored_events as oi')
        .select(sql<number>`1`.as('one'))
        .whereRef('oi.request_id', '=', 'requests.id')
        .where('oi.cause', duplicate ? '=' : '<>', 'DUPLICATE'),
    );
  const accepted = eb('requests.status', '=', 'accepted');
  switch (outcome) {
    case 'delivered':
      return events(['SUCCESSFUL']);
    case 'failed':
      return eb.or([events(['FAILED']), events(['SCHEDULED'], true)]);
    case 'waiting':
      return eb.or([events(['QUEUED']), events(['SCHEDULED'], false)]);
    case 'held':
      return events(['HOLD']);
    case 'filtered':
      return ignored(false);
    case 'duplicate':
      return ignored(true);
    case 'rejected':
      return eb('requests.status', '=', 'rejected');
    case 'no_connection':
      return eb.and([accepted, eb('requests.events_count', '=', 0), eb('requests.ignored_count', '=', 0)]);
    case 'not_sent':
      return eb.or([eb('requests.status', '=', 'rejected'), eb('requests.events_count', '=', 0)]);
  }
}
