import { Link } from 'react-router';
import { useCanvas } from './canvas-context.ts';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * A node's counts of the last 24 hours: what arrived at a trigger, what a step turned away (the
 * requests that went on are on its outgoing edge), what a destination delivered, failed or holds.
 */
export function NodeCounts({ id }: { id: string }) {
  const { stats } = useCanvas();
  if (!stats) return null;
  const trigger = stats.triggers[id];
  if (trigger) {
    return (
      <div className="flow-counts" data-testid={`stats-${id}`} title="Last 24 hours (since the flow was made)">
        <span data-testid={`stats-arrived-${id}`}>{trigger.arrived} arrived</span>
        {trigger.rejected > 0 && (
          <>
            {' · '}
            <span className="bad" data-testid={`stats-rejected-${id}`} title="Turned away by the source's verification">
              {trigger.rejected} rejected
            </span>
          </>
        )}
      </div>
    );
  }
  const step = stats.steps[id];
  if (step) {
    const parts = [
      step.filtered > 0 && (
        <span key="f" className="dropped" data-testid={`stats-filtered-${id}`}>
          {step.filtered} filtered
        </span>
      ),
      step.duplicates > 0 && (
        <span key="d" className="dropped" data-testid={`stats-duplicates-${id}`}>
          {plural(step.duplicates, 'duplicate')}
        </span>
      ),
    ].filter(Boolean);
    return (
      <div className="flow-counts" data-testid={`stats-${id}`} title={`Last 24 hours: ${step.received} reached this step, ${step.passed} went on`}>
        {parts.length ? parts.flatMap((p, i) => (i ? [' · ', p] : [p])) : <span data-testid={`stats-dropped-${id}`}>none dropped</span>}
      </div>
    );
  }
  const counts = stats.nodes[id];
  if (!counts) return null;
  const waiting = counts.queued + counts.held;
  return (
    <div
      className="flow-counts"
      data-testid={`stats-${id}`}
      title={`Last 24 hours: ${counts.queued} waiting to be sent, ${counts.held} held (paused), ${counts.ignored} turned away before it`}
    >
      <span className="good" data-testid={`stats-delivered-${id}`}>
        {counts.delivered} delivered
      </span>
      {' · '}
      {counts.failed > 0 ? (
        <Link
          className="nodrag nopan bad"
          data-testid={`stats-failed-${id}`}
          to={`/events?connection_id=${encodeURIComponent(counts.connection_id)}&status=FAILED`}
        >
          {counts.failed} failed
        </Link>
      ) : (
        <span data-testid={`stats-failed-${id}`}>0 failed</span>
      )}
      {' · '}
      <span data-testid={`stats-waiting-${id}`}>{waiting} waiting</span>
    </div>
  );
}
