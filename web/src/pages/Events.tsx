import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { JsonView } from '../ui/JsonView.tsx';
import { useLoad } from '../ui/useLoad.ts';

type EventOut = { id: string; request_id: string; connection_id: string; destination_id: string; status: string; attempts: number; response_status: number | null; error_code: string | null; created_at: string; next_attempt_at: string | null };
type Attempt = { id: string; attempt_number: number; trigger: string; status: string; request: { method: string; url: string; headers: Record<string, string> }; request_body: string | null; response: { status: number; body: string } | null; duration_ms: number; error: { code: string; message: string } | null; created_at: string };

const STATUSES = ['', 'SUCCESSFUL', 'FAILED', 'QUEUED', 'SCHEDULED', 'HOLD', 'CANCELLED'];

export function Events() {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const connection = params.get('connection_id') ?? '';
  const [selected, setSelected] = useState<string | null>(null);
  const query = new URLSearchParams({ limit: '100', ...(status ? { status } : {}), ...(connection ? { connection_id: connection } : {}) });
  const events = useLoad(() => api<{ models: EventOut[] }>('GET', `/events?${query}`), [status, connection]);
  const filter = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next);
  };

  return (
    <section>
      <header className="row">
        <h1>Events log</h1>
        <button onClick={() => void events.reload()}>Refresh</button>
      </header>
      <div className="row filters">
        <label>
          Status
          <select aria-label="Status" value={status} onChange={(e) => filter('status', e.target.value)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Webhook / connection id
          <input value={connection} onChange={(e) => filter('connection_id', e.target.value.trim())} placeholder="web_…" />
        </label>
      </div>
      <ErrorBox error={events.error} />
      {events.loading && !events.data && <p className="loading">Loading…</p>}
      {events.data && events.data.models.length === 0 && <div className="empty">No events match. Publish an event or send a request to a source, and it shows up here.</div>}
      {events.data && events.data.models.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Event</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Response</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {events.data.models.map((e) => (
              <tr key={e.id} className={selected === e.id ? 'selected' : ''} onClick={() => setSelected(e.id)} data-testid="event-row">
                <td className="mono">{e.id}</td>
                <td>
                  <span className={e.status === 'SUCCESSFUL' ? 'good' : e.status === 'FAILED' ? 'bad' : 'warn'}>{e.status}</span>
                </td>
                <td>{e.attempts}</td>
                <td>{e.response_status ?? e.error_code ?? '—'}</td>
                <td>{new Date(e.created_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <EventDetail id={selected} onChanged={() => void events.reload()} />}
    </section>
  );
}

function EventDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const attempts = useLoad(() => api<{ models: Attempt[] }>('GET', `/attempts?event_id=${id}`), [id]);
  const [error, setError] = useState<unknown>(null);
  const retry = async () => {
    setError(null);
    try {
      await api('POST', `/events/${id}/retry`);
      onChanged();
      setTimeout(() => void attempts.reload(), 500);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div className="card" data-testid="event-detail">
      <header className="row">
        <h2 className="mono">{id}</h2>
        <button onClick={() => void retry()}>Retry</button>
      </header>
      <ErrorBox error={error ?? attempts.error} />
      {attempts.data?.models.length === 0 && <p className="muted">No attempt yet.</p>}
      <ol className="timeline">
        {attempts.data?.models.map((a) => (
          <li key={a.id}>
            <strong className={a.status === 'SUCCESSFUL' ? 'good' : 'bad'}>
              #{a.attempt_number} {a.status}
            </strong>{' '}
            <span className="muted">
              {a.trigger}, {new Date(a.created_at).toLocaleTimeString()}, {a.duration_ms} ms
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
