import { useState } from 'react';
import { api } from '../api.ts';
import { ErrorBox } from './ErrorBox.tsx';
import { JsonView } from './JsonView.tsx';

import type { MappingEntryT } from '../../../server/hub/mappings.ts';

/** One mapping entry as the API takes it. */
export type Mapping = MappingEntryT;
type Kind = 'from' | 'expression' | 'value';

const kindOf = (m: Mapping): Kind => (m.expression !== undefined ? 'expression' : m.value !== undefined ? 'value' : 'from');

/** Every leaf path of a sample, as `data.a.b`, for the list of fields to drag from. */
export function samplePaths(value: unknown, prefix = 'data'): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => samplePaths(v, `${prefix}.${k}`));
}

/**
 * Sample fields on the left, the fields to send on the right: click or drag a field onto a row,
 * or switch a row to a JSONata expression or a constant. Preview shows the exact body.
 */
export function MappingEditor({ sample, eventType, mappings, envelope, onChange }: { sample: Record<string, unknown>; eventType?: string; mappings: Mapping[]; envelope: 'flat' | 'nested'; onChange: (m: Mapping[]) => void }) {
  const [preview, setPreview] = useState<unknown>(undefined);
  const [error, setError] = useState<unknown>(null);
  const paths = samplePaths(sample);
  const update = (i: number, m: Mapping) => onChange(mappings.map((x, j) => (j === i ? m : x)));
  const add = (from: string) => onChange([...mappings, { to: from.split('.').at(-1) ?? from, from }]);
  const setKind = (i: number, kind: Kind) => {
    const { to } = mappings[i];
    update(i, kind === 'from' ? { to, from: '' } : kind === 'expression' ? { to, expression: '' } : { to, value: '' });
  };

  const runPreview = async () => {
    setError(null);
    try {
      const out = await api<{ body: unknown }>('POST', '/mappings/preview', { ...(eventType ? { eventType } : { sample }), mappings, envelope });
      setPreview(out.body);
    } catch (err) {
      setPreview(undefined);
      setError(err);
    }
  };

  return (
    <div className="mapper">
      <div className="fields" aria-label="Sample fields">
        <h4>Event fields</h4>
        {paths.map((p) => (
          <button type="button" key={p} className="field" draggable onDragStart={(e) => e.dataTransfer.setData('text/plain', p)} onClick={() => add(p)} title={`Add ${p}`}>
            {p.replace(/^data\./, '')}
          </button>
        ))}
      </div>
      <div
        className="targets"
        aria-label="Fields to send"
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          // A field dropped beside the rows (or on an empty list) is sent as a new row.
          e.preventDefault();
          const p = e.dataTransfer.getData('text/plain');
          if (p) add(p);
        }}
      >
        <h4>Fields to send</h4>
        {mappings.length === 0 && <p className="muted">Click or drag a field from the left to send it.</p>}
        {mappings.map((m, i) => {
          const kind = kindOf(m);
          return (
            <div
              key={i}
              className="mapping"
              data-testid={`mapping-${i}`}
              onDragOver={(e) => e.preventDefault()}
              onDrop={(e) => {
                e.preventDefault();
                e.stopPropagation();
                update(i, { to: m.to, from: e.dataTransfer.getData('text/plain'), ...(m.default !== undefined ? { default: m.default } : {}) });
              }}
            >
              <input aria-label="Field name" value={m.to} onChange={(e) => update(i, { ...m, to: e.target.value })} />
              <select aria-label="Kind" value={kind} onChange={(e) => setKind(i, e.target.value as Kind)}>
                <option value="from">from field</option>
                <option value="expression">expression</option>
                <option value="value">constant</option>
              </select>
              <input
                aria-label="Source"
                className="mono"
                value={String(kind === 'from' ? (m.from ?? '') : kind === 'expression' ? (m.expression ?? '') : (m.value ?? ''))}
                placeholder={kind === 'expression' ? "$lowercase(data.email)" : kind === 'from' ? 'data.email' : 'a fixed value'}
                onChange={(e) => update(i, kind === 'from' ? { ...m, from: e.target.value } : kind === 'expression' ? { ...m, expression: e.target.value } : { to: m.to, value: e.target.value })}
              />
              {kind !== 'value' && <input aria-label="Default" placeholder="default" value={m.default === undefined ? '' : String(m.default)} onChange={(e) => update(i, { ...m, default: e.target.value === '' ? undefined : e.target.value })} />}
              <button type="button" aria-label="Remove" onClick={() => onChange(mappings.filter((_, j) => j !== i))}>
                ×
              </button>
            </div>
          );
        })}
        <button type="button" onClick={() => void runPreview()}>
          Preview the body
        </button>
        <ErrorBox error={error} />
        {preview !== undefined && <JsonView value={preview} />}
      </div>
    </div>
  );
}
