import { useState } from 'react';
import { api } from '../api.ts';
import { ResourceTable } from '../ui/ResourceTable.tsx';
import { useConfirmRow } from '../ui/rowActions.tsx';
import { usePagedList } from '../ui/usePagedList.ts';
import { ConfirmDelete, when } from './gateway/parts.tsx';
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
  const deleting = useConfirmRow<Transformation>((t) => api('DELETE', `/transformations/${t.id}`), list.restart);
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
        JavaScript that changes a request before it is delivered: rename fields, add a header, drop what a destination should not see. It runs in a sandbox with
        no network and no files, for at most a second per request. Use one on a connection with the rule{' '}
        <code>{`{"type": "transformation", "transformation_id": "trs_…"}`}</code>.
      </p>
      <ResourceTable
        list={list}
        above={
          deleting.row && (
            <ConfirmDelete title={`Delete the transformation “${deleting.row.name}”?`} onCancel={deleting.cancel} onConfirm={deleting.confirm}>
              <p>Its past runs are deleted with it. A transformation still used by a connection cannot be deleted: remove the rule first.</p>
            </ConfirmDelete>
          )
        }
        loading="Loading transformations…"
        empty={
          <div className="empty" data-testid="transformations-empty">
            <p>No transformations yet. Write one, try it on a sample request, then add it to a connection.</p>
          </div>
        }
        pager="transformations"
        rowKey={(t) => t.id}
        rowAttributes={(t) => ({ 'data-testid': 'transformation-row', 'data-name': t.name })}
        columns={[
          {
            head: 'Name',
            cell: (t) => (
              <>
                <button className="link" data-testid="transformation-open" onClick={() => setEditing(t)}>
                  {t.name}
                </button>
                <div className="muted mono">{t.id}</div>
                <UsedByLine usage={used.get(t.id)} loaded={used.loaded} empty="Not used by any connection yet" />
              </>
            ),
          },
          { head: 'Variables', className: 'mono', cell: (t) => Object.keys(t.env ?? {}).join(', ') || <span className="muted">—</span> },
          { head: 'Updated', cell: (t) => when(t.updated_at) },
        ]}
        actions={(t) => (
          <button className="danger" data-testid="transformation-delete" onClick={() => deleting.ask(t)}>
            Delete
          </button>
        )}
      />
    </section>
  );
}
