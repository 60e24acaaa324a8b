import { circuitSentence } from '../../ui/CircuitStatus.tsx';
import { Field, TestConnection, useFieldErrors, type PanelProps } from './common.tsx';

/** Sends to a destination that already exists; saving adds a connection to it and changes nothing else. */
export function DestinationPanel({ data, onChange, env }: PanelProps) {
  const errors = useFieldErrors('destination', data);
  const chosen = env.destinations.find((d) => d.id === data.destinationId);
  return (
    <>
      <Field label="Destination" error={errors.destinationId} testid="destination-select">
        <select
          data-testid="destination-select"
          value={String(data.destinationId ?? '')}
          onChange={(e) => onChange({ ...data, destinationId: e.target.value })}
        >
          <option value="">Choose…</option>
          {env.destinations.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} ({d.type})
            </option>
          ))}
        </select>
      </Field>
      {data.destinationId && !chosen && <p className="flow-field-error">This destination no longer exists: choose another or delete this node.</p>}
      {chosen && (
        <p className="flow-field-hint" data-testid="destination-info">
          {chosen.name} is a {chosen.type} destination. Edit its settings under <a href="/destinations">Destinations</a>; this flow only adds a connection to
          it.
          {chosen.disabled_at && <strong> It is disabled: nothing is delivered until it is enabled again.</strong>}
          {!chosen.disabled_at && chosen.circuit?.state === 'open' && (
            <strong data-testid="destination-paused">
              {' '}
              Paused by Wirehub: {circuitSentence(chosen.circuit)}. Its events wait and go once a probe gets through.
            </strong>
          )}
          {chosen.warning && <strong> {chosen.warning}</strong>}
        </p>
      )}
      <TestConnection run={() => env.testConnection(data)} disabled={!chosen} />
    </>
  );
}
