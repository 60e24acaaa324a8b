import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { useSubmit } from '../../ui/useSubmit.ts';
import { ConfirmDelete, ConnectionsGoing, CopyButton, Pager, usePagedList, useRowAction, when } from './parts.tsx';
import type { Source } from './types.ts';
import { UsedByLine, useUsedBy, type Usage } from './UsedBy.tsx';

// The built-in source of published events (server/hub/application-source.ts).
const APPLICATION = 'APPLICATION';

export function SourcesTab() {
  const list = usePagedList<Source>('/sources');
  const action = useRowAction(list.reload);
  const [deleting, setDeleting] = useState<Source | null>(null);
  const [creating, setCreating] = useState(false);
  const rows = list.data?.models ?? [];
  const used = useUsedBy('source', list.data);

  return (
    <>
      <div className="row">
        {!creating && (
          <button className="primary" data-testid="source-new" onClick={() => setCreating(true)}>
            New source
          </button>
        )}
      </div>
      {creating && (
        <NewSource
          onCancel={() => setCreating(false)}
          onCreated={async () => {
            setCreating(false);
            await list.restart();
          }}
        />
      )}
      <ErrorBox error={action.error ?? list.error} />
      {deleting && (
        <SourceDeleteConfirm
          source={deleting}
          usage={used.get(deleting.id)}
          onCancel={() => setDeleting(null)}
          onDeleted={async () => {
            setDeleting(null);
            await list.restart();
          }}
        />
      )}
      {list.loading && !list.data && <p className="loading">Loading sources…</p>}
      {list.data && rows.length === 0 && list.onFirstPage && (
        <div className="empty" data-testid="sources-empty">
          <p>No sources yet. Create one to get a URL that another app (a shop, a form, a payment provider) can send its webhooks to.</p>
          <p className="muted">Events your own application publishes arrive through a built-in source, which appears here after the first publish.</p>
        </div>
      )}
      {rows.length > 0 && (
        <table className="gateway">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Status</th>
              <th>Ingest URL</th>
              <th>Created</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => {
              const builtIn = s.type === APPLICATION;
              return (
                <tr key={s.id} data-testid="source-row" data-id={s.id}>
                  <td>
                    <strong>{s.name}</strong> {builtIn && <span className="badge" title="Wirehub made this source for the events you publish">built in</span>}
                    {s.description && <div className="muted small-text">{s.description}</div>}
                    <div className="muted mono small-text">{s.id}</div>
                    <UsedByLine usage={used.get(s.id)} loaded={used.loaded} />
                  </td>
                  <td>
                    {s.type}
                    {s.config.auth_type && <div className="muted small-text">verifies {s.config.auth_type}</div>}
                  </td>
                  <td data-testid="status">{s.disabled_at ? <span className="bad" title={`since ${when(s.disabled_at)}`}>disabled</span> : <span className="good">enabled</span>}</td>
                  <td>
                    {builtIn ? (
                      <span className="muted">Takes only published events (POST /api/v1/publish), not requests at a URL.</span>
                    ) : (
                      <div className="row nowrap">
                        <code data-testid="source-url">{s.url}</code>
                        <CopyButton text={s.url} testId="source-copy-url" label="Copy URL" />
                      </div>
                    )}
                  </td>
                  <td>{when(s.created_at)}</td>
                  <td className="actions-cell">
                    <div className="actions">
                      <Link to={`/events?view=requests&source_id=${s.id}`} data-testid="source-requests" title="Every request this source received, and what became of it">
                        Requests
                      </Link>
                      <Link to={`/connections?source_id=${s.id}`} data-testid="source-connections">
                        Connections
                      </Link>
                      <button
                        data-testid={s.disabled_at ? 'source-enable' : 'source-disable'}
                        disabled={action.busy === s.id}
                        title={s.disabled_at ? 'Accept requests again and re-enable the connections that were disabled with it' : 'Refuse new requests; its connections are disabled too'}
                        onClick={() => void action.run(s.id, () => api('POST', `/sources/${s.id}/${s.disabled_at ? 'enable' : 'disable'}`))}
                      >
                        {s.disabled_at ? 'Enable' : 'Disable'}
                      </button>
                      {builtIn ? (
                        <span className="muted small-text" title="Published events need it; disable it instead">cannot be deleted</span>
                      ) : (
                        <button className="danger" data-testid="source-delete" onClick={() => setDeleting(s)}>
                          Delete
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <Pager list={list} what="sources" />
    </>
  );
}

function SourceDeleteConfirm({ source, usage, onCancel, onDeleted }: { source: Source; usage: Usage | undefined; onCancel: () => void; onDeleted: () => Promise<void> }) {
  return (
    <ConfirmDelete
      title={`Delete the source “${source.name}”?`}
      onCancel={onCancel}
      onConfirm={async () => {
        await api('DELETE', `/sources/${source.id}`);
        await onDeleted();
      }}
    >
      <p>Its URL stops accepting requests at once; anything still sending to it gets an error.</p>
      {usage && usage.flows.length > 0 && <p className="warn">The flows {usage.flows.map((f) => `“${f.name}”`).join(', ')} start from it and stop receiving.</p>}
      <ConnectionsGoing by="source_id" id={source.id} name={(c) => c.name} />
    </ConfirmDelete>
  );
}

function NewSource({ onCancel, onCreated }: { onCancel: () => void; onCreated: () => Promise<void> }) {
  const [name, setName] = useState('');
  const { busy, error, run } = useSubmit();
  const submit = () =>
    run(async () => {
      await api('POST', '/sources', { name });
      await onCreated();
    });
  return (
    <form className="card" data-testid="source-form" onSubmit={(e) => (e.preventDefault(), void submit())}>
      <h2>New source</h2>
      <label>
        Name <span className="muted">(the app that will send to it, e.g. “shop”)</span>
        <input name="name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus placeholder="shop" />
      </label>
      <ErrorBox error={error} />
      <div className="row">
        <button type="submit" className="primary" data-testid="source-create" disabled={busy}>
          Create source
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
