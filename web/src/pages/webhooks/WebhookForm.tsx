import { useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { MappingEditor, type Mapping } from '../../ui/MappingEditor.tsx';
import { useSubmit } from '../../ui/useSubmit.ts';
import { DEFAULT_SIGNATURE_PRESET, type Signature } from '../../../../shared/connectors.ts';
import { SignatureFields, finishSignature, sameSignature } from '../../ui/SignatureFields.tsx';
import type { EventType, Webhook } from './types.ts';

type Props = {
  types: EventType[];
  /** The webhook edited; absent: a new one. */
  editing?: Webhook;
  onCancel: () => void;
  /** Called with the API's answer: a new webhook carries its generated secret once. */
  onSaved: (w: Webhook, shownSecret: string | null) => Promise<void>;
};

/**
 * A new webhook, or an existing one edited (seed 001: URL, Authorization, events; plus its fields,
 * signature headers and secret). Credentials are write-only: the Authorization and the secret are
 * shown masked and replaced only when something is typed; a secret of one's own (seed 004) is never
 * shown back, a generated one once.
 */
export function WebhookForm({ types, editing, onCancel, onSaved }: Props) {
  const [name, setName] = useState(editing?.name ?? '');
  const [url, setUrl] = useState(editing?.url ?? '');
  const [events, setEvents] = useState<string[]>(editing?.events ?? ['lead.captured']);
  const [mappings, setMappings] = useState<Mapping[]>(editing?.mappings ?? []);
  const [allFields, setAllFields] = useState(!editing?.mappings);
  const [envelope, setEnvelope] = useState<'flat' | 'nested'>(editing?.envelope ?? 'flat');
  const [signature, setSignature] = useState<Signature>(editing?.signature ?? { preset: DEFAULT_SIGNATURE_PRESET });
  const [authorization, setAuthorization] = useState('');
  const [removeAuthorization, setRemoveAuthorization] = useState(false);
  const [ownSecret, setOwnSecret] = useState(false);
  const [secret, setSecret] = useState('');
  const [atOnce, setAtOnce] = useState(editing?.max_concurrency != null ? String(editing.max_concurrency) : '');
  const { busy, error, run } = useSubmit();
  const sample = types.find((t) => t.name === events[0])?.sample ?? {};
  // Event types a webhook subscribes to that the catalogue no longer lists still show, so they can be unticked.
  const choices = [...types.map((t) => t.name), ...events.filter((e) => !types.some((t) => t.name === e))];

  const submit = () =>
    run(async () => {
      const sig = finishSignature(signature);
      const shared = {
        name,
        url,
        events,
        mappings: allFields ? null : mappings,
        envelope,
        ...(ownSecret && secret ? { secret } : {}),
      };
      if (!editing) {
        const created = await api<Webhook>('POST', '/webhooks', {
          ...shared,
          signature: sig,
          ...(authorization ? { authorization } : {}),
          // Empty: the hub's default (WIREHUB_DESTINATION_CONCURRENCY).
          ...(atOnce.trim() ? { max_concurrency: Number(atOnce) } : {}),
        });
        // A secret one typed is theirs already; only a generated one is shown, once.
        await onSaved(created, ownSecret ? null : (created.secret ?? null));
        return;
      }
      const saved = await api<Webhook>('PATCH', `/webhooks/${editing.id}`, {
        ...shared,
        // Sent only when changed, so that saving other fields never rewrites the signature.
        ...(sameSignature(sig, editing.signature) ? {} : { signature: sig }),
        ...(authorization ? { authorization } : removeAuthorization ? { authorization: null } : {}),
        max_concurrency: atOnce.trim() ? Number(atOnce) : null,
      });
      await onSaved(saved, null);
    });

  const tick = (type: string, on: boolean) => setEvents(on ? [...events, type] : events.filter((x) => x !== type));

  return (
    <form className="card" data-testid={editing ? 'webhook-edit' : 'webhook-new'} onSubmit={(e) => (e.preventDefault(), void submit())}>
      <h2>{editing ? `Edit “${editing.name}”` : 'New webhook'}</h2>
      <label>
        Name
        <input name="name" value={name} onChange={(e) => setName(e.target.value)} required placeholder="CRM leads" />
      </label>
      <label>
        Endpoint URL
        <input name="url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} required placeholder="https://your-endpoint.example.com/leads" />
      </label>
      <fieldset>
        <legend>Send these events</legend>
        <div className="chips">
          {choices.map((t) => (
            <label key={t} className="chip" title={types.find((x) => x.name === t)?.description}>
              <input type="checkbox" checked={events.includes(t)} onChange={(e) => tick(t, e.target.checked)} />
              {t}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Fields</legend>
        <label className="inline">
          <input type="radio" checked={allFields} onChange={() => setAllFields(true)} /> Send every field of the event
        </label>
        <label className="inline">
          <input type="radio" checked={!allFields} onChange={() => setAllFields(false)} /> Choose the fields (map them)
        </label>
        {!allFields && <MappingEditor sample={sample} eventType={events[0]} mappings={mappings} envelope={envelope} onChange={setMappings} />}
      </fieldset>
      <label>
        Body layout <span className="muted">(where your fields sit next to the event's type, id and time)</span>
        <select value={envelope} onChange={(e) => setEnvelope(e.target.value as 'flat' | 'nested')}>
          <option value="flat">Flat: fields next to eventType, eventId…</option>
          <option value="nested">Nested: fields under data</option>
        </select>
      </label>
      <SignatureFields value={signature} onChange={setSignature} />
      <fieldset>
        <legend>Signing secret</legend>
        {editing && (
          <p className="muted small-text">
            Now <code data-testid="secret-hint">{editing.secret_hint}</code>: never shown again. Rotate it from the list, or set one of your own here.
          </p>
        )}
        <label className="inline">
          <input type="radio" checked={!ownSecret} onChange={() => setOwnSecret(false)} /> {editing ? 'Keep it' : 'Generate one (shown once)'}
        </label>
        <label className="inline">
          <input type="radio" checked={ownSecret} onChange={() => setOwnSecret(true)} /> Use my own shared secret
        </label>
        {ownSecret && (
          <label>
            Your shared secret <span className="muted">(8 or more printable characters, no spaces; never shown again)</span>
            <input name="secret" type="password" value={secret} onChange={(e) => setSecret(e.target.value)} required autoComplete="new-password" />
          </label>
        )}
      </fieldset>
      <label>
        Authorization header{' '}
        <span className="muted">
          {editing?.authorization ? `(now ${editing.authorization}; leave empty to keep)` : '(optional: some receivers, such as Make.com, require a token)'}
        </span>
        <input
          name="authorization"
          value={authorization}
          onChange={(e) => setAuthorization(e.target.value)}
          disabled={removeAuthorization}
          autoComplete="off"
        />
      </label>
      {editing?.authorization && (
        <label className="inline">
          <input type="checkbox" checked={removeAuthorization} onChange={(e) => (setRemoveAuthorization(e.target.checked), setAuthorization(''))} /> Remove it:
          send no Authorization
        </label>
      )}
      <label>
        Deliveries at once <span className="muted">(optional: how many requests Wirehub sends this endpoint at the same time; empty for the default)</span>
        <input
          name="max_concurrency"
          type="number"
          min={1}
          max={1000}
          step={1}
          value={atOnce}
          onChange={(e) => setAtOnce(e.target.value)}
          placeholder="default"
        />
      </label>
      <ErrorBox error={error} />
      <div className="row">
        <button type="submit" className="primary" disabled={busy || events.length === 0}>
          {editing ? 'Save changes' : 'Create webhook'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
