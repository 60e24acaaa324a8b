import { useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { JsonView } from '../../ui/JsonView.tsx';
import { ResourceTable } from '../../ui/ResourceTable.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { usePagedList } from '../../ui/usePagedList.ts';
import { when } from '../gateway/parts.tsx';
import { RunLogs } from './RunLogs.tsx';
import type { Execution } from './types.ts';

/** Every run of a saved transformation (deliveries and tests), newest first, each with its input and output. */
export function Executions({ transformationId }: { transformationId: string }) {
  const list = usePagedList<Execution>(`/transformations/${transformationId}/executions`);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section data-testid="transformation-executions">
      <header className="row">
        <h2>Runs</h2>
        <button className="small" onClick={() => void list.restart()}>
          Refresh
        </button>
      </header>
      <ResourceTable
        list={list}
        empty={<p className="muted">No runs yet: it runs when a connection delivers with it.</p>}
        pager="runs"
        rowKey={(x) => x.id}
        rowAttributes={(x) => ({ 'data-testid': 'execution-row', 'data-status': x.status, className: open === x.id ? 'selected' : '' })}
        columns={[
          {
            head: 'When',
            cell: (x) => (
              <button className="link" onClick={() => setOpen(open === x.id ? null : x.id)}>
                {when(x.created_at)}
              </button>
            ),
          },
          {
            head: 'Result',
            cell: (x) =>
              x.status === 'ok' ? (
                'ok'
              ) : (
                <span className="error-text">
                  {x.error_code}: {x.error_message}
                </span>
              ),
          },
          { head: 'Event', className: 'mono', cell: (x) => x.event_id ?? <span className="muted">test run</span> },
          { head: 'Duration', cell: (x) => `${x.duration_ms} ms` },
        ]}
      />
      {open && <ExecutionDetail transformationId={transformationId} id={open} />}
    </section>
  );
}

function ExecutionDetail({ transformationId, id }: { transformationId: string; id: string }) {
  const x = useLoad(() => api<Execution>('GET', `/transformations/${transformationId}/executions/${id}`), [transformationId, id]);
  return (
    <div data-testid="execution-detail">
      <ErrorBox error={x.error} />
      {x.data && (
        <>
          <div className="grid2">
            <div>
              <h4>Request in</h4>
              <JsonView value={x.data.original ?? null} />
            </div>
            <div>
              <h4>Request out</h4>
              {x.data.transformed === null || x.data.transformed === undefined ? (
                <p className="muted">None: the run failed.</p>
              ) : (
                <JsonView value={x.data.transformed} />
              )}
            </div>
          </div>
          <h4>Console</h4>
          <RunLogs logs={x.data.logs ?? []} />
        </>
      )}
    </div>
  );
}
