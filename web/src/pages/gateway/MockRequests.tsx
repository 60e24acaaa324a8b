import { useState } from 'react';
import type { MockRequestOut } from '../../../../shared/api.ts';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { FormButtons } from '../../ui/FormButtons.tsx';
import { JsonView } from '../../ui/JsonView.tsx';
import { ResourceTable } from '../../ui/ResourceTable.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { usePagedList } from '../../ui/usePagedList.ts';
import { useSubmit } from '../../ui/useSubmit.ts';
import { ConfirmDelete, when } from './parts.tsx';
import type { Destination, Wire } from './types.ts';

export type MockRequest = Wire<MockRequestOut>;

export const MOCK_API = 'MOCK_API';

/** Statuses worth trying: success, the client errors a receiver sends, and the ones that are retried. */
const STATUSES = [200, 201, 202, 400, 401, 404, 410, 429, 500, 503];

/** A test receiver (type MOCK_API): a destination that needs no endpoint; the hub records what it receives and answers a chosen status. */
export function NewMockApi({ onCancel, onCreated }: { onCancel: () => void; onCreated: (d: Destination) => Promise<void> }) {
  const [name, setName] = useState('');
  const [path, setPath] = useState('/');
  const [status, setStatus] = useState(200);
  const [delay, setDelay] = useState(0);
  const { busy, error, run } = useSubmit();
  const submit = () =>
    run(async () => {
      const d = await api<Destination>('POST', '/destinations', { name, type: MOCK_API, config: { path, response_status: status, response_delay_ms: delay } });
      await onCreated(d);
    });
  return (
    <form className="card" data-testid="mock-api-form" onSubmit={(e) => (e.preventDefault(), void submit())}>
      <h2>New test receiver</h2>
      <p className="muted">
        Try a connection without an endpoint of your own: Wirehub receives each delivery itself and lists it here, headers and body as a real receiver would get
        them.
      </p>
      <label>
        Name
        <input name="name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus placeholder="try-orders" />
      </label>
      <label>
        Path <span className="muted">(what the request would be sent to)</span>
        <input name="path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/orders" />
      </label>
      <label>
        Answers with
        <select name="response_status" value={status} onChange={(e) => setStatus(Number(e.target.value))}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
              {s === 410
                ? ' (gone: not retried, and the destination is disabled at once)'
                : s >= 400
                  ? ' (a failure: retried, and the destination is disabled after repeated failures)'
                  : ''}
            </option>
          ))}
        </select>
      </label>
      <label>
        Delay before answering, in ms <span className="muted">(0–10,000)</span>
        <input name="response_delay_ms" type="number" min={0} max={10_000} value={delay} onChange={(e) => setDelay(Number(e.target.value))} />
      </label>
      <ErrorBox error={error} />
      <FormButtons label="Create test receiver" busy={busy} testId="mock-api-create" onCancel={onCancel} />
    </form>
  );
}

/** The requests a test receiver (MOCK_API) received, newest first; one opens to its headers and body. */
export function MockRequests({ destination, onClose }: { destination: Pick<Destination, 'id' | 'name'>; onClose: () => void }) {
  const base = `/destinations/${destination.id}/mock_requests`;
  const list = usePagedList<MockRequest>(base);
  const [open, setOpen] = useState<string | null>(null);
  const [clearing, setClearing] = useState(false);
  const rows = list.data?.models ?? [];
  return (
    <section className="card" data-testid="mock-requests" aria-label={`Requests received by ${destination.name}`}>
      <div className="row">
        <h2>Test receiver “{destination.name}”: received requests</h2>
        <button data-testid="mock-requests-refresh" onClick={() => void list.reload()} disabled={list.loading}>
          Refresh
        </button>
        <button className="danger" data-testid="mock-requests-clear" disabled={rows.length === 0} onClick={() => setClearing(true)}>
          Clear
        </button>
        <button data-testid="mock-requests-close" onClick={onClose}>
          Close
        </button>
      </div>
      <ResourceTable
        list={list}
        above={
          clearing && (
            <ConfirmDelete
              title={`Delete every request ${destination.name} received?`}
              onCancel={() => setClearing(false)}
              onConfirm={async () => {
                await api('DELETE', base);
                setClearing(false);
                setOpen(null);
                await list.restart();
              }}
            />
          )
        }
        loading="Loading requests…"
        empty={
          <p className="empty" data-testid="mock-requests-empty">
            Nothing received yet. Connect a source to this destination and send it a request; it shows up here.
          </p>
        }
        pager="requests"
        className="gateway"
        rowKey={(r) => r.id}
        rowAttributes={(r) => ({ 'data-testid': 'mock-request-row', 'data-id': r.id })}
        columns={[
          {
            head: 'Received',
            cell: (r) => (
              <button className="link" aria-expanded={open === r.id} data-testid="mock-request-open" onClick={() => setOpen(open === r.id ? null : r.id)}>
                {when(r.created_at)}
              </button>
            ),
          },
          {
            head: 'Request',
            className: 'mono',
            cell: (r) => (
              <>
                {r.method} {r.path}
                {r.query ? `?${r.query}` : ''}
              </>
            ),
          },
          { head: 'Answered', className: (r) => (r.response_status >= 400 ? 'bad' : 'good'), cell: (r) => r.response_status },
          { head: 'Size', cell: (r) => `${r.body_size} bytes` },
        ]}
        detail={(r) => open === r.id && <MockRequestDetail url={`${base}/${r.id}`} />}
      />
    </section>
  );
}

function MockRequestDetail({ url }: { url: string }) {
  const one = useLoad(() => api<MockRequest>('GET', url), [url]);
  const r = one.data;
  return (
    <div data-testid="mock-request-detail">
      <ErrorBox error={one.error} />
      {one.loading && !r && <p className="loading">Loading…</p>}
      {r && (
        <>
          <h4>Headers</h4>
          <JsonView value={r.headers} />
          <h4>Body</h4>
          {r.body_truncated && <p className="warn small-text">Only the first 256 KB of {r.body_size} bytes were kept.</p>}
          <div data-testid="mock-request-body">
            <Body request={r} />
          </div>
        </>
      )}
    </div>
  );
}

function Body({ request: r }: { request: MockRequest }) {
  const body = r.body ?? '';
  if (r.body_encoding === 'base64') {
    return (
      <>
        <p className="muted small-text">Not text: shown as base64.</p>
        <pre className="mono">{body}</pre>
      </>
    );
  }
  const json = parseJson(body);
  if (json !== undefined && typeof json === 'object' && json !== null) return <JsonView value={json} />;
  return <pre className="mono">{body || '(empty)'}</pre>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
