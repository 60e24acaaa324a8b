import { Field, TestConnection, useFieldErrors, type PanelProps } from './common.tsx';

/** Starts a Zap: each event is posted to the Zap's "Catch Hook" URL. */
export function ZapierPanel({ data, onChange, env }: PanelProps) {
  const errors = useFieldErrors('zapier', data);
  return (
    <>
      <Field
        label="Catch hook URL"
        hint="In Zapier: create a Zap whose trigger is “Webhooks by Zapier → Catch Hook”, and copy the URL it shows."
        error={data.url ? errors.url : undefined}
        testid="zapier-url"
      >
        <input
          data-testid="zapier-url"
          value={String(data.url ?? '')}
          placeholder="https://hooks.zapier.com/hooks/catch/…"
          onChange={(e) => onChange({ ...data, url: e.target.value })}
        />
      </Field>
      <TestConnection run={() => env.testConnection(data)} disabled={!!errors.url} />
    </>
  );
}
