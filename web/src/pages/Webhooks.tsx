import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { useLoad } from '../ui/useLoad.ts';
import { JsonView } from '../ui/JsonView.tsx';
import { CircuitStatus } from '../ui/CircuitStatus.tsx';
import { ResourceTable } from '../ui/ResourceTable.tsx';
import { RowSwitch, useRowAction } from '../ui/rowActions.tsx';
import { Confirm, CopyButton } from './gateway/parts.tsx';
import { WebhookForm } from './webhooks/WebhookForm.tsx';
import type { EventType, Webhook } from './webhooks/types.ts';

export type { EventType, Webhook };

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};
type TestReport = {
  ok: boolean;
  status: number | null;
  error: string | null;
  duration_ms: number;
  request: { method: string; url: string; headers: Record<string, string>; body: unknown };
  response: { status: number; body: string } | null;
};

export function Webhooks() {
  const hooks = useLoad(() => api<{ models: Webhook[] }>('GET', '/webhooks'));
  const types = useLoad(() => api<{ models: EventType[] }>('GET', '/event-types'));
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Webhook | null>(null);
  const [secret, setSecret] = useState<{ name: string; value: string } | null>(null);
  const [report, setReport] = useState<{ name: string; report: TestReport } | null>(null);
  const [confirming, setConfirming] = useState<{ verb: 'delete' | 'rotate'; hook: Webhook } | null>(null);
  const action = useRowAction(hooks.reload);

  return (
    <section>
      <header className="row">
        <h1>Webhooks</h1>
        {!creating && (
          <button className="primary" onClick={() => (setEditing(null), setCreating(true))}>
            New webhook
          </button>
        )}
      </header>
      <p className="muted">
        Every URL Wirehub sends to, with exactly the fields you choose, signed so the receiver can trust them. A flow's webhook steps are listed here too,
        marked with their flow: they are edited in the flow.
      </p>
      {secret && (
        <div className="notice" role="status">
          <strong>Signing secret for “{secret.name}”.</strong> Copy it now: it will not be shown again.
          <div className="row">
            <code data-testid="secret">{secret.value}</code>
            <CopyButton text={secret.value} />
            <button onClick={() => setSecret(null)}>Done</button>
          </div>
        </div>
      )}
      {(creating || editing) && types.data && (
        <WebhookForm
          key={editing?.id ?? 'new'}
          types={types.data.models}
          editing={editing ?? undefined}
          onCancel={() => (setCreating(false), setEditing(null))}
          onSaved={async (w, shown) => {
            setCreating(false);
            setEditing(null);
            if (shown) setSecret({ name: w.name, value: shown });
            await hooks.reload();
          }}
        />
      )}
      <ResourceTable
        list={hooks}
        error={action.error ?? types.error}
        above={
          confirming && (
            <Confirm
              verb={confirming.verb}
              title={confirming.verb === 'delete' ? `Delete “${confirming.hook.name}”?` : `Rotate the secret of “${confirming.hook.name}”?`}
              onCancel={() => setConfirming(null)}
              onConfirm={async () => {
                const { verb, hook } = confirming;
                if (verb === 'delete') await api('DELETE', `/webhooks/${hook.id}`);
                else {
                  const out = await api<Webhook>('POST', `/webhooks/${hook.id}/rotate-secret`);
                  if (out.secret) setSecret({ name: hook.name, value: out.secret });
                }
                setConfirming(null);
                await hooks.reload();
              }}
            >
              <p>
                {confirming.verb === 'delete' ? 'Its queued deliveries are cancelled.' : 'The old secret stops working at once; the new one is shown once.'}
              </p>
            </Confirm>
          )
        }
        loading="Loading…"
        empty={
          !creating && (
            <div className="empty">
              <p>No webhooks yet. Create one to send new leads, escalations or deals to your own URL.</p>
            </div>
          )
        }
        rowKey={(w) => w.id}
        rowAttributes={(w) => ({ 'data-testid': 'webhook-row', 'data-id': w.id })}
        columns={[
          {
            head: 'Name',
            cell: (w) => (
              <>
                {/* A flow's step has a made-up object name; where it sends says more. */}
                {w.flow ? <>Webhook to {hostOf(w.url)}</> : w.name}
                {w.flow && (
                  <div className="small-text" data-testid="webhook-flow">
                    in flow <Link to={`/flows/${w.flow.id}`}>{w.flow.name}</Link>
                  </div>
                )}
              </>
            ),
          },
          { head: 'URL', className: 'mono', cell: (w) => w.url },
          {
            head: 'Sends',
            testId: 'webhook-sends',
            cell: (w) => (w.requests_from ? <>requests to the source “{w.requests_from.name}”</> : w.events.join(', ')),
          },
          { head: 'Status', testId: 'status', cell: (w) => <WebhookStatus w={w} /> },
          // Its own cell, laid out as the buttons' row (not the narrow actions column): a webhook has up to five.
          {
            head: null,
            className: 'actions',
            cell: (w) => (
              <>
                {w.flow && (
                  <Link
                    className="button"
                    to={`/flows/${w.flow.id}`}
                    data-testid="webhook-edit-in-flow"
                    title="Its URL, filter and fields are steps of the flow"
                  >
                    Edit in flow
                  </Link>
                )}
                {!w.requests_from && (
                  <button
                    disabled={action.busy === w.id}
                    onClick={() =>
                      void action.run(w.id, async () => setReport({ name: w.name, report: await api<TestReport>('POST', `/webhooks/${w.id}/test`, {}) }))
                    }
                  >
                    Test
                  </button>
                )}
                <RowSwitch action={action} id={w.id} path={`/webhooks/${w.id}`} verb={!w.enabled ? 'enable' : w.paused ? 'resume' : 'pause'} />
                {!w.flow && <button onClick={() => (setCreating(false), setEditing(w))}>Edit</button>}
                <button onClick={() => setConfirming({ verb: 'rotate', hook: w })}>Rotate secret</button>
                {/* A flow's step goes when it is removed from its flow; deleting it here would leave the flow pointing at nothing. */}
                {!w.flow && (
                  <button className="danger" onClick={() => setConfirming({ verb: 'delete', hook: w })}>
                    Delete
                  </button>
                )}
              </>
            ),
          },
        ]}
      />
      {report && (
        <div className="card">
          <header className="row">
            <h2>
              Test of “{report.name}”: {report.report.ok ? <span className="good">delivered</span> : <span className="bad">failed</span>} (
              {report.report.status ?? report.report.error}, {report.report.duration_ms} ms)
            </h2>
            <button onClick={() => setReport(null)}>Close</button>
          </header>
          <h3>Sent</h3>
          <p className="mono">
            {report.report.request.method} {report.report.request.url}
          </p>
          <JsonView value={report.report.request.body} />
          <h3>Received</h3>
          <pre>{report.report.response ? `${report.report.response.status}\n${report.report.response.body}` : report.report.error}</pre>
        </div>
      )}
    </section>
  );
}

function WebhookStatus({ w }: { w: Webhook }) {
  if (!w.enabled) {
    return (
      <span className="bad" title={w.disabled_reason ?? ''}>
        disabled
      </span>
    );
  }
  if (w.paused) return <span className="warn">paused</span>;
  return w.circuit.state === 'open' ? <CircuitStatus circuit={w.circuit} /> : <span className="good">active</span>;
}
