import { useCallback, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { BulkRetry } from './events/BulkRetry.tsx';
import { EventDetail } from './events/EventDetail.tsx';
import { EventFilters, type Named } from './events/EventFilters.tsx';
import { apiFilters, FILTER_KEYS, readFilters, type EventFilterState } from './events/filters.ts';

type EventOut = { id: string; request_id: string; connection_id: string; destination_id: string; status: string; attempts: number; response_status: number | null; error_code: string | null; created_at: string; next_attempt_at: string | null };
type Page = { models: EventOut[]; pagination: { next: string | null; prev: string | null } };

const PAGE_SIZE = 50;
const RETRYABLE = ['FAILED', 'HOLD', 'CANCELLED'];

export function Events() {
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  const query = apiFilters(filters);
  const queryKey = new URLSearchParams(query).toString();
  const [cursor, setCursor] = useState<{ next?: string; prev?: string }>({});
  const [selected, setSelected] = useState<string | null>(null);
  const [rowError, setRowError] = useState<unknown>(null);

  const events = useLoad(() => api<Page>('GET', `/events?${new URLSearchParams({ ...query, limit: String(PAGE_SIZE), ...cursor })}`), [queryKey, cursor.next, cursor.prev]);
  const matching = useLoad(() => api<{ count: number }>('GET', `/events/count?${queryKey}`), [queryKey]);
  const sources = useLoad(() => api<{ models: Named[] }>('GET', '/sources?limit=255'), []);
  const destinations = useLoad(() => api<{ models: Named[] }>('GET', '/destinations?limit=255'), []);
  const connections = useLoad(() => api<{ models: Named[] }>('GET', '/connections?limit=255'), []);
  const names = Object.fromEntries([...(sources.data?.models ?? []), ...(destinations.data?.models ?? []), ...(connections.data?.models ?? [])].map((n) => [n.id, n.name]));

  const change = (patch: Partial<EventFilterState>) => {
    const next = new URLSearchParams(params);
    next.delete('webhook_id');
    for (const key of FILTER_KEYS) {
      if (!(key in patch)) continue;
      const v = patch[key];
      if (v) next.set(key, v);
      else next.delete(key);
    }
    setCursor({});
    setParams(next);
  };
  const reload = useCallback(() => {
    void events.reload();
    void matching.reload();
  }, [events, matching]);
  const retryRow = async (id: string) => {
    setRowError(null);
    try {
      await api('POST', `/events/${id}/retry`);
      reload();
    } catch (err) {
      setRowError(err);
    }
  };
  const rows = events.data?.models ?? [];
  const filtered = Object.keys(query).length > 0;

  return (
    <section>
      <header className="row">
        <h1>Events log</h1>
        <button onClick={reload}>Refresh</button>
        {matching.data && (
          <span className="muted" data-testid="events-count">
            {matching.data.count === 1 ? '1 event' : `${matching.data.count} events`} {filtered ? 'match' : 'in all'}
          </span>
        )}
      </header>
      <EventFilters value={filters} sources={sources.data?.models ?? []} destinations={destinations.data?.models ?? []} connections={connections.data?.models ?? []} onChange={change} />
      <BulkRetry filters={query} matching={matching.data?.count ?? null} names={names} onFinished={reload} />
      <ErrorBox error={events.error ?? matching.error ?? rowError} />
      {events.loading && !events.data && <p className="loading">Loading events…</p>}
      {events.data && rows.length === 0 && (
        <div className="empty" data-testid="events-empty">
          {filtered ? 'No events match these filters. Widen the time range or clear the filters.' : 'No events yet. Publish an event or send a request to a source, and it shows up here.'}
        </div>
      )}
      {rows.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Event</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Response</th>
              <th>Created</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.id} className={selected === e.id ? 'selected' : ''} onClick={() => setSelected(e.id)} data-testid="event-row">
                <td className="mono">
                  <button className="link mono" onClick={() => setSelected(e.id)} aria-label={`Open event ${e.id}`} style={{ all: 'unset', cursor: 'pointer' }}>
                    {e.id}
                  </button>
                </td>
                <td>
                  <span className={e.status === 'SUCCESSFUL' ? 'good' : e.status === 'FAILED' ? 'bad' : 'warn'}>{e.status}</span>
                </td>
                <td>{e.attempts}</td>
                <td>{e.response_status ?? e.error_code ?? '—'}</td>
                <td>{new Date(e.created_at).toLocaleString()}</td>
                <td>
                  {RETRYABLE.includes(e.status) && (
                    <button
                      onClick={(ev) => {
                        ev.stopPropagation();
                        void retryRow(e.id);
                      }}
                      data-testid="event-row-retry"
                    >
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(events.data?.pagination.prev || events.data?.pagination.next) && (
        <div className="row pager">
          <button disabled={!events.data?.pagination.prev} onClick={() => setCursor({ prev: events.data?.pagination.prev ?? undefined })} data-testid="events-newer">
            Newer
          </button>
          <button disabled={!events.data?.pagination.next} onClick={() => setCursor({ next: events.data?.pagination.next ?? undefined })} data-testid="events-older">
            Older
          </button>
        </div>
      )}
      {selected && <EventDetail key={selected} id={selected} onChanged={reload} />}
    </section>
  );
}
