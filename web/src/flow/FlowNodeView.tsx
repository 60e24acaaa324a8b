import { createContext, useContext } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { KIND_LABEL, type CanvasNode } from './graph.ts';

/** Problems by node id, from the shared validateGraph (and the server's 422). */
export const ProblemsContext = createContext<Map<string, string[]>>(new Map());

function summary(node: CanvasNode): string {
  const d = node.data;
  switch (node.type) {
    case 'trigger':
      return String(d.eventType || 'choose an event type');
    case 'filter': {
      const n = Array.isArray(d.conditions) ? d.conditions.length : 0;
      return `${n} condition${n === 1 ? '' : 's'} (${d.mode === 'any' ? 'any' : 'all'})`;
    }
    case 'map': {
      const n = Array.isArray(d.mappings) ? d.mappings.length : 0;
      return n ? `${n} field${n === 1 ? '' : 's'}, ${String(d.envelope)} envelope` : 'every field of the event';
    }
    case 'webhook':
      return String(d.url || 'enter a URL');
    default:
      return '';
  }
}

export function FlowNodeView(props: NodeProps<CanvasNode>) {
  const problems = useContext(ProblemsContext).get(props.id) ?? [];
  const kind = props.type;
  return (
    <div className={`flow-node flow-${kind}${problems.length ? ' invalid' : ''}${props.selected ? ' selected' : ''}`} data-testid={`node-${props.id}`} title={problems.join('\n')}>
      {kind !== 'trigger' && <Handle type="target" position={Position.Left} />}
      <div className="flow-node-kind">{KIND_LABEL[kind]}</div>
      <div className="flow-node-summary">{summary(props as unknown as CanvasNode)}</div>
      {problems.length > 0 && (
        <ul className="flow-node-problems" data-testid={`problems-${props.id}`}>
          {problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
      {kind !== 'webhook' && <Handle type="source" position={Position.Right} />}
    </div>
  );
}

export const nodeTypes = { trigger: FlowNodeView, filter: FlowNodeView, map: FlowNodeView, webhook: FlowNodeView };
