import { CONDITION_OPS, type ConditionT } from '../../../../shared/flow-graph.ts';
import { inSample, lacksField, stepFieldNames } from '../step-fields.ts';
import { Field, SampleNote, useFieldErrors, valueAt, type PanelProps } from './common.tsx';

const OP_LABEL: Record<ConditionT['op'], string> = {
  eq: 'is',
  neq: 'is not',
  contains: 'contains',
  exists: 'is present',
  gt: 'is more than',
  lt: 'is less than',
};

/**
 * Typed text is sent as text, except where the sample holds a true/false there: the filter compares
 * types, and `true` the text would never equal `true` the value. (Numbers as text match both ways.)
 */
export function conditionValue(sample: Record<string, unknown>, field: string, text: string): ConditionT['value'] {
  if (typeof valueAt(sample, field) === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/** A condition builder: field (from the sample), operator, value; all or any of them must hold. */
export function FilterPanel({ id, data, onChange, env }: PanelProps) {
  const errors = useFieldErrors('filter', data);
  const conditions = (Array.isArray(data.conditions) ? data.conditions : []) as ConditionT[];
  const mode = data.mode === 'any' ? 'any' : 'all';
  // Fields are named as the trigger, the map step and the Test output name them: body.type of an
  // incoming request, data.email of an event. A bare name (flows saved before) means the same field.
  const prefix = env.samplePrefix ?? 'data';
  const fields = stepFieldNames(env.sample, prefix);
  const set = (next: ConditionT[]) => onChange({ ...data, conditions: next });
  const update = (i: number, c: ConditionT) => set(conditions.map((x, j) => (j === i ? c : x)));
  const listId = `fields-${id}`;
  return (
    <>
      <SampleNote env={env} />
      <Field label="Let the event through when">
        <select data-testid="filter-mode" value={mode} onChange={(e) => onChange({ ...data, mode: e.target.value })}>
          <option value="all">all of these hold (AND)</option>
          <option value="any">any of these holds (OR)</option>
        </select>
      </Field>
      <datalist id={listId}>
        {fields.map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      {conditions.map((c, i) => (
        <div key={i} className="flow-condition-block" data-testid={`condition-${i}`}>
          {i > 0 && <div className="flow-joiner">{mode === 'any' ? 'or' : 'and'}</div>}
          <div className="flow-condition">
            <input
              aria-label="Field"
              data-testid={`condition-${i}-field`}
              list={listId}
              placeholder={`e.g. ${fields[0] ?? `${prefix}.email`}`}
              value={c.field}
              onChange={(e) => update(i, { ...c, field: e.target.value })}
            />
            <select
              aria-label="Operator"
              data-testid={`condition-${i}-op`}
              value={c.op}
              onChange={(e) => {
                const op = e.target.value as ConditionT['op'];
                const { value: _v, ...rest } = c;
                update(i, op === 'exists' ? { ...rest, op } : { ...c, op, value: c.value ?? '' });
              }}
            >
              {CONDITION_OPS.map((op) => (
                <option key={op} value={op}>
                  {OP_LABEL[op]}
                </option>
              ))}
            </select>
            {c.op !== 'exists' ? (
              <input
                aria-label="Value"
                data-testid={`condition-${i}-value`}
                placeholder={String(valueAt(env.sample, inSample(c.field, prefix)) ?? 'value')}
                value={c.value === null || c.value === undefined ? '' : String(c.value)}
                onChange={(e) => update(i, { ...c, value: conditionValue(env.sample, inSample(c.field, prefix), e.target.value) })}
              />
            ) : (
              <span />
            )}
            <button type="button" aria-label="Remove condition" data-testid={`condition-${i}-remove`} onClick={() => set(conditions.filter((_, j) => j !== i))}>
              ×
            </button>
          </div>
          {errors[`conditions.${i}.field`] && <span className="flow-field-error">{errors[`conditions.${i}.field`]}</span>}
          {lacksField(env.sample, prefix, c.field) && (
            <span className="flow-field-hint" data-testid={`condition-${i}-unknown`}>
              The sample has no field “{c.field}”.
            </span>
          )}
        </div>
      ))}
      {errors.conditions && (
        <span className="flow-field-error" data-testid="error-conditions">
          {errors.conditions}
        </span>
      )}
      <button type="button" data-testid="filter-add-condition" onClick={() => set([...conditions, { field: '', op: 'eq', value: '' }])}>
        + Add a condition
      </button>
    </>
  );
}
