import { useState } from 'react';
import { api } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { FormButtons } from '../ui/FormButtons.tsx';
import { ResourceTable } from '../ui/ResourceTable.tsx';
import { useConfirmRow } from '../ui/rowActions.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { useSubmit } from '../ui/useSubmit.ts';
import { Confirm, ConfirmDelete, CopyButton, when } from './gateway/parts.tsx';

type Scope = 'read' | 'write';
/** `project_key`: the workspace's project key (Secrets), listed so it can be revoked like any key. `scopes` may hold resource scopes made through the API. */
type ApiKey = { id: string; kind: 'api_key' | 'project_key'; name: string; prefix: string; scopes: string[]; created_at: string; last_used_at: string | null };

/** Keys for scripts and servers: create or rotate (the key shown once), list, revoke. */
export function ApiKeys() {
  const keys = useLoad(() => api<{ models: ApiKey[] }>('GET', '/api-keys'));
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const revoking = useConfirmRow<ApiKey>((k) => api('DELETE', `/api-keys/${k.id}`), keys.reload);
  const [rotating, setRotating] = useState<ApiKey | null>(null);

  return (
    <section>
      <header className="row">
        <h1>API keys</h1>
        {!creating && (
          <button className="primary" data-testid="api-key-new" onClick={() => (setCreated(null), setCreating(true))}>
            New API key
          </button>
        )}
      </header>
      <p className="muted">
        Scripts and servers call the Wirehub API with a key: <code>Authorization: Bearer &lt;key&gt;</code>. Give each integration its own key, so you can
        revoke one without breaking the others. Every route, with what it takes and answers, is in the{' '}
        <a href="/docs" target="_blank" rel="noopener" data-testid="api-reference-link">
          API reference
        </a>{' '}
        (<code>/api/v1/openapi.json</code> for tools that read OpenAPI).
      </p>
      {created && (
        <div className="notice" role="status" data-testid="api-key-created">
          <strong>Your new key “{created.name}”.</strong> Copy it now and keep it somewhere safe: it will not be shown again.
          <div className="row">
            <code data-testid="api-key-value">{created.key}</code>
            <CopyButton text={created.key} testId="api-key-copy" />
            <button className="small" data-testid="api-key-done" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      {creating && (
        <ApiKeyForm
          onCancel={() => setCreating(false)}
          onCreated={async (k) => {
            setCreating(false);
            setCreated(k);
            await keys.reload();
          }}
        />
      )}
      <ResourceTable
        list={keys}
        above={
          rotating ? (
            <Confirm
              verb="rotate"
              title={`Rotate “${rotating.name}”?`}
              onCancel={() => setRotating(null)}
              onConfirm={async () => {
                const out = await api<ApiKey & { key: string }>('POST', `/api-keys/${rotating.id}/rotate`);
                setRotating(null);
                setCreated({ name: out.name, key: out.key });
                await keys.reload();
              }}
            >
              <p>A new key with the same name and scopes replaces it, shown once. Anything still using the old key is refused (401) from now on.</p>
            </Confirm>
          ) : (
            revoking.row && (
              <ConfirmDelete title={`Revoke “${revoking.row.name}”?`} onCancel={revoking.cancel} onConfirm={revoking.confirm}>
                {revoking.row.kind === 'project_key' ? (
                  <p>
                    The project key is replaced by a new one that nobody has seen (reveal it under Secrets); anything still using the old one is refused (401)
                    from now on. The signing secret stays.
                  </p>
                ) : (
                  <p>Anything still using this key is refused (401) from now on. This cannot be undone.</p>
                )}
              </ConfirmDelete>
            )
          )
        }
        loading="Loading…"
        empty={
          !creating && (
            <div className="empty" data-testid="api-keys-empty">
              <p>No API keys yet. Create one with the scopes your script needs (read to look, write to change), then use it as a Bearer token.</p>
            </div>
          )
        }
        className="gateway"
        rowKey={(k) => k.id}
        rowAttributes={() => ({ 'data-testid': 'api-key-row' })}
        columns={[
          {
            head: 'Name',
            cell: (k) => (
              <>
                {k.name}
                {k.kind === 'project_key' && <span className="muted"> (project key)</span>}
              </>
            ),
          },
          { head: 'Key', className: 'mono', cell: (k) => `${k.prefix}…` },
          { head: 'Scopes', cell: (k) => k.scopes.join(', ') },
          { head: 'Created', cell: (k) => when(k.created_at) },
          { head: 'Last used', cell: (k) => (k.last_used_at ? when(k.last_used_at) : <span className="muted">never</span>) },
        ]}
        actions={(k) => (
          <>
            <button className="small" data-testid="api-key-rotate" aria-label={`Rotate ${k.name}`} onClick={() => (setCreated(null), setRotating(k))}>
              Rotate
            </button>
            <button className="danger small" data-testid="api-key-revoke" aria-label={`Revoke ${k.name}`} onClick={() => revoking.ask(k)}>
              Revoke
            </button>
          </>
        )}
      />
    </section>
  );
}

function ApiKeyForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (k: { name: string; key: string }) => Promise<void> }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['read', 'write']);
  const { busy, error, run } = useSubmit();
  const toggle = (s: Scope, on: boolean) => setScopes(on ? [...scopes, s] : scopes.filter((x) => x !== s));

  const submit = () =>
    run(async () => {
      const out = await api<ApiKey & { key: string }>('POST', '/api-keys', { name, scopes });
      await onCreated({ name: out.name, key: out.key });
    });

  return (
    <form className="card" onSubmit={(e) => (e.preventDefault(), void submit())}>
      <h2>New API key</h2>
      <label>
        Name
        <input
          data-testid="api-key-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={120}
          placeholder="Order sync script"
          autoFocus
        />
      </label>
      <fieldset>
        <legend>Scopes</legend>
        <label className="inline">
          <input type="checkbox" data-testid="api-key-scope-read" checked={scopes.includes('read')} onChange={(e) => toggle('read', e.target.checked)} /> read:
          list and look at everything
        </label>
        <label className="inline">
          <input type="checkbox" data-testid="api-key-scope-write" checked={scopes.includes('write')} onChange={(e) => toggle('write', e.target.checked)} />{' '}
          write: create, change, publish and delete
        </label>
      </fieldset>
      <ErrorBox error={error} />
      <FormButtons label="Create key" busyLabel="Creating…" busy={busy} disabled={scopes.length === 0} testId="api-key-create" onCancel={onCancel} />
    </form>
  );
}
