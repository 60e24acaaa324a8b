import { signatureOf, signingOf, type Signature } from '../../../../shared/connectors.ts';
import { SignatureFields } from '../../ui/SignatureFields.tsx';
import { Field, TestConnection, useFieldErrors, without, type PanelProps } from './common.tsx';

/**
 * POST each event to a URL, signed with the headers its receiver checks (a preset or one's own, as
 * on the Webhooks page); an optional Authorization header the receiver checks.
 */
export function WebhookPanel({ data, onChange, env }: PanelProps) {
  const errors = useFieldErrors('webhook', data);
  const hint = typeof data.authorizationHint === 'string' ? data.authorizationHint : null;
  // A node without a signature of its own sends what its signing mode always meant (a step saved before presets).
  const signature = signatureOf({ signing: data.signing === 'shared-secret' ? 'shared-secret' : 'hmac', signature: data.signature as Signature | undefined });
  const signatureErrors = {
    preset: errors['signature.preset'] ?? errors.signature,
    header: errors['signature.header'],
    format: errors['signature.format'],
    event_header: errors['signature.event_header'],
  };
  return (
    <>
      <Field label="URL" hint="Where each event is sent, as an HTTP POST." error={data.url ? errors.url : undefined} testid="webhook-url">
        <input
          data-testid="webhook-url"
          value={String(data.url ?? '')}
          placeholder="https://hooks.example.com/…"
          onChange={(e) => onChange({ ...data, url: e.target.value })}
        />
      </Field>
      {/* `signing` follows the signature, so the two never disagree (the server would drop a signature that did). */}
      <SignatureFields value={signature} onChange={(s) => onChange({ ...data, signature: s, signing: signingOf(s) })} errors={signatureErrors} narrow />
      <Field
        label={
          <>
            Authorization header <span className="muted">{hint ? `(now ${hint}; leave empty to keep)` : '(optional)'}</span>
          </>
        }
        error={errors.authorization}
        testid="webhook-authorization"
      >
        <input
          data-testid="webhook-authorization"
          value={String(data.authorization ?? '')}
          placeholder="Token …"
          onChange={(e) => onChange(e.target.value ? { ...data, authorization: e.target.value } : without(data, 'authorization'))}
        />
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
