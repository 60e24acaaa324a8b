import { useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { JsonView } from '../../ui/JsonView.tsx';
import { useLoad } from '../../ui/useLoad.ts';

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
type EventWithData = { id: string; status: string; request_id: string; batch_operation_id: string | null; data: { path: string; query: unknown; headers: unknown; body: unknown } | null };

const TRIGGERS: Record<string, string> = { initial: 'first try', automatic: 'automatic retry', manual: 'manual retry', bulk: 'bulk retry' };

/** One event: what came in (folding JSON), every attempt (request sent, response, duration), and Retry. */
export function EventDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const event = useLoad(() => api<EventWithData>('GET', `/events/${id}`), [id]);
  const attempts = useLoad(() => api<{ models: Attempt[] }>('GET', `/attempts?event_id=${id}`), [id]);
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
        {event.data && <span className={event.data.status === 'SUCCESSFUL' ? 'good' : event.data.status === 'FAILED' ? 'bad' : 'warn'}>{event.data.status}</span>}
        <button onClick={() => void retry()} data-testid="event-retry">
          Retry
        </button>
      </header>
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
                  <JsonView value={parse(a.request_body)} />
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

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
