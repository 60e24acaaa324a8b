import { JsonView } from '../../ui/JsonView.tsx';
import { humanize } from '../graph.ts';
import { Field, useFieldErrors, type PanelProps } from './common.tsx';

/** Which event starts the flow, with that event's sample so the user sees what they will get. */
export function TriggerPanel({ data, onChange, env }: PanelProps) {
  const errors = useFieldErrors('trigger', data);
  const chosen = env.eventTypes.find((t) => t.name === data.eventType);
  return (
    <>
      <Field label="When this happens" error={errors.eventType} testid="trigger-event">
        <select data-testid="trigger-event" value={String(data.eventType ?? '')} onChange={(e) => onChange({ ...data, eventType: e.target.value })}>
          <option value="">Choose an event…</option>
          {env.eventTypes.map((t) => (
            <option key={t.name} value={t.name}>
              {humanize(t.name)} ({t.name})
            </option>
          ))}
        </select>
      </Field>
      {chosen && (
        <>
          {chosen.description && <p className="flow-field-hint">{chosen.description}</p>}
          <details className="flow-sample" data-testid="trigger-sample">
            <summary>A sample of this event’s data</summary>
            <JsonView value={chosen.sample} />
          </details>
        </>
      )}
    </>
  );
}
