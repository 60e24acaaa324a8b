import { useState } from 'react';
import { Link, Route, Routes, useNavigate } from 'react-router';
import { api } from '../api.ts';
import { ConfirmDelete } from '../pages/gateway/parts.tsx';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { FlowCountsCell, useFlowCounts } from './FlowCountsCell.tsx';
import { Sparkline } from '../ui/Chart.tsx';
import { useSparklines } from '../ui/useSparklines.ts';
import { FlowEditor, type FlowOut } from './FlowEditor.tsx';

/** `/flows`: the list; `/flows/new` and `/flows/:id`: the editor. */
export function FlowsPage() {
  return (
    <Routes>
      <Route index element={<FlowList />} />
      <Route path=":id" element={<FlowEditor />} />
    </Routes>
  );
}

function FlowList() {
  const flows = useLoad(() => api<{ models: FlowOut[] }>('GET', '/flows'));
  const navigate = useNavigate();
  const [deleting, setDeleting] = useState<FlowOut | null>(null);
  const counts = useFlowCounts();
  const sparks = useSparklines('flow', flows.data?.models.map((f) => f.id) ?? []);
  return (
    <section>
      <header className="row">
        <div>
          <h1>Flows</h1>
          <p className="muted">Draw where events go: a trigger, optional filter and mapping steps, and webhook destinations.</p>
        </div>
        <button className="primary" data-testid="new-flow" onClick={() => navigate('/flows/new')}>
          New flow
        </button>
      </header>
      <ErrorBox error={flows.error} />
      {deleting && (
        <ConfirmDelete
          title={`Delete the flow “${deleting.name}”?`}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await api('DELETE', `/flows/${deleting.id}`);
            setDeleting(null);
            await flows.reload();
          }}
        >
          <p>
            What its steps made goes with it ({deleting.webhooks.length} {deleting.webhooks.length === 1 ? 'webhook' : 'webhooks'}); a destination you already
            had stays, without this flow's connection.
          </p>
        </ConfirmDelete>
      )}
      {flows.loading && !flows.data && <p className="loading">Loading…</p>}
      {flows.data && flows.data.models.length === 0 && <div className="empty">No flows yet. Start one with “New flow”.</div>}
      {flows.data && flows.data.models.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Steps</th>
              <th>Webhooks</th>
              <th>Last 24 hours</th>
              <th>24 h trend</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {flows.data.models.map((f) => (
              <tr key={f.id} data-testid={`flow-${f.id}`}>
                <td>
                  <Link to={`/flows/${f.id}`}>{f.name}</Link>
                </td>
                <td>{f.graph.nodes.length}</td>
                <td data-testid="flow-webhooks">{f.webhooks.length === 1 ? '1 webhook' : `${f.webhooks.length} webhooks`}</td>
                <FlowCountsCell flowId={f.id} counts={counts} />
                <td>{sparks[f.id] && <Sparkline {...sparks[f.id]} />}</td>
                <td>{new Date(f.updated_at).toLocaleString()}</td>
                <td>
                  <button className="danger" onClick={() => setDeleting(f)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
