import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { FormButtons } from '../../ui/FormButtons.tsx';
import { ResourceTable } from '../../ui/ResourceTable.tsx';
import { RowSwitch, useConfirmRow, useRowAction } from '../../ui/rowActions.tsx';
import { usePagedList } from '../../ui/usePagedList.ts';
import { useSubmit } from '../../ui/useSubmit.ts';
import { ConfirmDelete, ConnectionsGoing, CopyButton, NameCell, when } from './parts.tsx';
import type { Source } from './types.ts';
import { UsedByLine, useUsedBy, type Usage } from './UsedBy.tsx';

// The built-in source of published events (server/publish/application-source.ts).
const APPLICATION = 'APPLICATION';

export function SourcesTab() {
  const list = usePagedList<Source>('/sources');
  const action = useRowAction(list.reload);
  const deleting = useConfirmRow<Source>((s) => api('DELETE', `/sources/${s.id}`), list.restart);
  const [creating, setCreating] = useState(false);
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
      <ResourceTable
        list={list}
        error={action.error}
        above={
          deleting.row && (
            <SourceDeleteConfirm source={deleting.row} usage={used.get(deleting.row.id)} onCancel={deleting.cancel} onConfirm={deleting.confirm} />
          )
        }
        loading="Loading sources…"
        empty={
          <div className="empty" data-testid="sources-empty">
            <p>No sources yet. Create one to get a URL that another app (a shop, a form, a payment provider) can send its webhooks to.</p>
            <p className="muted">Events your own application publishes arrive through a built-in source, which appears here after the first publish.</p>
          </div>
        }
        pager="sources"
        className="gateway"
        rowKey={(s) => s.id}
        rowAttributes={(s) => ({ 'data-testid': 'source-row', 'data-id': s.id })}
        columns={[
          {
            head: 'Name',
            cell: (s) => (
              <NameCell
                of={s}
                badge={
                  <>
                    {' '}
                    {s.type === APPLICATION && (
                      <span className="badge" title="Wirehub made this source for the events you publish">
                        built in
                      </span>
                    )}
                  </>
                }
              >
                <UsedByLine usage={used.get(s.id)} loaded={used.loaded} />
              </NameCell>
            ),
          },
          {
            head: 'Type',
            cell: (s) => (
              <>
                {s.type}
                {s.config.auth_type && <div className="muted small-text">verifies {s.config.auth_type}</div>}
              </>
            ),
          },
          {
            head: 'Status',
            testId: 'status',
            cell: (s) =>
              s.disabled_at ? (
                <span className="bad" title={`since ${when(s.disabled_at)}`}>
                  disabled
                </span>
              ) : (
                <span className="good">enabled</span>
              ),
          },
          {
            head: 'Ingest URL',
            cell: (s) =>
              s.type === APPLICATION ? (
                <span className="muted">Takes only published events (POST /api/v1/publish), not requests at a URL.</span>
              ) : (
                <div className="row nowrap">
                  <code data-testid="source-url">{s.url}</code>
                  <CopyButton text={s.url} testId="source-copy-url" label="Copy URL" />
                </div>
              ),
          },
          { head: 'Created', cell: (s) => when(s.created_at) },
        ]}
        actions={(s) => (
          <>
            <Link
              to={`/events?view=requests&source_id=${s.id}`}
              data-testid="source-requests"
              title="Every request this source received, and what became of it"
            >
              Requests
            </Link>
            <Link to={`/connections?source_id=${s.id}`} data-testid="source-connections">
              Connections
            </Link>
            <RowSwitch
              action={action}
              id={s.id}
              path={`/sources/${s.id}`}
              testId="source"
              verb={s.disabled_at ? 'enable' : 'disable'}
              title={
                s.disabled_at
                  ? 'Accept requests again and re-enable the connections that were disabled with it'
                  : 'Refuse new requests; its connections are disabled too'
              }
            />
            {s.type === APPLICATION ? (
              <span className="muted small-text" title="Published events need it; disable it instead">
                cannot be deleted
              </span>
            ) : (
              <button className="danger" data-testid="source-delete" onClick={() => deleting.ask(s)}>
                Delete
              </button>
            )}
          </>
        )}
      />
    </>
  );
}

function SourceDeleteConfirm({
  source,
  usage,
  onCancel,
  onConfirm,
}: {
  source: Source;
  usage: Usage | undefined;
  onCancel: () => void;
  onConfirm: () => Promise<void>;
}) {
  return (
    <ConfirmDelete title={`Delete the source “${source.name}”?`} onCancel={onCancel} onConfirm={onConfirm}>
      <p>Its URL stops accepting requests at once; anything still sending to it gets an error.</p>
      {usage && usage.flows.length > 0 && (
        <p className="warn">The flows {usage.flows.map((f) => `“${f.name}”`).join(', ')} start from it and stop receiving.</p>
      )}
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
      <FormButtons label="Create source" busy={busy} testId="source-create" onCancel={onCancel} />
    </form>
  );
}
