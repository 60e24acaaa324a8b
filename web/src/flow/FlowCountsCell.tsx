import { Link } from 'react-router';
import { api } from '../api.ts';
import type { FlowCountsOut } from './flow-api.ts';
import { usePolled } from './usePolled.ts';

export const LIST_COUNTS_EVERY_MS = 5_000;

/** Every flow's deliveries of the last 24 hours (one request for the whole list), asked again every 5 s while in view. */
export const useFlowCounts = () => usePolled(() => api<FlowCountsOut>('GET', '/flows/counts?hours=24'), LIST_COUNTS_EVERY_MS, 'flows');

/** A flow's row: delivered and failed in the last 24 hours; failures stand out and lead to them in the log. */
export function FlowCountsCell({ flowId, counts }: { flowId: string; counts: FlowCountsOut | null }) {
  const c = counts?.flows[flowId];
  if (!c) return <td className="muted">…</td>;
  const waiting = c.queued + c.held;
  return (
    <td
      className={c.failed > 0 ? 'flow-row-failing' : undefined}
      data-testid={`flow-counts-${flowId}`}
      title={`Last 24 hours${waiting ? `; ${waiting} waiting` : ''}`}
    >
      <span className="good" data-testid={`flow-delivered-${flowId}`}>
        {c.delivered} delivered
      </span>
      {' · '}
      {c.failed > 0 && c.failed_connection ? (
        <Link className="bad" data-testid={`flow-failed-${flowId}`} to={`/events?connection_id=${encodeURIComponent(c.failed_connection)}&status=FAILED`}>
          {c.failed} failed
        </Link>
      ) : (
        <span data-testid={`flow-failed-${flowId}`}>{c.failed} failed</span>
      )}
    </td>
  );
}
