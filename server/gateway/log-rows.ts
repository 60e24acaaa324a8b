import type { Kysely } from 'kysely';
import type { DB, EventStatus } from '../db/schema.ts';
import { plainReason, retryPlan, type EventState, type RetryPlan } from './delivery-reason.ts';
import { connectionLabels, connectionTitle, sourceNames, type ConnectionLabel } from './log-labels.ts';

/**
 * The readable half of a log row, added beside the ids the API always answered: names, the
 * payload's one-line summary and type (stored at ingest), and for a failed event why and when it
 * is tried again. A few indexed reads per page, whatever its size; no body is read.
 */
export type EventRowIn = EventState & { id: string; request_id: string; source_id: string; connection_id: string };
export type EventLabels = {
  event_type: string | null;
  summary: string | null;
  source_name: string | null;
  connection_name: string | null;
  destination_name: string | null;
  flow: { id: string; name: string } | null;
  reason: string | null;
  retry: RetryPlan | null;
};

export async function eventLabels(db: Kysely<DB>, ws: string, schedule: number[], rows: EventRowIn[]): Promise<Map<string, EventLabels>> {
  const out = new Map<string, EventLabels>();
  if (rows.length === 0) return out;
  const [requests, conns, sources] = await Promise.all([
    db
      .selectFrom('requests')
      .select(['id', 'summary', 'event_type'])
      .where('workspace_id', '=', ws)
      .where('id', 'in', [...new Set(rows.map((r) => r.request_id))])
      .execute(),
    connectionLabels(
      db,
      ws,
      rows.map((r) => r.connection_id),
    ),
    sourceNames(
      db,
      ws,
      rows.map((r) => r.source_id),
    ),
  ]);
  const byRequest = new Map(requests.map((r) => [r.id, r]));
  for (const e of rows) {
    const conn = conns.get(e.connection_id);
    const req = byRequest.get(e.request_id);
    out.set(e.id, {
      event_type: req?.event_type ?? null,
      summary: req?.summary ?? null,
      source_name: sources.get(e.source_id) ?? null,
      connection_name: conn?.name ?? null,
      destination_name: conn?.destination_name ?? null,
      flow: conn?.flow ? { id: conn.flow.id, name: conn.flow.name } : null,
      reason: plainReason(e, conn),
      retry: retryPlan(e, conn, schedule),
    });
  }
  return out;
}

/** What became of a request, in one word the list can colour and filter by. */
export type OutcomeKind =
  | 'rejected'
  | 'no_connection'
  | 'delivered'
  | 'failed'
  | 'retrying'
  | 'waiting'
  | 'held'
  | 'filtered'
  | 'duplicate'
  | 'cancelled'
  | 'mixed';

export type ConnectionOutcome = {
  connection_id: string;
  /** The flow or connection, as the user named it. */
  title: string;
  flow: { id: string; name: string } | null;
  result: Exclude<OutcomeKind, 'rejected' | 'no_connection' | 'mixed'> | 'filter_failed';
  count: number;
};
export type RequestOutcome = { result: OutcomeKind; text: string; connections: ConnectionOutcome[] };

export type RequestRowIn = { id: string; status: 'accepted' | 'rejected'; rejection_cause: string | null; events_count: number; ignored_count: number };

const EVENT_RESULT: Record<EventStatus, ConnectionOutcome['result']> = {
  SUCCESSFUL: 'delivered',
  FAILED: 'failed',
  SCHEDULED: 'waiting',
  QUEUED: 'waiting',
  HOLD: 'held',
  CANCELLED: 'cancelled',
};
const IGNORED_RESULT = (cause: string): ConnectionOutcome['result'] =>
  cause === 'DUPLICATE' ? 'duplicate' : cause.startsWith('FILTER_FAILED') ? 'filter_failed' : 'filtered';

/** One phrase per connection's result: "delivered by the flow “Leads”". */
const PHRASE: Record<ConnectionOutcome['result'], string> = {
  delivered: 'Delivered by',
  failed: 'Failed in',
  retrying: 'Failed and will retry in',
  waiting: 'Waiting to be delivered by',
  held: 'On hold (paused) in',
  filtered: 'Filtered out by',
  filter_failed: 'Not sent: the filter could not run in',
  duplicate: 'Dropped as a duplicate by',
  cancelled: 'Cancelled in',
};

/**
 * The outcome of each request of a page: two grouped reads over its events and ignored events
 * (indexes on request_id), then the names of the connections they went through.
 */
export async function requestOutcomes(db: Kysely<DB>, ws: string, rows: RequestRowIn[]): Promise<Map<string, RequestOutcome>> {
  const out = new Map<string, RequestOutcome>();
  const ids = rows.filter((r) => r.status === 'accepted' && r.events_count + r.ignored_count > 0).map((r) => r.id);
  const [events, ignored] = ids.length
    ? await Promise.all([
        db
          .selectFrom('events')
          .select((eb) => ['request_id', 'connection_id', 'status', eb('attempts', '>', 0).as('tried'), eb.fn.countAll<string>().as('n')])
          .where('workspace_id', '=', ws)
          .where('request_id', 'in', ids)
          .groupBy(['request_id', 'connection_id', 'status', 'tried'])
          .execute(),
        db
          .selectFrom('ignored_events')
          .select((eb) => ['request_id', 'connection_id', 'cause', eb.fn.countAll<string>().as('n')])
          .where('workspace_id', '=', ws)
          .where('request_id', 'in', ids)
          .groupBy(['request_id', 'connection_id', 'cause'])
          .execute(),
      ])
    : [[], []];
  const conns = await connectionLabels(db, ws, [...events.map((e) => e.connection_id), ...ignored.map((g) => g.connection_id)]);
  const parts = new Map<string, ConnectionOutcome[]>();
  const add = (requestId: string, connectionId: string, result: ConnectionOutcome['result'], n: number) => {
    const list = parts.get(requestId) ?? [];
    const same = list.find((p) => p.connection_id === connectionId && p.result === result);
    if (same) same.count += n;
    else list.push(connectionOutcome(conns.get(connectionId), connectionId, result, n));
    parts.set(requestId, list);
  };
  for (const e of events) add(e.request_id, e.connection_id, e.status === 'SCHEDULED' && e.tried ? 'retrying' : EVENT_RESULT[e.status], Number(e.n));
  for (const g of ignored) add(g.request_id, g.connection_id, IGNORED_RESULT(g.cause), Number(g.n));
  for (const r of rows) out.set(r.id, summarise(r, parts.get(r.id) ?? []));
  return out;
}

export function connectionOutcome(
  conn: ConnectionLabel | undefined,
  connectionId: string,
  result: ConnectionOutcome['result'],
  count: number,
): ConnectionOutcome {
  return {
    connection_id: connectionId,
    title: connectionTitle(conn, connectionId),
    flow: conn?.flow ? { id: conn.flow.id, name: conn.flow.name } : null,
    result,
    count,
  };
}

export function summarise(r: RequestRowIn, parts: ConnectionOutcome[]): RequestOutcome {
  if (r.status === 'rejected') {
    return {
      result: 'rejected',
      text: `Rejected: it failed verification${r.rejection_cause ? ` (${r.rejection_cause})` : ''}, so nothing was sent`,
      connections: [],
    };
  }
  if (parts.length === 0) return { result: 'no_connection', text: 'Not sent anywhere: no flow or connection takes requests from this source', connections: [] };
  const kinds = new Set(parts.map((p) => (p.result === 'filter_failed' ? 'filtered' : p.result)));
  const result: OutcomeKind = kinds.size === 1 ? ([...kinds][0] as OutcomeKind) : 'mixed';
  const text = parts.map((p) => `${PHRASE[p.result]} ${p.title}${p.count > 1 ? ` (${p.count} events)` : ''}`).join('; ');
  return { result, text, connections: parts };
}
