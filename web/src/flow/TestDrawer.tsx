import { useEffect, useRef, useState } from 'react';
import { isDestinationKind, type FlowGraphT } from '../../../shared/flow-graph.ts';
import { api } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { JsonView } from '../ui/JsonView.tsx';
import { rowCells, SheetRow } from '../ui/SheetRow.tsx';
import type { DeliveryReport, EventType, FlowTestIn, FlowTestOut } from './flow-api.ts';
import { sheetColumns } from './FlowNodeView.tsx';
import { humanize, KIND_LABEL, type CanvasNode } from './graph.ts';

type Props = {
  graph: () => FlowGraphT;
  nodes: CanvasNode[];
  eventTypes: EventType[];
  result: FlowTestOut | null;
  onResult: (r: FlowTestOut | null) => void;
  onClose: () => void;
};

const STATUS: Record<string, string> = { passed: 'passed', stopped: 'stopped here', error: 'error', skipped: 'not reached' };

/**
 * The Test drawer: runs the trigger's sample (or its last real event, or an edited sample) through
 * the unsaved graph on the server, shows every node's output, and sends one real test delivery.
 */
export function TestDrawer({ graph, nodes, eventTypes, result, onResult, onClose }: Props) {
  const triggers = nodes.filter((n) => n.type === 'trigger');
  const [trigger, setTrigger] = useState(triggers[0]?.id ?? '');
  const [use, setUse] = useState<'sample' | 'last'>('sample');
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [deliveries, setDeliveries] = useState<Record<string, DeliveryReport>>({});
  // The real test delivery's report is brought into view when it arrives: it can land below the drawer's fold.
  const [arrived, setArrived] = useState<string | null>(null);
  const arrivedRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (arrived) arrivedRef.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [arrived, deliveries]);
  const triggerNode = triggers.find((t) => t.id === trigger) ?? triggers[0];
  const eventType = triggerNode ? String(triggerNode.data.eventType ?? '') : '';
  // A source trigger runs the source's last request (or a pasted body): it has no catalogue sample.
  const fromSource = triggerNode?.data.sourceId !== undefined;
  const sample = eventTypes.find((t) => t.name === eventType)?.sample ?? {};

  const request = (deliver?: string): FlowTestIn | null => {
    const body: FlowTestIn = { graph: graph(), ...(triggerNode ? { trigger: triggerNode.id } : {}), use, ...(deliver ? { deliver } : {}) };
    if (use === 'sample' && editing) {
      try {
        const data = JSON.parse(text) as unknown;
        if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('the sample must be a JSON object');
        body.data = data as Record<string, unknown>;
      } catch (err) {
        setError(new Error(`Fix the sample first: ${err instanceof Error ? err.message : String(err)}`));
        return null;
      }
    }
    return body;
  };
  const run = async (deliver?: string) => {
    setError(null);
    const body = request(deliver);
    if (!body) return;
    setBusy(deliver ?? 'run');
    try {
      const out = await api<FlowTestOut>('POST', '/flows/test', body);
      onResult(out);
      if (deliver && out.delivery) {
        setDeliveries((d) => ({ ...d, [deliver]: out.delivery as DeliveryReport }));
        setArrived(deliver);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  // What each destination would get comes first, in sight as soon as the run ends; the event and the steps' outputs follow.
  const ran = result ? nodes.filter((n) => result.nodes[n.id]) : [];
  /** One node's result: its status, what it made (a sheet's row as a table), and for a destination one real test delivery. */
  const nodeResult = (n: CanvasNode) => {
    const r = result?.nodes[n.id];
    if (!r) return null;
    const delivery = deliveries[n.id];
    const columns = sheetColumns(n.type, n.data);
    return (
      <div key={n.id} className={`flow-test-node ${r.status}`} data-testid={`test-node-${n.id}`}>
        <div className="row">
          <strong>
            {KIND_LABEL[n.type as keyof typeof KIND_LABEL]} <span className="muted mono">{n.id}</span>
          </strong>
          <span className="row">
            {isDestinationKind(n.type) && r.status !== 'skipped' && (
              <button className="small" data-testid={`test-deliver-${n.id}`} disabled={busy !== null} onClick={() => void run(n.id)}>
                {busy === n.id ? 'Sending…' : 'Send a real test'}
              </button>
            )}
            <span className={`flow-badge ${r.status}`} data-testid={`test-status-${n.id}`}>
              {STATUS[r.status] ?? r.status}
            </span>
          </span>
        </div>
        {r.message && <p className={r.status === 'error' ? 'flow-field-error' : 'muted'}>{r.message}</p>}
        {r.output !== undefined && (
          <div data-testid={`test-output-${n.id}`}>
            <span className="flow-field-hint">
              {columns && rowCells(r.output, columns)
                ? `Would add this row to ${String(n.data.sheetName || 'Sheet1')}:`
                : isDestinationKind(n.type)
                  ? 'Would send:'
                  : 'Output:'}
            </span>
            {columns ? <SheetRow value={r.output} columns={columns} /> : <JsonView value={r.output} />}
          </div>
        )}
        {delivery && (
          <div className={delivery.ok ? 'notice good' : 'error'} data-testid={`test-delivery-${n.id}`} ref={arrived === n.id ? arrivedRef : undefined}>
            <strong>{delivery.ok ? `Delivered: ${delivery.status}` : `Failed: ${delivery.error ?? delivery.status}`}</strong>{' '}
            <span className="muted">in {delivery.duration_ms} ms</span>
            <details open>
              <summary>
                Request sent: {delivery.request.method} {delivery.request.url}
              </summary>
              <JsonView value={{ headers: delivery.request.headers, body: delivery.request.body }} />
            </details>
            <details open data-testid={`test-response-${n.id}`}>
              <summary>Response received: {delivery.response ? delivery.response.status : 'none'}</summary>
              {delivery.response && <JsonView value={{ headers: delivery.response.headers, body: tryJson(delivery.response.body) }} />}
            </details>
          </div>
        )}
      </div>
    );
  };

  return (
    <section className="flow-drawer" data-testid="test-drawer" aria-label="Test the flow">
      <header className="row">
        <h3>Test the flow</h3>
        <button onClick={onClose} aria-label="Close the test" data-testid="test-close">
          ×
        </button>
      </header>
      <div className="flow-drawer-body">
        {/* One short row, so the results below start high enough to be read without scrolling. */}
        <div className="flow-drawer-controls">
          <button className="primary" data-testid="test-run" disabled={!triggers.length || busy !== null} onClick={() => void run()}>
            {busy === 'run' ? 'Running…' : result ? 'Run again' : 'Run the test'}
          </button>
          {triggers.length > 1 && (
            <label>
              from{' '}
              <select data-testid="test-trigger" value={triggerNode?.id ?? ''} onChange={(e) => setTrigger(e.target.value)}>
                {triggers.map((t) => (
                  <option key={t.id} value={t.id}>
                    {humanize(String(t.data.eventType || t.id))} ({t.id})
                  </option>
                ))}
              </select>
            </label>
          )}
          {!triggers.length && <p className="flow-note">Add a trigger first: a test starts from its event.</p>}
          {fromSource ? (
            <span>with the last request to the source</span>
          ) : (
            <label>
              with{' '}
              <select data-testid="test-use" value={use} onChange={(e) => setUse(e.target.value === 'last' ? 'last' : 'sample')}>
                <option value="sample">the sample{eventType ? ` of ${humanize(eventType)}` : ''}</option>
                <option value="last">the last real event</option>
              </select>
            </label>
          )}
          {use === 'sample' && (
            <label className="flow-radio">
              <input
                type="checkbox"
                data-testid="test-edit-sample"
                checked={editing}
                onChange={(e) => {
                  setEditing(e.target.checked);
                  if (e.target.checked && !text) setText(JSON.stringify(sample, null, 2));
                }}
              />{' '}
              {fromSource ? 'paste a body instead' : 'edit it'}
            </label>
          )}
          <span className="flow-field-hint">Nothing is sent unless you press “Send a real test”.</span>
          {use === 'sample' && editing && (
            <textarea
              className="mono"
              rows={8}
              data-testid="test-sample-json"
              aria-label="Sample data (JSON)"
              spellCheck={false}
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          )}
          <ErrorBox error={error} />
        </div>
        <div className="flow-drawer-results" data-testid="test-results">
          {!result && <p className="muted">Run the test to see what each step makes of the event and exactly what each destination would get.</p>}
          {ran.filter((n) => isDestinationKind(n.type)).map(nodeResult)}
          {result && (
            <details className="flow-test-node" data-testid="test-event">
              <summary>
                The event{' '}
                <span className="muted" data-testid="test-source">
                  {result.source === 'last'
                    ? '(the last real one)'
                    : result.source === 'data'
                      ? '(your edited sample)'
                      : use === 'last'
                        ? '(no real one yet: the sample)'
                        : '(the sample)'}
                </span>
              </summary>
              <JsonView value={result.event} />
            </details>
          )}
          {ran.filter((n) => !isDestinationKind(n.type)).map(nodeResult)}
        </div>
      </div>
    </section>
  );
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
