import { useCallback, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { ResourceTable, type Column } from '../ui/ResourceTable.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { BulkRetry } from './events/BulkRetry.tsx';
import { EventDetail } from './events/EventDetail.tsx';
import { EventFilters, type Named } from './events/EventFilters.tsx';
import { apiFilters, FILTER_KEYS, readFilters, type EventFilterState } from './events/filters.ts';
import { RequestStory } from './events/RequestStory.tsx';
import { RequestsView } from './events/RequestsView.tsx';
import { useLiveTick } from './events/useLive.ts';
import { isEventId, isRequestId, retryText, routeName, STATUS_WORDS, statusClass, type Labels } from './events/words.ts';

type EventOut = Labels & {
  id: string;
  request_id: string;
  connection_id: string;
  destination_id: string;
  status: string;
  attempts: number;
  response_status: number | null;
  error_code: string | null;
  created_at: string;
  next_attempt_at: string | null;
};
type Page = { models: EventOut[]; pagination: { next: string | null; prev: string | null } };

const PAGE_SIZE = 50;
const RETRYABLE = ['FAILED', 'HOLD', 'CANCELLED', 'SCHEDULED'];
/** How often the log reloads itself while its tab is visible. */
export const LIVE_MS = 3000;

export function Events() {
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'requests' ? 'requests' : 'events';
  const filters = readFilters(params);
  const query = apiFilters(filters);
  const queryKey = new URLSearchParams(query).toString();
  const [cursor, setCursor] = useState<{ next?: string; prev?: string }>({});
  const [selected, setSelected] = useState<string | null>(isEventId(filters.q) ? filters.q.trim() : null);
  const [selectedRequest, setSelectedRequest] = useState<string | null>(null);
  const [rowError, setRowError] = useState<unknown>(null);
  // A row just retried shows the status the API answered until the next load has it.
  const [patched, setPatched] = useState<Record<string, EventOut>>({});
  const tick = useLiveTick(LIVE_MS);

  const events = useLoad(
    () => (view === 'events' ? api<Page>('GET', `/events?${new URLSearchParams({ ...query, limit: String(PAGE_SIZE), ...cursor })}`) : Promise.resolve(null)),
    [view, queryKey, cursor.next, cursor.prev],
  );
  const matching = useLoad(() => (view === 'events' ? api<{ count: number }>('GET', `/events/count?${queryKey}`) : Promise.resolve(null)), [view, queryKey]);
  const sources = useLoad(() => api<{ models: Named[] }>('GET', '/sources?limit=255'), []);
  const destinations = useLoad(() => api<{ models: Named[] }>('GET', '/destinations?limit=255'), []);
  const connections = useLoad(() => api<{ models: Named[] }>('GET', '/connections?limit=255'), []);
  const names = Object.fromEntries(
    [...(sources.data?.models ?? []), ...(destinations.data?.models ?? []), ...(connections.data?.models ?? [])].map((n) => [n.id, n.name]),
  );

  const { reload: reloadEvents } = events;
  const { reload: reloadMatching } = matching;
  const reload = useCallback(() => {
    void reloadEvents();
    void reloadMatching();
  }, [reloadEvents, reloadMatching]);
  useEffect(() => {
    if (tick > 0 && view === 'events') reload();
  }, [tick, view, reload]);
  useEffect(() => setPatched({}), [events.data]);
  // An event id searched for opens its detail.
  useEffect(() => {
    if (isEventId(filters.q)) setSelected(filters.q.trim());
  }, [filters.q]);

  const change = (patch: Partial<EventFilterState>) => {
    const next = new URLSearchParams(params);
    next.delete('webhook_id');
    // "Clear filters" clears the requests view's outcome too.
    if (FILTER_KEYS.every((k) => k in patch && !patch[k])) next.delete('outcome');
    for (const key of FILTER_KEYS) {
      if (!(key in patch)) continue;
      const v = patch[key];
      if (v) next.set(key, v);
      else next.delete(key);
    }
    setCursor({});
    setSelectedRequest(null);
    setParams(next);
  };
  const viewHref = (v: 'events' | 'requests') => {
    const next = new URLSearchParams(params);
    if (v === 'requests') next.set('view', 'requests');
    else next.delete('view');
    return `/events?${next.toString()}`;
  };
  const openEvent = (id: string) => {
    setSelected(id);
    const next = new URLSearchParams(params);
    next.delete('view');
    setParams(next);
  };
  const retryRow = async (id: string) => {
    setRowError(null);
    try {
      const updated = await api<EventOut>('POST', `/events/${id}/retry`);
      setPatched((p) => ({ ...p, [id]: updated }));
      reload();
    } catch (err) {
      setRowError(err);
    }
  };
  const rows = (events.data?.models ?? []).map((e) => patched[e.id] ?? e);
  const filtered = Object.keys(query).length > 0;
  const searchedRequest = isRequestId(filters.q) ? filters.q.trim() : null;

  return (
    <section>
      <header className="row">
        <h1>Events log</h1>
        <span className="row">
          <span className="muted small-text" data-testid="events-live" title="The log reloads itself every few seconds while this tab is open">
            ● Live
          </span>
          <button onClick={reload}>Refresh</button>
        </span>
      </header>
      <nav className="tabs" aria-label="Log views">
        <Link to={viewHref('events')} className={view === 'events' ? 'active' : ''} data-testid="log-view-events">
          Deliveries
        </Link>
        <Link to={viewHref('requests')} className={view === 'requests' ? 'active' : ''} data-testid="log-view-requests">
          Requests received
        </Link>
      </nav>
      <p className="muted small-text">
        {view === 'events'
          ? 'Each delivery of a request or published event to one destination. Requests that no flow sent on (filtered out, duplicates, rejected) are under Requests received.'
          : 'Every request that reached a source or was published, and what became of it.'}
      </p>
      <EventFilters
        value={filters}
        sources={sources.data?.models ?? []}
        destinations={destinations.data?.models ?? []}
        connections={connections.data?.models ?? []}
        onChange={change}
        requestsOnly={view === 'requests'}
      />
      {view === 'requests' ? (
        <RequestsView query={query} tick={tick} selected={selectedRequest} onSelect={setSelectedRequest} onOpenEvent={openEvent} />
      ) : (
        <>
          {searchedRequest && <RequestStory key={searchedRequest} id={searchedRequest} tick={tick} onOpenEvent={setSelected} />}
          {matching.data && (
            <p className="muted" data-testid="events-count">
              {matching.data.count === 1 ? '1 event' : `${matching.data.count} events`} {filtered ? 'match' : 'in all'}
            </p>
          )}
          <BulkRetry filters={query} matching={matching.data?.count ?? null} names={names} onFinished={reload} />
          <ResourceTable
            list={events}
            rows={rows}
            error={matching.error ?? rowError}
            loading="Loading events…"
            empty={
              <div className="empty" data-testid="events-empty">
                {searchedRequest
                  ? 'This request gave no delivery: see above what became of it.'
                  : filtered
                    ? 'No events match these filters. Widen the time range or clear the filters.'
                    : 'No events yet. Publish an event or send a request to a source, and it shows up here.'}
              </div>
            }
            rowKey={(e) => e.id}
            rowAttributes={(e) => ({
              className: selected === e.id ? 'selected' : '',
              onClick: () => setSelected(e.id),
              'data-testid': 'event-row',
              'data-id': e.id,
              'data-status': e.status,
            })}
            columns={eventColumns(setSelected, (id) => void retryRow(id))}
          />
          {(events.data?.pagination.prev || events.data?.pagination.next) && (
            <div className="row pager">
              <button
                disabled={!events.data?.pagination.prev}
                onClick={() => setCursor({ prev: events.data?.pagination.prev ?? undefined })}
                data-testid="events-newer"
              >
                Newer
              </button>
              <button
                disabled={!events.data?.pagination.next}
                onClick={() => setCursor({ next: events.data?.pagination.next ?? undefined })}
                data-testid="events-older"
              >
                Older
              </button>
            </div>
          )}
          {selected && (
            <EventDetail
              key={selected}
              id={selected}
              tick={tick}
              onChanged={reload}
              onOpenRequest={(requestId) => {
                setSelectedRequest(requestId);
                const next = new URLSearchParams(params);
                next.set('view', 'requests');
                next.set('q', requestId);
                setParams(next);
              }}
            />
          )}
        </>
      )}
    </section>
  );
}

/** The log's columns; a row opens its event, and one that failed or waits can be retried from it. */
function eventColumns(onSelect: (id: string) => void, onRetry: (id: string) => void): Column<EventOut>[] {
  return [
    {
      head: 'Event',
      cell: (e) => (
        <>
          <button className="link" onClick={() => onSelect(e.id)} aria-label={`Open event ${e.id}`} style={{ all: 'unset', cursor: 'pointer' }}>
            {e.event_type && <span className="badge">{e.event_type}</span>} {e.summary ?? (e.event_type ? null : <span className="mono">{e.id}</span>)}
          </button>
          <div className="muted mono small-text">{e.id}</div>
        </>
      ),
    },
    {
      head: 'Flow / webhook',
      testId: 'event-route',
      cell: (e) => {
        const route = routeName(e);
        return (
          <>
            {route ?? <span className="muted mono small-text">{e.connection_id}</span>}
            {/* A flow names its destinations after itself: only a hand-made connection's destination says more. */}
            {e.destination_name && !e.flow && e.destination_name !== route && <div className="muted small-text">to {e.destination_name}</div>}
          </>
        );
      },
    },
    {
      head: 'Status',
      testId: 'event-status',
      cell: (e) => (
        <>
          <span className={statusClass(e.status)}>{e.status}</span>
          {e.retry ? (
            <div className="warn small-text" data-testid="event-retry-plan">
              Failed, {retryText(e.retry)}
            </div>
          ) : (
            STATUS_WORDS[e.status] && <div className="muted small-text">{STATUS_WORDS[e.status]}</div>
          )}
          {e.reason && (
            <div className="small-text" data-testid="event-reason">
              {cap(e.reason)}
            </div>
          )}
        </>
      ),
    },
    { head: 'Attempts', cell: (e) => e.attempts },
    { head: 'Created', cell: (e) => new Date(e.created_at).toLocaleString() },
    {
      // A plain cell, not the actions column (1% wide, right-aligned): the log keeps its layout.
      head: <span className="sr-only">Actions</span>,
      cell: (e) =>
        RETRYABLE.includes(e.status) &&
        (e.status !== 'SCHEDULED' || e.attempts > 0) && (
          <button
            onClick={(ev) => {
              ev.stopPropagation();
              onRetry(e.id);
            }}
            data-testid="event-row-retry"
            title={e.status === 'SCHEDULED' ? 'Try again now instead of waiting' : 'Deliver it again'}
          >
            {e.status === 'SCHEDULED' ? 'Retry now' : 'Retry'}
          </button>
        ),
    },
  ];
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
