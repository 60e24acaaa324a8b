import { useEffect, useState } from 'react';
import { JsonView } from '../../ui/JsonView.tsx';
import type { NodeTestResult } from '../flow-api.ts';
import { Field, SampleNote, useFieldErrors, type PanelProps } from './common.tsx';

const PREVIEW_DELAY_MS = 500;

/** `{ "name": name, "email": email }` over the sample's top-level fields: a start the user edits. */
export function starterExpression(sample: Record<string, unknown>): string {
  const keys = Object.keys(sample).filter((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  if (!keys.length) return '{\n  "fullName": name\n}';
  return `{\n${keys.map((k) => `  "${k}": ${k}`).join(',\n')}\n}`;
}

/** A JSONata expression over the event's data, with its result on the sample as the user types. */
export function TransformPanel({ data, onChange, env }: PanelProps) {
  const errors = useFieldErrors('transform', data);
  const expression = String(data.expression ?? '');
  const [preview, setPreview] = useState<{ busy: boolean; result?: NodeTestResult; error?: string }>({ busy: false });
  const { preview: run, sampleFrom } = env;

  useEffect(() => {
    if (!expression.trim() || !sampleFrom) return setPreview({ busy: false });
    let live = true;
    setPreview((p) => ({ ...p, busy: true }));
    const timer = setTimeout(() => {
      run({ expression })
        .then((result) => live && setPreview({ busy: false, result }))
        .catch((err: unknown) => live && setPreview({ busy: false, error: err instanceof Error ? err.message : String(err) }));
    }, PREVIEW_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [expression, run, sampleFrom]);

  const r = preview.result;
  return (
    <>
      <SampleNote env={env} />
      <Field
        label="JSONata expression"
        hint={
          <>
            Its result (an object) becomes the event’s data for the next steps. Refer to fields by name: <code>{'{ "email": $lowercase(email) }'}</code>.
          </>
        }
        error={expression ? errors.expression : undefined}
        testid="transform-expression"
      >
        <textarea
          className="mono"
          rows={7}
          data-testid="transform-expression"
          spellCheck={false}
          value={expression}
          onChange={(e) => onChange({ ...data, expression: e.target.value })}
        />
      </Field>
      {!expression.trim() && (
        <button type="button" data-testid="transform-starter" onClick={() => onChange({ ...data, expression: starterExpression(env.sample) })}>
          Start from the sample’s fields
        </button>
      )}
      <div className="flow-preview" data-testid="transform-preview" aria-live="polite">
        <h4>Result on the sample {preview.busy && <span className="muted">(updating…)</span>}</h4>
        {preview.error && <div className="error">{preview.error}</div>}
        {r && r.status === 'error' && (
          <div className="error" data-testid="transform-preview-error">
            {r.message ?? 'The expression failed on the sample.'}
          </div>
        )}
        {r && r.status !== 'error' && r.output !== undefined && <JsonView value={r.output} />}
        {!r && !preview.error && !preview.busy && (
          <p className="muted">{sampleFrom ? 'Write an expression to see what it makes.' : 'Connect a trigger to preview on its sample.'}</p>
        )}
      </div>
    </>
  );
}
