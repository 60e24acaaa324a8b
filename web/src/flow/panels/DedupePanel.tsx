import { useState } from 'react';
import { dataFields, DurationInput, Field, SampleNote, useFieldErrors, type PanelProps } from './common.tsx';

type Mode = 'all' | 'include' | 'exclude';

/** Drop an event equal to one seen within a window: equal on every field, on some, or on all but some. */
export function DedupePanel({ data, onChange, env }: PanelProps) {
  const errors = useFieldErrors('dedupe', data);
  const include = (data.include_fields as string[] | undefined) ?? [];
  const exclude = (data.exclude_fields as string[] | undefined) ?? [];
  const [mode, setMode] = useState<Mode>(include.length ? 'include' : exclude.length ? 'exclude' : 'all');
  const chosen = mode === 'include' ? include : mode === 'exclude' ? exclude : [];
  const fields = [...new Set([...dataFields(env.sample), ...chosen])];
  const [typed, setTyped] = useState('');
  const fieldsError = errors.include_fields ?? errors.exclude_fields ?? Object.entries(errors).find(([k]) => /_fields\.\d+$/.test(k))?.[1];

  const write = (m: Mode, list: string[]) => {
    const { include_fields: _i, exclude_fields: _e, ...rest } = data;
    onChange(m === 'all' || !list.length ? rest : { ...rest, [m === 'include' ? 'include_fields' : 'exclude_fields']: list });
  };
  const toggle = (f: string) => write(mode, chosen.includes(f) ? chosen.filter((x) => x !== f) : [...chosen, f]);

  return (
    <>
      <Field label="Drop repeats within" hint="An event equal to one already seen in this window is not sent again (from 1 second to 1 hour)." error={errors.window_ms} testid="dedupe">
        <DurationInput testid="dedupe" ms={Number(data.window_ms ?? 0)} onChange={(window_ms) => onChange({ ...data, window_ms })} />
      </Field>
      <fieldset className="flow-choice">
        <legend>Two events are repeats when</legend>
        {(
          [
            ['all', 'all their fields are equal'],
            ['include', 'these fields are equal'],
            ['exclude', 'all fields but these are equal'],
          ] as const
        ).map(([m, label]) => (
          <label key={m} className="flow-radio">
            <input
              type="radio"
              name="dedupe-mode"
              data-testid={`dedupe-mode-${m}`}
              checked={mode === m}
              onChange={() => {
                setMode(m);
                write(m, chosen);
              }}
            />
            {label}
          </label>
        ))}
      </fieldset>
      {mode !== 'all' && (
        <div className="flow-field" data-testid="dedupe-fields">
          <SampleNote env={env} />
          <div className="flow-chips">
            {fields.map((f) => (
              <label key={f} className={`flow-chip${chosen.includes(f) ? ' on' : ''}`}>
                <input type="checkbox" data-testid={`dedupe-field-${f}`} checked={chosen.includes(f)} onChange={() => toggle(f)} />
                {f}
              </label>
            ))}
          </div>
          <span className="flow-inline">
            <input aria-label="Another field" data-testid="dedupe-field-input" placeholder="another field, e.g. address.city" value={typed} onChange={(e) => setTyped(e.target.value)} />
            <button
              type="button"
              data-testid="dedupe-add-field"
              disabled={!typed.trim() || chosen.includes(typed.trim())}
              onClick={() => {
                write(mode, [...chosen, typed.trim()]);
                setTyped('');
              }}
            >
              Add
            </button>
          </span>
          {fieldsError && (
            <span className="flow-field-error" data-testid="error-dedupe-fields">
              {fieldsError}
            </span>
          )}
          {!chosen.length && <span className="flow-field-hint">Tick at least one field, or every field is compared.</span>}
        </div>
      )}
    </>
  );
}
