import { useState } from 'react';
import { inSample, missingFields, stepFieldNames } from '../step-fields.ts';
import { DurationInput, Field, SampleNote, useFieldErrors, type PanelProps } from './common.tsx';

type Mode = 'all' | 'include' | 'exclude';

/**
 * Drop an event equal to one seen within a window: equal on every field, on some, or on all but some.
 * Fields are named as the filter, the map step and the Test output name them (body.email of an
 * incoming request, data.email of an event); one chosen under its bare name (saved before) is the
 * same field, shown on the same chip.
 */
export function DedupePanel({ data, onChange, env }: PanelProps) {
  const errors = useFieldErrors('dedupe', data);
  const include = (data.include_fields as string[] | undefined) ?? [];
  const exclude = (data.exclude_fields as string[] | undefined) ?? [];
  const [mode, setMode] = useState<Mode>(include.length ? 'include' : exclude.length ? 'exclude' : 'all');
  const chosen = mode === 'include' ? include : mode === 'exclude' ? exclude : [];
  const prefix = env.samplePrefix ?? 'data';
  const same = (a: string, b: string) => inSample(a, prefix) === inSample(b, prefix);
  const chosenAs = (f: string) => chosen.find((c) => same(c, f));
  const offered = stepFieldNames(env.sample, prefix);
  const fields = [...offered, ...chosen.filter((c, i) => !offered.some((f) => same(c, f)) && chosen.findIndex((d) => same(c, d)) === i)];
  const missing = missingFields(env.sample, prefix, chosen);
  const [typed, setTyped] = useState('');
  const fieldsError = errors.include_fields ?? errors.exclude_fields ?? Object.entries(errors).find(([k]) => /_fields\.\d+$/.test(k))?.[1];

  const write = (m: Mode, list: string[]) => {
    const { include_fields: _i, exclude_fields: _e, ...rest } = data;
    onChange(m === 'all' || !list.length ? rest : { ...rest, [m === 'include' ? 'include_fields' : 'exclude_fields']: list });
  };
  const toggle = (f: string) => {
    const had = chosenAs(f);
    write(mode, had !== undefined ? chosen.filter((x) => !same(x, had)) : [...chosen, f]);
  };

  return (
    <>
      <Field
        label="Drop repeats within"
        hint="An event equal to one already seen in this window is not sent again (from 1 second to 1 hour)."
        error={errors.window_ms}
        testid="dedupe"
      >
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
              <label key={f} className={`flow-chip${chosenAs(f) !== undefined ? ' on' : ''}`}>
                <input type="checkbox" data-testid={`dedupe-field-${f}`} checked={chosenAs(f) !== undefined} onChange={() => toggle(f)} />
                {f}
              </label>
            ))}
          </div>
          <span className="flow-inline">
            <input
              aria-label="Another field"
              data-testid="dedupe-field-input"
              placeholder={`another field, e.g. ${prefix}.address.city`}
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
            />
            <button
              type="button"
              data-testid="dedupe-add-field"
              disabled={!typed.trim() || chosenAs(typed.trim()) !== undefined}
              onClick={() => {
                write(mode, [...chosen, typed.trim()]);
                setTyped('');
              }}
            >
              Add
            </button>
          </span>
          {missing.map((f) => (
            <span key={f} className="flow-field-hint" data-testid={`dedupe-unknown-${f}`}>
              The sample has no field “{f}”{mode === 'include' ? `: ${prefix === 'body' ? 'requests' : 'events'} without it all count as equal on it.` : '.'}
            </span>
          ))}
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
