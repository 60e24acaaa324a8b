import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { useSubmit } from '../ui/useSubmit.ts';
import type { WebhookOut } from '../../../server/hub/webhooks.service.ts';
import { MappingEditor, type Mapping } from '../ui/MappingEditor.tsx';
import { JsonView } from '../ui/JsonView.tsx';
import { CircuitStatus } from '../ui/CircuitStatus.tsx';
import { FormButtons } from '../ui/FormButtons.tsx';
import { ResourceTable } from '../ui/ResourceTable.tsx';
import { RowSwitch, useRowAction } from '../ui/rowActions.tsx';
import { Confirm, CopyButton } from './gateway/parts.tsx';
import type { Wire } from './gateway/types.ts';

export type Webhook = Wire<WebhookOut>;

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};
export type EventType = { name: string; group: string; description: string; sample: Record<string, unknown> };
type TestReport = { ok: boolean; status: number | null; error: string | null; duration_ms: number; request: { method: string; url: string; headers: Record<string, string>; body: unknown }; response: { status: number; body: string } | null };

export function Webhooks() {
  const hooks = useLoad(() => api<{ models: Webhook[] }>('GET', '/webhooks'));
  const types = useLoad(() => api<{ models: EventType[] }>('GET', '/event-types'));
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ name: string; value: string } | null>(null);
  const [report, setReport] = useState<{ name: string; report: TestReport } | null>(null);
  const [confirming, setConfirming] = useState<{ verb: 'delete' | 'rotate'; hook: Webhook } | null>(null);
  const action = useRowAction(hooks.reload);

  return (
    <section>
      <header className="row">
        <h1>Webhooks</h1>
        {!creating && (
          <button className="primary" onClick={() => setCreating(true)}>
            New webhook
          </button>
        )}
      </header>
      <p className="muted">
        Every URL Wirehub sends to, with exactly the fields you choose, signed so the receiver can trust them. A flow's webhook steps are listed here too, marked with their flow: they are edited
        in the flow.
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
      {creating && types.data && (
        <WebhookForm
          types={types.data.models}
          onCancel={() => setCreating(false)}
          onCreated={async (w) => {
            setCreating(false);
            if (w.secret) setSecret({ name: w.name, value: w.secret });
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
              <p>{confirming.verb === 'delete' ? 'Its queued deliveries are cancelled.' : 'The old secret stops working at once; the new one is shown once.'}</p>
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
          { head: 'Sends', testId: 'webhook-sends', cell: (w) => (w.requests_from ? <>requests to the source “{w.requests_from.name}”</> : w.events.join(', ')) },
          { head: 'Status', testId: 'status', cell: (w) => <WebhookStatus w={w} /> },
          // Its own cell, laid out as the buttons' row (not the narrow actions column): a webhook has up to five.
          {
            head: null,
            className: 'actions',
            cell: (w) => (
              <>
                {w.flow && (
                  <Link className="button" to={`/flows/${w.flow.id}`} data-testid="webhook-edit-in-flow" title="Its URL, filter and fields are steps of the flow">
                    Edit in flow
                  </Link>
                )}
                {!w.requests_from && (
                  <button disabled={action.busy === w.id} onClick={() => void action.run(w.id, async () => setReport({ name: w.name, report: await api<TestReport>('POST', `/webhooks/${w.id}/test`, {}) }))}>
                    Test
                  </button>
                )}
                <RowSwitch action={action} id={w.id} path={`/webhooks/${w.id}`} verb={!w.enabled ? 'enable' : w.paused ? 'resume' : 'pause'} />
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
              Test of “{report.name}”: {report.report.ok ? <span className="good">delivered</span> : <span className="bad">failed</span>} ({report.report.status ?? report.report.error}, {report.report.duration_ms} ms)
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

function WebhookForm({ types, onCancel, onCreated }: { types: EventType[]; onCancel: () => void; onCreated: (w: Webhook) => Promise<void> }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['lead.captured']);
  const [mappings, setMappings] = useState<Mapping[]>([]);
  const [allFields, setAllFields] = useState(true);
  const [envelope, setEnvelope] = useState<'flat' | 'nested'>('flat');
  const [signing, setSigning] = useState<'hmac' | 'shared-secret'>('hmac');
  const [authorization, setAuthorization] = useState('');
  const [atOnce, setAtOnce] = useState('');
  const { busy, error, run } = useSubmit();
  const sample = types.find((t) => t.name === events[0])?.sample ?? {};

  const submit = () =>
    run(async () => {
      const created = await api<Webhook>('POST', '/webhooks', {
        name,
        url,
        events,
        mappings: allFields ? null : mappings,
        envelope,
        signing,
        ...(authorization ? { authorization } : {}),
        // Empty: the hub's default (WIREHUB_DESTINATION_CONCURRENCY).
        ...(atOnce.trim() ? { max_concurrency: Number(atOnce) } : {}),
      });
      await onCreated(created);
    });

  return (
    <form className="card" onSubmit={(e) => (e.preventDefault(), void submit())}>
      <h2>New webhook</h2>
      <label>
        Name
        <input name="name" value={name} onChange={(e) => setName(e.target.value)} required placeholder="CRM leads" />
      </label>
      <label>
        Endpoint URL
        <input name="url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} required placeholder="https://your-endpoint.example.com/leads" />
      </label>
      <fieldset>
        <legend>Send these events</legend>
        <div className="chips">
          {types.map((t) => (
            <label key={t.name} className="chip" title={t.description}>
              <input type="checkbox" checked={events.includes(t.name)} onChange={(e) => setEvents(e.target.checked ? [...events, t.name] : events.filter((x) => x !== t.name))} />
              {t.name}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Fields</legend>
        <label className="inline">
          <input type="radio" checked={allFields} onChange={() => setAllFields(true)} /> Send every field of the event
        </label>
        <label className="inline">
          <input type="radio" checked={!allFields} onChange={() => setAllFields(false)} /> Choose the fields (map them)
        </label>
        {!allFields && <MappingEditor sample={sample} eventType={events[0]} mappings={mappings} envelope={envelope} onChange={setMappings} />}
      </fieldset>
      <div className="grid2">
        <label>
          Body layout <span className="muted">(where your fields sit next to the event's type, id and time)</span>
          <select value={envelope} onChange={(e) => setEnvelope(e.target.value as 'flat' | 'nested')}>
            <option value="flat">Flat: fields next to eventType, eventId…</option>
            <option value="nested">Nested: fields under data</option>
          </select>
        </label>
        <label>
          Signature
          <select value={signing} onChange={(e) => setSigning(e.target.value as 'hmac' | 'shared-secret')}>
            <option value="hmac">HMAC signature (recommended)</option>
            <option value="shared-secret">Shared secret in a header</option>
          </select>
        </label>
      </div>
      <label>
        Authorization header <span className="muted">(optional: some receivers, such as Make.com, require a token)</span>
        <input value={authorization} onChange={(e) => setAuthorization(e.target.value)} autoComplete="off" />
      </label>
      <label>
        Deliveries at once <span className="muted">(optional: how many requests Wirehub sends this endpoint at the same time; empty for the default)</span>
        <input name="max_concurrency" type="number" min={1} max={1000} step={1} value={atOnce} onChange={(e) => setAtOnce(e.target.value)} placeholder="default" />
      </label>
      <ErrorBox error={error} />
      <FormButtons label="Create webhook" busy={busy} disabled={events.length === 0} onCancel={onCancel} />
    </form>
  );
}
