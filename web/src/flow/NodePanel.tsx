import { CONDITION_OPS, type ConditionT } from '../../../server/hub/flow-graph.ts';
import { MappingEditor, type Mapping } from '../ui/MappingEditor.tsx';
import type { EventType } from '../pages/Webhooks.tsx';
import { KIND_LABEL, type CanvasNode } from './graph.ts';

type Props = { node: CanvasNode; eventTypes: EventType[]; upstream: string[]; problems: string[]; onChange: (data: Record<string, unknown>) => void; onDelete: () => void; onClose: () => void };

/** The side panel for the selected node: one small form per kind. */
export function NodePanel({ node, eventTypes, upstream, problems, onChange, onDelete, onClose }: Props) {
  const d = node.data;
  const set = (patch: Record<string, unknown>) => onChange({ ...d, ...patch });
  return (
    <aside className="flow-panel" data-testid="node-panel">
      <header className="row">
        <h3>
          {KIND_LABEL[node.type as keyof typeof KIND_LABEL]} <span className="muted mono">{node.id}</span>
        </h3>
        <button onClick={onClose} aria-label="Close panel">
          ×
        </button>
      </header>
      {problems.length > 0 && (
        <div className="error" role="alert">
          <ul>
            {problems.map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {node.type === 'trigger' && (
        <label>
          Event type
          <select data-testid="trigger-event" value={String(d.eventType ?? '')} onChange={(e) => set({ eventType: e.target.value })}>
            <option value="">Choose…</option>
            {eventTypes.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {node.type === 'filter' && <FilterForm conditions={(d.conditions as ConditionT[]) ?? []} mode={d.mode === 'any' ? 'any' : 'all'} onChange={set} />}
      {node.type === 'map' && (
        <>
          <label>
            Envelope
            <select value={String(d.envelope ?? 'flat')} onChange={(e) => set({ envelope: e.target.value })}>
              <option value="flat">Flat: mapped fields beside eventType, eventId…</option>
              <option value="nested">Nested: mapped fields under data</option>
            </select>
          </label>
          {upstream.length === 0 && <p className="muted">Connect a trigger to see its fields.</p>}
          <MappingEditor
            sample={eventTypes.find((t) => t.name === upstream[0])?.sample ?? {}}
            eventType={upstream[0]}
            mappings={(d.mappings as Mapping[]) ?? []}
            envelope={d.envelope === 'nested' ? 'nested' : 'flat'}
            onChange={(mappings) => set({ mappings })}
          />
        </>
      )}
      {node.type === 'webhook' && (
        <>
          <label>
            URL
            <input data-testid="webhook-url" value={String(d.url ?? '')} placeholder="https://hooks.example.com/…" onChange={(e) => set({ url: e.target.value })} />
          </label>
          <label>
            Signing
            <select value={String(d.signing ?? 'hmac')} onChange={(e) => set({ signing: e.target.value })}>
              <option value="hmac">HMAC signature (Standard Webhooks)</option>
              <option value="shared-secret">Shared secret in a header</option>
            </select>
          </label>
          <label>
            Authorization header <span className="muted">{typeof d.authorizationHint === 'string' ? `(now ${d.authorizationHint}; leave empty to keep)` : '(optional)'}</span>
            <input
              data-testid="webhook-authorization"
              value={String(d.authorization ?? '')}
              placeholder="Token …"
              onChange={(e) => {
                const { authorization: _a, ...rest } = d;
                onChange(e.target.value ? { ...rest, authorization: e.target.value } : rest);
              }}
            />
          </label>
          {typeof d.webhookId === 'string' && <p className="muted">Saved as webhook <code>{d.webhookId}</code>.</p>}
        </>
      )}
      <button className="danger" onClick={onDelete} data-testid="delete-node">
        Delete node
      </button>
    </aside>
  );
}

function FilterForm({ conditions, mode, onChange }: { conditions: ConditionT[]; mode: 'all' | 'any'; onChange: (patch: Record<string, unknown>) => void }) {
  const update = (i: number, c: ConditionT) => onChange({ conditions: conditions.map((x, j) => (j === i ? c : x)) });
  return (
    <div>
      <label>
        Pass when
        <select value={mode} onChange={(e) => onChange({ mode: e.target.value })}>
          <option value="all">all conditions hold</option>
          <option value="any">any condition holds</option>
        </select>
      </label>
      {conditions.map((c, i) => (
        <div className="flow-condition" key={i} data-testid={`condition-${i}`}>
          <input aria-label="Field" placeholder="field, e.g. email" value={c.field} onChange={(e) => update(i, { ...c, field: e.target.value })} />
          <select aria-label="Operator" value={c.op} onChange={(e) => update(i, { ...c, op: e.target.value as ConditionT['op'] })}>
            {CONDITION_OPS.map((op) => (
              <option key={op} value={op}>
                {op}
              </option>
            ))}
          </select>
          {c.op !== 'exists' && <input aria-label="Value" value={String(c.value ?? '')} onChange={(e) => update(i, { ...c, value: e.target.value })} />}
          <button aria-label="Remove condition" onClick={() => onChange({ conditions: conditions.filter((_, j) => j !== i) })}>
            ×
          </button>
        </div>
      ))}
      <button onClick={() => onChange({ conditions: [...conditions, { field: '', op: 'eq', value: '' }] })}>Add condition</button>
    </div>
  );
}
