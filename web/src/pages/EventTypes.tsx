import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { JsonView } from '../ui/JsonView.tsx';
import { ResourceTable } from '../ui/ResourceTable.tsx';
import { useConfirmRow } from '../ui/rowActions.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { ConfirmDelete } from './gateway/parts.tsx';
import { DeclareForm } from './event-types/DeclareForm.tsx';
import type { EventTypeItem } from './event-types/types.ts';
import { UsedByLine, useUsedBy } from './gateway/UsedBy.tsx';

const detailId = (t: EventTypeItem) => `et-detail-${t.name}`;

/** The catalogue: built-in types and the workspace's custom ones, each with its schema and sample. */
export function EventTypes() {
  const types = useLoad(() => api<{ models: EventTypeItem[] }>('GET', '/event-types'));
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [declaring, setDeclaring] = useState(false);
  const [declared, setDeclared] = useState<string | null>(null);
  const deleting = useConfirmRow<EventTypeItem>((t) => api('DELETE', `/event-types/${encodeURIComponent(t.name)}`), types.reload);
  const used = useUsedBy('event_type', types.data);
  // The workspace's own types first: they are the ones a user comes here to check or change.
  const custom = (types.data?.models ?? []).filter((t) => !t.builtin);
  const models = [...custom, ...(types.data?.models ?? []).filter((t) => t.builtin)];
  const toggle = (name: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });

  return (
    <section>
      <header className="row">
        <h1>Event types</h1>
        {!declaring && (
          <button className="primary" data-testid="event-type-new" onClick={() => (setDeclaring(true), setDeclared(null))}>
            Declare a custom type
          </button>
        )}
      </header>
      <p className="muted">
        What can happen in your workspace. Webhooks and flows subscribe to these; each has a sample whose fields you can map. Your application publishes custom
        types with <code>POST /api/v1/publish</code>.
      </p>
      {declared && (
        <div className="notice" role="status" data-testid="event-type-declared">
          <strong>“{declared}” is declared.</strong> Publish it with <code>{`{"eventType": "${declared}", "data": {…}}`}</code>, then pick it in a{' '}
          <Link to="/webhooks">webhook</Link> or a <Link to="/flows">flow</Link>.
        </div>
      )}
      {declaring && (
        <DeclareForm
          onCancel={() => setDeclaring(false)}
          onCreated={async (t) => {
            setDeclaring(false);
            setDeclared(t.name);
            setOpen((prev) => new Set(prev).add(t.name));
            await types.reload();
          }}
        />
      )}
      <ResourceTable
        list={types}
        rows={models}
        above={
          <>
            {deleting.row && (
              <ConfirmDelete title={`Delete the event type “${deleting.row.name}”?`} onCancel={deleting.cancel} onConfirm={deleting.confirm}>
                <p>
                  Publishing “{deleting.row.name}” is refused from then on (422) until it is declared again, so webhooks and flows listening for it receive
                  nothing more. Events already delivered stay in the log.
                </p>
              </ConfirmDelete>
            )}
            {/* The built-in types are listed whatever happens: the empty state is the workspace's own. */}
            {types.data && custom.length === 0 && !declaring && (
              <div className="empty" data-testid="event-types-empty">
                <p>
                  No custom types yet. The built-in ones below cover chats, leads and deals; declare your own when your application publishes something else (an
                  order paid, a form sent…).
                </p>
              </div>
            )}
          </>
        }
        loading="Loading the catalogue…"
        className="event-types"
        rowKey={(t) => t.name}
        rowAttributes={(t) => ({ 'data-testid': 'event-type-row', 'data-name': t.name, className: open.has(t.name) ? 'selected' : '' })}
        columns={[
          {
            head: 'Name',
            cell: (t) => (
              <>
                <button
                  className="link mono"
                  aria-expanded={open.has(t.name)}
                  aria-controls={detailId(t)}
                  data-testid="event-type-toggle"
                  onClick={() => toggle(t.name)}
                >
                  {open.has(t.name) ? '▾' : '▸'} {t.name}
                </button>
                <UsedByLine usage={used.get(t.name)} loaded={used.loaded} label="Sent to" empty="No webhook or flow subscribes to it yet" />
              </>
            ),
          },
          {
            head: 'Group',
            cell: (t) =>
              t.builtin ? (
                <>
                  <span className="badge">built in</span> <span className="muted">{t.group}</span>
                </>
              ) : (
                <span className="badge custom">custom</span>
              ),
          },
          { head: 'Description', cell: (t) => t.description ?? <span className="muted">—</span> },
        ]}
        actions={(t) =>
          !t.builtin && (
            <button className="danger" data-testid="event-type-delete" onClick={() => deleting.ask(t)}>
              Delete
            </button>
          )
        }
        detail={(t) =>
          open.has(t.name) && (
            <div className="grid2">
              <div data-testid="event-type-schema">
                <h4>JSON Schema</h4>
                {t.schema ? <JsonView value={t.schema} /> : <p className="muted">No schema: any data is accepted.</p>}
              </div>
              <div data-testid="event-type-sample">
                <h4>Sample</h4>
                <JsonView value={t.sample} />
              </div>
            </div>
          )
        }
        detailAttributes={(t) => ({ id: detailId(t), 'data-testid': 'event-type-detail', 'data-name': t.name })}
      />
    </section>
  );
}
