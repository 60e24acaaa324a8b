import { DurationInput, Field, useFieldErrors, type PanelProps } from './common.tsx';

/** Hold each event for a while before it is sent (at most 24 hours). */
export function DelayPanel({ data, onChange }: PanelProps) {
  const errors = useFieldErrors('delay', data);
  return (
    <Field label="Wait before sending" hint="Each event waits this long, then goes on. Retries are not delayed again." error={errors.delay_ms} testid="delay">
      <DurationInput testid="delay" ms={Number(data.delay_ms ?? 0)} onChange={(delay_ms) => onChange({ ...data, delay_ms })} />
    </Field>
  );
}
