import type { Edge, Node } from '@xyflow/react';
import { validateGraph, type FlowGraphT, type GraphProblem, type NodeKind } from '../../../server/hub/flow-graph.ts';

/** A canvas node: its React Flow `type` is the flow node's kind, its `data` the kind's data. */
export type CanvasNode = Node<Record<string, unknown>, NodeKind>;

export const KIND_LABEL: Record<NodeKind, string> = {
  trigger: 'Trigger',
  filter: 'Filter',
  transform: 'Transform',
  map: 'Map fields',
  delay: 'Delay',
  dedupe: 'Deduplicate',
  webhook: 'Webhook',
  sheets: 'Google Sheet',
  crm: 'CRM',
  zapier: 'Zapier',
  destination: 'Destination',
};

export function defaultData(kind: NodeKind, eventType?: string): Record<string, unknown> {
  switch (kind) {
    case 'trigger':
      return { eventType: eventType ?? '' };
    case 'filter':
      return { conditions: [{ field: '', op: 'eq', value: '' }], mode: 'all' };
    case 'map':
      return { mappings: [], envelope: 'flat' };
    case 'webhook':
      return { url: '', signing: 'hmac' };
    case 'transform':
      return { expression: '' };
    case 'delay':
      return { delay_ms: 60_000 };
    case 'dedupe':
      return { window_ms: 60_000 };
    case 'sheets':
      return { spreadsheetId: '', sheetName: 'Sheet1', columns: [] };
    case 'crm':
      return { preset: 'hubspot' };
    case 'zapier':
      return { url: '' };
    case 'destination':
      return { destinationId: '' };
  }
}

export function toGraph(nodes: CanvasNode[], edges: Edge[]): FlowGraphT {
  return {
    nodes: nodes.map((n) => ({ id: n.id, kind: n.type as NodeKind, position: { x: Math.round(n.position.x), y: Math.round(n.position.y) }, data: n.data })) as FlowGraphT['nodes'],
    edges: edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
  };
}

export function fromGraph(graph: FlowGraphT): { nodes: CanvasNode[]; edges: Edge[] } {
  return {
    nodes: graph.nodes.map((n) => ({ id: n.id, type: n.kind, position: n.position, data: n.data as Record<string, unknown> })),
    edges: graph.edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
  };
}

/** Problems by node id (edge problems are listed apart). */
export function problemsByNode(problems: GraphProblem[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of problems) {
    const id = p.nodeId ?? /^nodes\.([^.]+)/.exec(p.path)?.[1];
    if (id) out.set(id, [...(out.get(id) ?? []), p.message]);
  }
  return out;
}

export function check(nodes: CanvasNode[], edges: Edge[]): GraphProblem[] {
  return validateGraph(toGraph(nodes, edges));
}

/** The event types of the triggers upstream of a node. */
export function upstreamEvents(id: string, nodes: CanvasNode[], edges: Edge[]): string[] {
  const seen = new Set<string>();
  const todo = [id];
  const events: string[] = [];
  while (todo.length) {
    const cur = todo.pop() as string;
    for (const e of edges) {
      if (e.target !== cur || seen.has(e.source)) continue;
      seen.add(e.source);
      const n = nodes.find((x) => x.id === e.source);
      if (n?.type === 'trigger' && typeof n.data.eventType === 'string' && n.data.eventType) events.push(n.data.eventType);
      todo.push(e.source);
    }
  }
  return events;
}

export function nextId(kind: NodeKind, nodes: CanvasNode[]): string {
  let i = 1;
  while (nodes.some((n) => n.id === `${kind}_${i}`)) i++;
  return `${kind}_${i}`;
}
