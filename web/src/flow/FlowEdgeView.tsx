import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from '@xyflow/react';
import { useCanvas } from './canvas-context.ts';

/**
 * An edge with how many went along it in the last 24 hours (what arrived after a trigger, what a
 * step let through after a step), and its problem if it has one.
 */
export function CountedEdge(props: EdgeProps) {
  const { stats, problems } = useCanvas();
  const [path, labelX, labelY] = getBezierPath(props);
  const count = stats?.edges[props.id]?.count;
  const fromTrigger = stats ? props.source in stats.triggers : false;
  const problem = problems.get(props.id);
  // A trigger's edge says "0 arrived" too: nothing came yet is worth seeing.
  const shown = count !== undefined && (count > 0 || fromTrigger);
  return (
    <>
      <BaseEdge id={props.id} path={path} markerEnd={props.markerEnd} style={problem ? { stroke: '#d92d20', strokeWidth: 2 } : props.style} />
      {(shown || problem) && (
        <EdgeLabelRenderer>
          <div
            className={`flow-edge-label${problem ? ' invalid' : ''}`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            data-testid={`edge-label-${props.id}`}
            title={problem?.join('\n') ?? (fromTrigger ? 'Arrived in the last 24 hours' : 'Went on past the step before, in the last 24 hours')}
          >
            {problem ? problem[0] : `${count} ${fromTrigger ? 'arrived' : 'passed'}`}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const edgeTypes = { counted: CountedEdge };
