import { Field, TestConnection, useFieldErrors, without, type PanelProps } from './common.tsx';

/** POST each event to a URL, signed; an optional Authorization header the receiver checks. */
export function WebhookPanel({ data, onChange, env }: PanelProps) {
  const errors = useFieldErrors('webhook', data);
  const hint = typeof data.authorizationHint === 'string' ? data.authorizationHint : null;
  return (
    <>
      <Field label="URL" hint="Where each event is sent, as an HTTP POST." error={data.url ? errors.url : undefined} testid="webhook-url">
        <input data-testid="webhook-url" value={String(data.url ?? '')} placeholder="https://hooks.example.com/…" onChange={(e) => onChange({ ...data, url: e.target.value })} />
      </Field>
      <Field label="Signing">
        <select data-testid="webhook-signing" value={String(data.signing ?? 'hmac')} onChange={(e) => onChange({ ...data, signing: e.target.value })}>
          <option value="hmac">HMAC signature (Standard Webhooks)</option>
          <option value="shared-secret">Shared secret in a header</option>
        </select>
      </Field>
      <Field label={<>Authorization header <span className="muted">{hint ? `(now ${hint}; leave empty to keep)` : '(optional)'}</span></>} error={errors.authorization} testid="webhook-authorization">
        <input data-testid="webhook-authorization" value={String(data.authorization ?? '')} placeholder="Token …" onChange={(e) => onChange(e.target.value ? { ...data, authorization: e.target.value } : without(data, 'authorization'))} />
      </Field>
      {typeof data.webhookId === 'string' && (
        <p className="muted">
          Saved as webhook <code>{data.webhookId}</code>.
        </p>
      )}
      <TestConnection run={() => env.testConnection(data)} disabled={!!errors.url} />
    </>
  );
}
