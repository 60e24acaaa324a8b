import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { JsonView } from '../../ui/JsonView.tsx';
import { rowCells, SheetRow } from '../../ui/SheetRow.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { retryText, routeName, STATUS_WORDS, statusClass, type Labels } from './words.ts';

type Attempt = {
  id: string;
  attempt_number: number;
  trigger: string;
  status: string;
  request: { method: string; url: string; headers: Record<string, string> };
  request_body: string | null;
  response: { status: number; body: string } | null;
  duration_ms: number;
  error: { code: string; message: string } | null;
  created_at: string;
};
type EventWithData = Labels & {
  id: string;
  status: string;
  attempts: number;
  request_id: string;
  destination_id: string | null;
  batch_operation_id: string | null;
  data: { path: string; query: unknown; headers: unknown; body: unknown } | null;
};

type DestinationWithColumns = { type: string; config: { columns?: string[] } };

const TRIGGERS: Record<string, string> = { initial: 'first try', automatic: 'automatic retry', manual: 'manual retry', bulk: 'bulk retry' };

/**
 * One event: what it is and where it goes, why it failed and when it is tried again, what came in
 * (folding JSON), every attempt (request sent, response, duration), and Retry. `tick` reloads it
 * while the log is live.
 */
export function EventDetail({
  id,
  onChanged,
  tick = 0,
  onOpenRequest,
}: {
  id: string;
  onChanged: () => void;
  tick?: number;
  onOpenRequest?: (requestId: string) => void;
}) {
  const event = useLoad(() => api<EventWithData>('GET', `/events/${id}`), [id]);
  const attempts = useLoad(() => api<{ models: Attempt[] }>('GET', `/attempts?event_id=${id}`), [id]);
  const { reload: reloadEvent } = event;
  const { reload: reloadAttempts } = attempts;
  useEffect(() => {
    if (tick === 0) return;
    void reloadEvent();
    void reloadAttempts();
  }, [tick, reloadEvent, reloadAttempts]);
  // A Google Sheet's attempt sends a bare row: its destination's columns name the cells.
  const destinationId = event.data?.destination_id ?? null;
  const destination = useLoad(
    () => (destinationId ? api<DestinationWithColumns>('GET', `/destinations/${destinationId}`).catch(() => null) : Promise.resolve(null)),
    [destinationId],
  );
  const columns = destination.data?.type === 'google-sheets' && Array.isArray(destination.data.config.columns) ? destination.data.config.columns : null;
  const [error, setError] = useState<unknown>(null);
  const [retried, setRetried] = useState(false);
  const retry = async () => {
    setError(null);
    try {
      await api('POST', `/events/${id}/retry`);
      setRetried(true);
      onChanged();
      setTimeout(() => {
        void attempts.reload();
        void event.reload();
      }, 500);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div className="card" data-testid="event-detail">
      <header className="row">
        <h2 className="mono">{id}</h2>
        {event.data && <span className={statusClass(event.data.status)}>{event.data.status}</span>}
        <button onClick={() => void retry()} data-testid="event-retry">
          Retry
        </button>
      </header>
      {event.data && <EventSummary e={event.data} onOpenRequest={onOpenRequest} />}
      {retried && <p className="notice">Queued for another delivery; its attempt appears below.</p>}
      <ErrorBox error={error ?? event.error ?? attempts.error} />
      {event.data?.data && (
        <details data-testid="event-payload">
          <summary>
            Payload received <span className="muted mono">{event.data.request_id}</span>
          </summary>
          <JsonView value={event.data.data.body} name="body" />
          <JsonView value={event.data.data.headers} name="headers" />
          {event.data.data.query && Object.keys(event.data.data.query).length > 0 ? <JsonView value={event.data.data.query} name="query" /> : null}
        </details>
      )}
      <h3>Attempts</h3>
      {attempts.loading && !attempts.data && <p className="loading">Loading attempts…</p>}
      {attempts.data?.models.length === 0 && <p className="muted">No attempt yet: it is waiting for its turn.</p>}
      <ol className="timeline" data-testid="event-attempts">
        {attempts.data?.models.map((a) => (
          <li key={a.id}>
            <strong className={a.status === 'SUCCESSFUL' ? 'good' : 'bad'}>
              #{a.attempt_number} {a.status}
            </strong>{' '}
            <span className="muted">
              {TRIGGERS[a.trigger] ?? a.trigger}, {new Date(a.created_at).toLocaleTimeString()}, {a.duration_ms} ms
            </span>
            <div className="mono">
              {a.request.method} {a.request.url}
            </div>
            {a.request_body && (
              <>
                <h4>Body sent</h4>
                <div data-testid="sent-body">
                  <SentBody url={a.request.url} body={a.request_body} columns={columns} />
                </div>
              </>
            )}
            <h4>Response</h4>
            <pre>{a.response ? `${a.response.status}\n${a.response.body}` : `${a.error?.code}: ${a.error?.message}`}</pre>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** What the event is, where it goes, and for a failure the reason and the next try, in words. */
function EventSummary({ e, onOpenRequest }: { e: EventWithData; onOpenRequest?: (requestId: string) => void }) {
  const route = routeName(e);
  return (
    <div className="event-summary" data-testid="event-summary">
      <p>
        {e.event_type && <span className="badge">{e.event_type}</span>} {e.summary}
        {route && (
          <>
            {' '}
            <span className="muted">via</span> {e.flow ? <Link to={`/flows/${e.flow.id}`}>{route}</Link> : route}
          </>
        )}
        {e.destination_name && !e.flow && e.destination_name !== route && <span className="muted"> to {e.destination_name}</span>}
      </p>
      <p data-testid="event-detail-status">
        <span className={statusClass(e.status)}>{e.retry ? `Failed, ${retryText(e.retry)}` : (STATUS_WORDS[e.status] ?? e.status)}</span>
        {e.reason && <span data-testid="event-detail-reason">: {e.reason}</span>}
      </p>
      {onOpenRequest && (
        <button className="link small-text" onClick={() => onOpenRequest(e.request_id)} data-testid="event-open-request">
          What happened to the request {e.request_id}
        </button>
      )}
    </div>
  );
}

/**
 * The row an append to Google Sheets sent, cell by column, when it has a cell for each of the
 * destination's columns (they may have changed since: the JSON as sent stays one click away);
 * any other body as folding JSON.
 */
function SentBody({ url, body, columns }: { url: string; body: string; columns: string[] | null }) {
  const value = parse(body);
  if (!url.includes(':append') || !rowCells(value, columns)) return <JsonView value={value} />;
  return (
    <>
      <p className="muted small-text">The row added to the sheet, under the destination's columns:</p>
      <SheetRow value={value} columns={columns} />
      <details>
        <summary className="muted small-text">As sent (JSON)</summary>
        <pre>{body}</pre>
      </details>
    </>
  );
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
