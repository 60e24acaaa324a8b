import { useState } from 'react';
import { api } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { ConfirmDelete, Pager, usePagedList, when } from './gateway/parts.tsx';
import { TransformationEditor } from './transformations/TransformationEditor.tsx';
import { UsedByLine, useUsedBy } from './gateway/UsedBy.tsx';
import type { Transformation } from './transformations/types.ts';

/**
 * Reusable JavaScript that reshapes requests before delivery. A connection uses one through its
 * `transformation` rule; this page writes, tests and inspects them.
 */
export function Transformations() {
  const list = usePagedList<Transformation>('/transformations', { order_by: 'updated_at', dir: 'desc' });
  const [editing, setEditing] = useState<Transformation | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Transformation | null>(null);
  const used = useUsedBy('transformation', list.data);

  if (editing) {
    return (
      <TransformationEditor
        initial={editing === 'new' ? null : editing}
        onClose={async () => {
          setEditing(null);
          await list.restart();
        }}
      />
    );
  }
  return (
    <section>
      <header className="row">
        <h1>Transformations</h1>
        <button className="primary" data-testid="transformation-new" onClick={() => setEditing('new')}>
          New transformation
        </button>
      </header>
      <p className="muted">
        JavaScript that changes a request before it is delivered: rename fields, add a header, drop what a destination should not see. It runs in a sandbox with no network and no files, for at
        most a second per request. Use one on a connection with the rule <code>{`{"type": "transformation", "transformation_id": "trs_…"}`}</code>.
      </p>
      <ErrorBox error={list.error} />
      {deleting && (
        <ConfirmDelete
          title={`Delete the transformation “${deleting.name}”?`}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await api('DELETE', `/transformations/${deleting.id}`);
            setDeleting(null);
            await list.restart();
          }}
        >
          <p>Its past runs are deleted with it. A transformation still used by a connection cannot be deleted: remove the rule first.</p>
        </ConfirmDelete>
      )}
      {list.loading && !list.data && <p className="loading">Loading transformations…</p>}
      {list.data && list.data.models.length === 0 && list.onFirstPage && (
        <div className="empty" data-testid="transformations-empty">
          <p>No transformations yet. Write one, try it on a sample request, then add it to a connection.</p>
        </div>
      )}
      {list.data && list.data.models.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Variables</th>
              <th>Updated</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.models.map((t) => (
              <tr key={t.id} data-testid="transformation-row" data-name={t.name}>
                <td>
                  <button className="link" data-testid="transformation-open" onClick={() => setEditing(t)}>
                    {t.name}
                  </button>
                  <div className="muted mono">{t.id}</div>
                  <UsedByLine usage={used.get(t.id)} loaded={used.loaded} empty="Not used by any connection yet" />
                </td>
                <td className="mono">{Object.keys(t.env ?? {}).join(', ') || <span className="muted">—</span>}</td>
                <td>{when(t.updated_at)}</td>
                <td className="actions-cell">
                  <div className="actions">
                    <button className="danger" data-testid="transformation-delete" onClick={() => setDeleting(t)}>
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager list={list} what="transformations" />
    </section>
  );
}
