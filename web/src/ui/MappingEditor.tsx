import { useState, type DragEvent } from 'react';
import { api } from '../api.ts';
import { ErrorBox } from './ErrorBox.tsx';
import { JsonView } from './JsonView.tsx';

import type { MappingEntryT } from '../../../shared/api.ts';

/** One mapping entry as the API takes it. */
export type Mapping = MappingEntryT;
type Kind = 'from' | 'expression' | 'value';

/** A field the destination takes (a sheet column, a CRM contact field). */
export type TargetField = { name: string; required: boolean; description?: string };

const kindOf = (m: Mapping): Kind => (m.expression !== undefined ? 'expression' : m.value !== undefined ? 'value' : 'from');
const sourceOf = (m: Mapping): string => String(m.expression ?? m.value ?? m.from ?? '');

/** Every leaf path of a sample, as `data.a.b`, for the list of fields to drag from. */
export function samplePaths(value: unknown, prefix = 'data'): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => samplePaths(v, `${prefix}.${k}`));
}

/** The required destination fields that nothing fills yet. */
export function missingTargets(targets: TargetField[], mappings: Mapping[]): string[] {
  return targets.filter((t) => t.required && !mappings.some((m) => m.to === t.name && sourceOf(m).trim() !== '')).map((t) => t.name);
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Targets with the same name as a sample field (`Email` ← `data.email`) that are not mapped yet. */
export function autoMappings(targets: TargetField[], paths: string[], mappings: Mapping[]): Mapping[] {
  const taken = new Set(mappings.map((m) => m.to));
  return targets.flatMap((t) => {
    if (taken.has(t.name)) return [];
    const from = paths.find((p) => norm(p.split('.').at(-1) ?? '') === norm(t.name));
    return from ? [{ to: t.name, from }] : [];
  });
}

type Props = {
  sample: Record<string, unknown>;
  eventType?: string;
  mappings: Mapping[];
  envelope: 'flat' | 'nested';
  onChange: (m: Mapping[]) => void;
  /** The destination's own fields: each is a row to fill; without them the user names the fields. */
  targets?: TargetField[] | null;
  targetsFor?: string | null;
  /** Computes the body for the preview instead of POST /mappings/preview (the flow editor runs its whole path). */
  onPreview?: (mappings: Mapping[], envelope: 'flat' | 'nested') => Promise<unknown>;
  /** Where the sample sits in what the mappings read: `data` of a published event, `body` of an inbound request. */
  prefix?: 'data' | 'body';
};

/**
 * Sample fields on the left, the fields to send on the right: click or drag a field onto a row,
 * or switch a row to a JSONata expression or a constant. With `targets`, the right side lists the
 * destination's fields and marks the required ones still empty. Preview shows the exact body.
 */
export function MappingEditor({ sample, eventType, mappings, envelope, onChange, targets, targetsFor, onPreview, prefix = 'data' }: Props) {
  const [preview, setPreview] = useState<unknown>(undefined);
  const [error, setError] = useState<unknown>(null);
  const paths = samplePaths(sample, prefix);
  const targetNames = new Set((targets ?? []).map((t) => t.name));
  const update = (i: number, m: Mapping) => onChange(mappings.map((x, j) => (j === i ? m : x)));
  /** Fills the target named `to` (adding its row when it has none) from a sample field. */
  const fill = (to: string, from: string) => {
    const i = mappings.findIndex((m) => m.to === to);
    const prev = mappings[i];
    const entry: Mapping = { to, from, ...(prev?.default !== undefined ? { default: prev.default } : {}) };
    if (i >= 0) update(i, entry);
    else onChange([...mappings, entry]);
  };
  const add = (from: string) => {
    const name = from.split('.').at(-1) ?? from;
    const target = targets?.find((t) => norm(t.name) === norm(name));
    if (target) return fill(target.name, from);
    onChange([...mappings, { to: name, from }]);
  };
  const missing = targets ? missingTargets(targets, mappings) : [];
  const auto = targets ? autoMappings(targets, paths, mappings) : [];

  const runPreview = async () => {
    setError(null);
    try {
      if (onPreview) setPreview(await onPreview(mappings, envelope));
      else setPreview((await api<{ body: unknown }>('POST', '/mappings/preview', { ...(eventType ? { eventType } : { sample }), mappings, envelope })).body);
    } catch (err) {
      setPreview(undefined);
      setError(err);
    }
  };
  /**
   * Where a dragged field lands: a destination's field (a sheet column) is filled by it; the Source
   * box of a row of your own takes it in place of what it had; anywhere else on the list (your own
   * rows included) it is a new row. Dropping on a row used to replace its source, so a second and a
   * third field dropped on the list overwrote the first row instead of adding theirs.
   */
  const dropped = (e: DragEvent, into: { to: string } | { at: number } | null) => {
    e.preventDefault();
    e.stopPropagation();
    const p = e.dataTransfer.getData('text/plain');
    if (!p) return;
    if (into && 'to' in into) fill(into.to, p);
    else if (into && mappings[into.at]) {
      const prev = mappings[into.at];
      update(into.at, { to: prev.to, from: p, ...(prev.default !== undefined ? { default: prev.default } : {}) });
    } else add(p);
  };

  /** One row: the target's name (fixed for a destination field), how it is filled, and the source. */
  const row = (m: Mapping | undefined, i: number, target?: TargetField) => {
    const kind = m ? kindOf(m) : 'from';
    const to = target?.name ?? m?.to ?? '';
    const set = (next: Mapping) => (i >= 0 ? update(i, next) : onChange([...mappings, next]));
    const isMissing = target?.required && missing.includes(target.name);
    return (
      <div
        key={target ? `t:${target.name}` : `m:${i}`}
        className={`mapping${target ? ' target' : ''}${isMissing ? ' missing' : ''}`}
        data-testid={target ? `target-${target.name}` : `mapping-${i}`}
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => dropped(e, target ? { to: target.name } : null)}
        title={target?.description}
      >
        {target ? (
          <span className="mapping-target" aria-label="Field name">
            {target.name}
            {target.required && <abbr title="required"> *</abbr>}
          </span>
        ) : (
          <input aria-label="Field name" value={to} onChange={(e) => m && update(i, { ...m, to: e.target.value })} />
        )}
        <select
          aria-label="Kind"
          value={kind}
          onChange={(e) => set(e.target.value === 'from' ? { to, from: '' } : e.target.value === 'expression' ? { to, expression: '' } : { to, value: '' })}
        >
          <option value="from">from field</option>
          <option value="expression">expression</option>
          <option value="value">constant</option>
        </select>
        <input
          aria-label="Source"
          className="mono"
          onDrop={(e) => dropped(e, target ? { to: target.name } : { at: i })}
          value={m ? sourceOf(m) : ''}
          placeholder={isMissing ? 'drag a field here' : kind === 'expression' ? '$lowercase(data.email)' : kind === 'from' ? 'data.email' : 'a fixed value'}
          onChange={(e) => {
            const base = m ?? { to };
            set(
              kind === 'from'
                ? { ...base, to, from: e.target.value }
                : kind === 'expression'
                  ? { ...base, to, expression: e.target.value }
                  : { to, value: e.target.value },
            );
          }}
        />
        {kind !== 'value' ? (
          <input
            aria-label="Default"
            placeholder="default"
            value={m?.default === undefined ? '' : String(m.default)}
            onChange={(e) => m && update(i, { ...m, default: e.target.value === '' ? undefined : e.target.value })}
            disabled={!m}
          />
        ) : (
          <span />
        )}
        <button type="button" aria-label="Remove" disabled={!m} onClick={() => onChange(mappings.filter((_, j) => j !== i))}>
          ×
        </button>
      </div>
    );
  };

  return (
    <div className="mapper">
      <div className="fields" aria-label="Sample fields">
        <h4>{prefix === 'body' ? 'Request body fields' : 'Event fields'}</h4>
        {paths.map((p) => (
          <button
            type="button"
            key={p}
            className="field"
            draggable
            onDragStart={(e) => e.dataTransfer.setData('text/plain', p)}
            onClick={() => add(p)}
            title={`Add ${p}`}
          >
            {p.startsWith(`${prefix}.`) ? p.slice(prefix.length + 1) : p}
          </button>
        ))}
      </div>
      <div className="targets" aria-label="Fields to send" onDragOver={(e) => e.preventDefault()} onDrop={(e) => dropped(e, null)}>
        <h4>Fields to send</h4>
        {targets && targets.length > 0 && (
          <>
            <p className="muted">
              {targetsFor ? `${targetsFor} takes these fields` : 'The destination takes these fields'}: drag an event field onto each, or type an expression or
              a constant.
            </p>
            {missing.length > 0 && (
              <p className="flow-field-error" data-testid="map-missing">
                Still empty: {missing.join(', ')}
              </p>
            )}
            {auto.length > 0 && (
              <button
                type="button"
                data-testid="map-auto"
                onClick={() => onChange([...mappings, ...auto])}
                title={`Fill ${auto.map((a) => `${a.to} ← ${a.from}`).join(', ')}`}
              >
                Fill {auto.length} field{auto.length > 1 ? 's' : ''} with the same name ({auto.map((a) => a.to).join(', ')})
              </button>
            )}
            {targets.map((t) => {
              const i = mappings.findIndex((m) => m.to === t.name);
              return row(i >= 0 ? mappings[i] : undefined, i, t);
            })}
          </>
        )}
        {targets && targets.length > 0 && mappings.some((m) => !targetNames.has(m.to)) && <h4 className="muted">Other fields</h4>}
        {mappings.length === 0 && !targets?.length && <p className="muted">Click or drag an event field to send it.</p>}
        {mappings.map((m, i) => (targetNames.has(m.to) ? null : row(m, i)))}
        <button type="button" data-testid="map-preview" onClick={() => void runPreview()}>
          Preview the body
        </button>
        <ErrorBox error={error} />
        {preview !== undefined && (
          <div data-testid="map-preview-body">
            <JsonView value={preview} />
          </div>
        )}
      </div>
    </div>
  );
}
