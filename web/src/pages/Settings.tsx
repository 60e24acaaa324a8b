import { useState } from 'react';
import { api } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { useSubmit } from '../ui/useSubmit.ts';
import type { CredentialOut } from '../../../shared/api.ts';
import { ConfirmDelete, CopyButton, when } from './gateway/parts.tsx';
import { GoogleAccounts } from './settings/GoogleAccounts.tsx';
import { FormButtons } from '../ui/FormButtons.tsx';

// The API's own type; dates arrive as JSON strings.
type Credential = Omit<CredentialOut, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string };
/** Kinds pasted here; a Google account signed in with (google-oauth) is added by signing in. */
type Kind = Exclude<Credential['kind'], 'google-oauth'>;

/** How each kind is asked for and shown. `slug` names its controls (data-testid). */
const KINDS: Record<Kind, { slug: string; title: string; empty: string; input: 'json' | 'token' }> = {
  'google-service-account': {
    slug: 'google',
    title: 'Google service account',
    empty:
      'No service account yet. In Google Cloud, open IAM & Admin → Service accounts, create one (no roles needed), then Keys → Add key → JSON, and upload the file here. Google Sheets destinations write with it.',
    input: 'json',
  },
  hubspot: {
    slug: 'hubspot',
    title: 'HubSpot private-app token',
    empty:
      'No HubSpot token yet. In HubSpot, Settings → Integrations → Private apps, create an app with the crm.objects.contacts read and write scopes, and paste its access token here.',
    input: 'token',
  },
  pipedrive: {
    slug: 'pipedrive',
    title: 'Pipedrive API token',
    empty: 'No Pipedrive token yet. In Pipedrive, open Personal preferences → API, copy your personal API token and paste it here.',
    input: 'token',
  },
};

/** Workspace credentials that destinations use by reference (`credential_id`), so a key is pasted once. */
export function Settings() {
  const creds = useLoad(() => api<{ models: Credential[] }>('GET', '/credentials'));
  const of = (kind: Kind) => creds.data?.models.filter((c) => c.kind === kind) ?? [];
  const card = (kind: Kind) => <CredentialCard key={kind} kind={kind} saved={of(kind)} reload={creds.reload} />;
  return (
    <section>
      <header className="row">
        <h1>Settings</h1>
      </header>
      <p className="muted">
        Credentials saved here are stored encrypted and never shown again in full. Google Sheets and CRM steps use them, and replacing one updates every
        destination using it.
      </p>
      <ErrorBox error={creds.error} />
      {creds.loading && !creds.data && <p className="loading">Loading…</p>}
      {creds.data && (
        <>
          <GoogleAccounts accounts={creds.data.models.filter((c) => c.kind === 'google-oauth')} reload={creds.reload} />
          {card('google-service-account')}
          <h2>CRM credentials</h2>
          {card('hubspot')}
          {card('pipedrive')}
        </>
      )}
    </section>
  );
}

function CredentialCard({ kind, saved, reload }: { kind: Kind; saved: Credential[]; reload: () => Promise<void> }) {
  const k = KINDS[kind];
  // The newest is the one destinations pick with credential_id "default"; older ones are still listed.
  const [current, ...older] = saved;
  const [editing, setEditing] = useState<'add' | 'replace' | null>(null);
  const [deleting, setDeleting] = useState<Credential | null>(null);

  const save = async (secret: string) => {
    if (editing === 'replace' && current) await api('PUT', `/credentials/${current.id}`, { secret });
    else await api('POST', '/credentials', { kind, secret });
    setEditing(null);
    await reload();
  };

  return (
    <div className="card" data-testid={`${k.slug}-card`}>
      <header className="row">
        <h2>{k.title}</h2>
      </header>
      {!current && !editing && (
        <div className="empty" data-testid={`${k.slug}-empty`}>
          <p>{k.empty}</p>
          <button className="primary" data-testid={`${k.slug}-add`} onClick={() => setEditing('add')}>
            Add {k.input === 'json' ? 'a service account key' : 'a token'}
          </button>
        </div>
      )}
      {current && <SavedCredential cred={current} slug={k.slug} />}
      {older.length > 0 && (
        <p className="muted small-text">Also saved: {older.map((c) => `${c.name} (${c.hint})`).join(', ')}. New destinations use the newest.</p>
      )}
      {current && !editing && !deleting && (
        <div className="row">
          <button data-testid={`${k.slug}-replace`} onClick={() => setEditing('replace')}>
            Replace
          </button>
          <button className="danger" data-testid={`${k.slug}-delete`} onClick={() => setDeleting(current)}>
            Delete
          </button>
        </div>
      )}
      {deleting && (
        <ConfirmDelete
          title={`Delete the ${k.title.toLowerCase()} “${deleting.name}”?`}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await api('DELETE', `/credentials/${deleting.id}`);
            setDeleting(null);
            await reload();
          }}
        >
          <p>
            {deleting.used_by.length > 0
              ? `${deleting.used_by.length} destination(s) use it; Wirehub keeps it until they use another credential or are deleted.`
              : 'No destination uses it.'}
          </p>
        </ConfirmDelete>
      )}
      {editing && <SecretForm kind={kind} replacing={editing === 'replace'} onCancel={() => setEditing(null)} onSave={save} />}
    </div>
  );
}

function SavedCredential({ cred, slug }: { cred: Credential; slug: string }) {
  return (
    <div data-testid={`${slug}-saved`}>
      {cred.client_email ? (
        <>
          <p>
            Service account <code data-testid={`${slug}-client-email`}>{cred.client_email}</code>
          </p>
          <div className="notice row nowrap" data-testid={`${slug}-share`}>
            <span>
              Share each spreadsheet with <strong>{cred.client_email}</strong> (Editor).
            </span>
            <CopyButton text={cred.client_email} testId={`${slug}-copy-email`} label="Copy address" />
          </div>
        </>
      ) : (
        <p>
          Token <code data-testid={`${slug}-hint`}>{cred.hint}</code>
        </p>
      )}
      <p className="muted small-text">
        Saved {when(cred.updated_at)} · {cred.used_by.length === 0 ? 'not used by any destination yet' : `used by ${cred.used_by.length} destination(s)`}
      </p>
    </div>
  );
}

function SecretForm({
  kind,
  replacing,
  onCancel,
  onSave,
}: {
  kind: Kind;
  replacing: boolean;
  onCancel: () => void;
  onSave: (secret: string) => Promise<void>;
}) {
  const k = KINDS[kind];
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const { busy, error, run, setError } = useSubmit();

  const readFile = (file: File | undefined) => {
    if (!file) return;
    setError(null);
    const reader = new FileReader();
    reader.onload = () => {
      setText(String(reader.result ?? ''));
      setFileName(file.name);
    };
    reader.onerror = () => setError(new Error(`${file.name} could not be read.`));
    reader.readAsText(file);
  };

  const submit = () => run(() => onSave(text.trim()));

  return (
    <form onSubmit={(e) => (e.preventDefault(), void submit())}>
      <h3>{replacing ? `Replace the ${k.title.toLowerCase()}` : `Add a ${k.title.toLowerCase()}`}</h3>
      {replacing && <p className="muted small-text">Every destination using it switches to the new one at once.</p>}
      {k.input === 'json' ? (
        <>
          <label>
            Upload the JSON key file
            <input type="file" accept=".json,application/json" data-testid={`${k.slug}-file`} onChange={(e) => readFile(e.target.files?.[0])} />
          </label>
          {fileName ? (
            <p className="muted" data-testid={`${k.slug}-file-loaded`}>
              Loaded {fileName}.{' '}
              <button type="button" className="link" onClick={() => (setFileName(null), setText(''))}>
                Paste instead
              </button>
            </p>
          ) : (
            <div className="field">
              <label htmlFor={`${k.slug}-paste`}>or paste its contents</label>
              <textarea
                id={`${k.slug}-paste`}
                data-testid={`${k.slug}-text`}
                rows={6}
                value={text}
                onChange={(e) => setText(e.target.value)}
                placeholder='{"type": "service_account", "client_email": "…", "private_key": "…"}'
                spellCheck={false}
              />
            </div>
          )}
        </>
      ) : (
        <label>
          {k.title}
          <input
            type="password"
            data-testid={`${k.slug}-token`}
            value={text}
            onChange={(e) => setText(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            required
          />
        </label>
      )}
      <ErrorBox error={error} />
      <FormButtons label="Save" busyLabel="Saving…" busy={busy} disabled={!text.trim()} testId={`${k.slug}-save`} onCancel={onCancel} />
    </form>
  );
}
