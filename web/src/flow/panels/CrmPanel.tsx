import { CredentialChoice, Field, TestConnection, useFieldErrors, without, type PanelProps } from './common.tsx';

const PRESETS = [
  ['hubspot', 'HubSpot'],
  ['pipedrive', 'Pipedrive'],
  ['generic', 'Another CRM (its API URL)'],
] as const;

/** Create or update a contact per event in HubSpot, Pipedrive, or any CRM with an HTTP API. */
export function CrmPanel({ data, onChange, env }: PanelProps) {
  const errors = useFieldErrors('crm', data);
  const preset = String(data.preset ?? 'hubspot');
  return (
    <>
      <Field label="CRM" error={errors.preset} testid="crm-preset">
        <select
          data-testid="crm-preset"
          value={preset}
          onChange={(e) => {
            // Each CRM has its own credential kind and the URL is the generic preset's alone.
            const rest = without(without(data, 'credentialId'), 'url');
            onChange(e.target.value === 'generic' ? { ...rest, preset: e.target.value, url: '' } : { ...rest, preset: e.target.value });
          }}
        >
          {PRESETS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </Field>
      {preset === 'generic' ? (
        <Field label="Endpoint URL" hint="Each contact is POSTed here as JSON." error={data.url ? errors.url : undefined} testid="crm-url">
          <input
            data-testid="crm-url"
            value={String(data.url ?? '')}
            placeholder="https://crm.example.com/api/contacts"
            onChange={(e) => onChange({ ...data, url: e.target.value })}
          />
        </Field>
      ) : (
        <CredentialChoice
          kind={preset === 'pipedrive' ? 'pipedrive' : 'hubspot'}
          testid="crm-credential"
          value={data.credentialId as string | undefined}
          credentials={env.credentials}
          onChange={(id) => onChange(id ? { ...data, credentialId: id } : without(data, 'credentialId'))}
        />
      )}
      <p className="flow-field-hint">
        A contact with the same e-mail is updated rather than created twice. Put a Map fields step before this to choose what goes into each contact field.
      </p>
      <TestConnection run={() => env.testConnection(data)} disabled={Object.keys(errors).length > 0} />
    </>
  );
}
