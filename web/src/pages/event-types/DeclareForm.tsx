import { useState, type ReactNode } from 'react';
import { api } from '../../api.ts';
import { fieldErrorsOf, type FieldErrors } from './field-errors.ts';
import type { EventTypeItem } from './types.ts';
import { FormButtons } from '../../ui/FormButtons.tsx';

const FIELDS = ['name', 'description', 'schema', 'sample'] as const;
type Field = (typeof FIELDS)[number];

const EXAMPLE = {
  name: 'order.paid',
  description: 'A customer paid an order in the shop.',
  schema: {
    type: 'object',
    required: ['order_id', 'amount'],
    properties: { order_id: { type: 'string' }, amount: { type: 'number', minimum: 0 }, email: { type: 'string', format: 'email' } },
  },
  sample: { order_id: 'ord_1001', amount: 42.5, email: 'jane@example.com' },
};

/** Parses a textarea as a JSON object; an empty optional one is null. */
function jsonObject(text: string, required: boolean): { value: Record<string, unknown> | null; error?: string } {
  if (!text.trim()) return required ? { value: null, error: 'is required: a JSON object such as {"order_id": "ord_1001"}' } : { value: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { value: null, error: `is not valid JSON: ${(err as Error).message}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { value: null, error: 'must be a JSON object ({ … })' };
  return { value: value as Record<string, unknown> };
}

export function DeclareForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (t: EventTypeItem) => Promise<void> }) {
  const [values, setValues] = useState<Record<Field, string>>({ name: '', description: '', schema: '', sample: '' });
  const [errors, setErrors] = useState<FieldErrors<Field>>({ fields: {}, general: null });
  const [busy, setBusy] = useState(false);
  const set = (f: Field) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [f]: e.target.value }));

  const submit = async () => {
    const schema = jsonObject(values.schema, false);
    const sample = jsonObject(values.sample, true);
    const local: FieldErrors<Field> = { fields: {}, general: null };
    if (schema.error) local.fields.schema = [`The schema ${schema.error}`];
    if (sample.error) local.fields.sample = [`The sample ${sample.error}`];
    setErrors(local);
    if (schema.error || sample.error) return;
    setBusy(true);
    try {
      const created = await api<EventTypeItem>('POST', '/event-types', {
        name: values.name.trim(),
        ...(values.description.trim() ? { description: values.description.trim() } : {}),
        ...(schema.value ? { schema: schema.value } : {}),
        sample: sample.value,
      });
      await onCreated(created);
    } catch (err) {
      setErrors(fieldErrorsOf(err, FIELDS));
    } finally {
      setBusy(false);
    }
  };

  const fillExample = () => {
    setValues({
      name: EXAMPLE.name,
      description: EXAMPLE.description,
      schema: JSON.stringify(EXAMPLE.schema, null, 2),
      sample: JSON.stringify(EXAMPLE.sample, null, 2),
    });
    setErrors({ fields: {}, general: null });
  };

  const field = (f: Field, label: ReactNode, input: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode) => {
    const problems = errors.fields[f];
    const id = `et-${f}`;
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        {input({ id, 'aria-invalid': !!problems, ...(problems ? { 'aria-describedby': `${id}-error` } : {}) })}
        {problems && (
          <ul className="field-error" id={`${id}-error`} data-testid={`error-${f}`} role="alert">
            {problems.map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        )}
      </div>
    );
  };

  return (
    <form className="card" data-testid="event-type-form" noValidate onSubmit={(e) => (e.preventDefault(), void submit())}>
      <header className="row">
        <h2>Declare a custom event type</h2>
        <button type="button" data-testid="event-type-example" onClick={fillExample}>
          Fill in an example
        </button>
      </header>
      <p className="muted">
        Declare the events your own application publishes, so that webhooks and flows can offer them and the fields of their sample can be mapped. With a
        schema, every published event is checked against it.
      </p>
      {field('name', 'Name', (p) => (
        <input {...p} name="name" value={values.name} onChange={set('name')} required placeholder="order.paid" autoComplete="off" />
      ))}
      {field(
        'description',
        <>
          Description <span className="muted">(optional)</span>
        </>,
        (p) => (
          <input {...p} name="description" value={values.description} onChange={set('description')} placeholder="A customer paid an order" />
        ),
      )}
      <div className="grid2">
        {field(
          'schema',
          <>
            JSON Schema <span className="muted">(optional; draft 2020-12 unless $schema says draft-07)</span>
          </>,
          (p) => (
            <textarea
              {...p}
              name="schema"
              rows={12}
              spellCheck={false}
              value={values.schema}
              onChange={set('schema')}
              placeholder={JSON.stringify(EXAMPLE.schema, null, 2)}
            />
          ),
        )}
        {field(
          'sample',
          <>
            Sample event data <span className="muted">(required; what the field mapper offers)</span>
          </>,
          (p) => (
            <textarea
              {...p}
              name="sample"
              rows={12}
              spellCheck={false}
              value={values.sample}
              onChange={set('sample')}
              placeholder={JSON.stringify(EXAMPLE.sample, null, 2)}
            />
          ),
        )}
      </div>
      {errors.general && (
        <div className="error" role="alert" data-testid="error-general">
          {errors.general}
        </div>
      )}
      <FormButtons label="Declare event type" busyLabel="Declaring…" busy={busy} testId="event-type-create" onCancel={onCancel} />
    </form>
  );
}
