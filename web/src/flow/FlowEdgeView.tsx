import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from '@xyflow/react';
import { useCanvas } from './canvas-context.ts';

/** An edge with the last 24 hours' counts of what went along it, and its problem if it has one. */
export function CountedEdge(props: EdgeProps) {
  const { stats, problems } = useCanvas();
  const [path, labelX, labelY] = getBezierPath(props);
  const counts = stats?.edges[props.id];
  const problem = problems.get(props.id);
  const shown = counts && counts.delivered + counts.failed + counts.held > 0;
  return (
    <>
      <BaseEdge id={props.id} path={path} markerEnd={props.markerEnd} style={problem ? { stroke: '#d92d20', strokeWidth: 2 } : props.style} />
      {(shown || problem) && (
        <EdgeLabelRenderer>
          <div className={`flow-edge-label${problem ? ' invalid' : ''}`} style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }} data-testid={`edge-label-${props.id}`} title={problem?.join('\n')}>
            {problem ? problem[0] : `${counts?.delivered ?? 0} ✓ · ${counts?.failed ?? 0} ✗ · ${counts?.held ?? 0} held`}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const edgeTypes = { counted: CountedEdge };
