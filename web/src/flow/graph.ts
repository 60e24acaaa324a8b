import type { Edge, Node } from '@xyflow/react';
import { CONNECTOR_NODE_KINDS, CONNECTOR_NODES, connectorNode, type ConnectorNodeKind } from '../../../shared/connectors.ts';
import { FLOW_NODE_DATA, isDestinationKind, validateGraph, type FlowGraphT, type GraphProblem, type NodeKind } from '../../../shared/flow-graph.ts';
import { SOURCE_PRESET } from './flow-api.ts';

/** A canvas node: its React Flow `type` is the flow node's kind, its `data` the kind's data. */
export type CanvasNode = Node<Record<string, unknown>, NodeKind>;

/** A connector's nodes say their own label and hint (connectors/catalogue.ts). */
const connectorText = (key: 'label' | 'hint') => Object.fromEntries(CONNECTOR_NODES.map((n) => [n.kind, n[key]])) as Record<ConnectorNodeKind, string>;

export const KIND_LABEL: Record<NodeKind, string> = {
  trigger: 'Trigger',
  filter: 'Filter',
  transform: 'Transform',
  map: 'Map fields',
  delay: 'Delay',
  dedupe: 'Deduplicate',
  ...connectorText('label'),
  destination: 'Destination',
};

/** One line under each palette item: what the node does, in the user's words. */
export const KIND_HINT: Record<Exclude<NodeKind, 'trigger'>, string> = {
  filter: 'Let only some events through, e.g. when email is set',
  transform: 'Reshape the event with a JSONata expression',
  map: 'Choose which fields to send, and under which names',
  delay: 'Wait a while before sending',
  dedupe: 'Drop repeats of the same event within a time window',
  ...connectorText('hint'),
  destination: 'Send to a destination you already have',
};

/** `lead.captured` → `Lead captured`; the hub's own events without their `hub.`: `hub.delivery.failed` → `Delivery failed`. */
export function humanize(eventType: string): string {
  const words = eventType
    .replace(/^hub\./, '')
    .replace(/[._-]+/g, ' ')
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function defaultData(kind: NodeKind, preset?: string): Record<string, unknown> {
  const own = connectorNode(kind);
  if (own) return own.defaults();
  switch (kind) {
    case 'trigger':
      return preset?.startsWith(SOURCE_PRESET) ? { sourceId: preset.slice(SOURCE_PRESET.length) } : { eventType: preset ?? '' };
    case 'filter':
      return { conditions: [{ field: '', op: 'eq', value: '' }], mode: 'all' };
    case 'map':
      return { mappings: [], envelope: 'flat' };
    case 'transform':
      return { expression: '' };
    case 'delay':
      return { delay_ms: 60_000 };
    case 'dedupe':
      return { window_ms: 60_000 };
    case 'destination':
      return { destinationId: preset ?? '' };
    default:
      return {};
  }
}

// `|| 0`: Math.round(-0.4) is -0, which a stored graph should not carry.
const whole = (v: number) => Math.round(v) || 0;

export function toGraph(nodes: CanvasNode[], edges: Edge[]): FlowGraphT {
  return {
    nodes: nodes.map((n) => ({
      id: n.id,
      kind: n.type as NodeKind,
      position: { x: whole(n.position.x), y: whole(n.position.y) },
      data: n.data,
    })) as FlowGraphT['nodes'],
    edges: edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
  };
}

export function fromGraph(graph: FlowGraphT): { nodes: CanvasNode[]; edges: Edge[] } {
  return {
    nodes: graph.nodes.map((n) => ({ id: n.id, type: n.kind, position: n.position, data: n.data as Record<string, unknown> })),
    edges: graph.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, type: 'counted' })),
  };
}

/** Problems by node id (edge problems by edge id), from validateGraph, a 422 or a loaded flow's `problems`. */
export function problemsByNode(problems: { path?: string; message: string; nodeId?: string; edgeId?: string }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of problems) {
    const id = p.nodeId ?? p.edgeId ?? /^(?:nodes|edges)\.([^.]+)/.exec(p.path ?? '')?.[1];
    if (id) out.set(id, [...(out.get(id) ?? []), p.message]);
  }
  return out;
}

export function check(nodes: CanvasNode[], edges: Edge[]): GraphProblem[] {
  return validateGraph(toGraph(nodes, edges));
}

/**
 * A problem the user has not had a chance to fix yet: a node not connected, or one of its fields
 * still empty. The canvas shows these softly ("not connected yet") until a save attempt; anything
 * else (a bad URL, a cycle, an edge into a trigger) is an error straight away.
 */
export function isPending(p: GraphProblem, nodes: CanvasNode[]): boolean {
  if (p.unconnected) return true;
  const m = /^nodes\.([^.]+)\.data\.(.+)$/.exec(p.path);
  const node = m && nodes.find((n) => n.id === m[1]);
  if (!m || !node) return false;
  const value = m[2].split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), node.data);
  return value === undefined || value === null || (typeof value === 'string' && !value.trim()) || (Array.isArray(value) && value.length === 0);
}

/** What a node still lacks, shown softly on it: `unconnected` when a connection is missing. */
export type PendingNode = { unconnected: boolean; messages: string[] };

/** Splits the editor's problems into errors (red) and pending ones (soft), all errors once the user tried to save. */
export function splitProblems(
  problems: GraphProblem[],
  nodes: CanvasNode[],
  attempted: boolean,
): { errors: GraphProblem[]; pending: Map<string, PendingNode> } {
  if (attempted) return { errors: problems, pending: new Map() };
  const errors: GraphProblem[] = [];
  const pending = new Map<string, PendingNode>();
  for (const p of problems) {
    if (!p.nodeId || !isPending(p, nodes)) {
      errors.push(p);
      continue;
    }
    const cur = pending.get(p.nodeId) ?? { unconnected: false, messages: [] };
    pending.set(p.nodeId, { unconnected: cur.unconnected || Boolean(p.unconnected), messages: [...cur.messages, p.message] });
  }
  // A node with a real error shows it in red, its pending problems with it.
  for (const e of errors) {
    const id = e.nodeId;
    const soft = id ? pending.get(id) : undefined;
    if (id && soft) {
      pending.delete(id);
      for (const message of soft.messages) errors.push({ path: `nodes.${id}`, message, nodeId: id });
    }
  }
  return { errors, pending };
}

/** The kinds the "+" on a node's output offers, steps first. */
export const NEXT_KINDS: Exclude<NodeKind, 'trigger'>[] = ['filter', 'map', 'transform', 'delay', 'dedupe', ...CONNECTOR_NODE_KINDS, 'destination'];

/**
 * Where the step added by a node's "+" goes: to its right, at the same height, moved down past
 * any node already there so nothing is stacked.
 */
export function nextPosition(from: CanvasNode, nodes: CanvasNode[], width = from.measured?.width ?? 200): { x: number; y: number } {
  const x = from.position.x + width + 100;
  let y = from.position.y;
  const taken = (ty: number) => nodes.some((n) => n.id !== from.id && Math.abs(n.position.x - x) < 180 && Math.abs(n.position.y - ty) < 100);
  while (taken(y)) y += 130;
  return { x, y };
}

/**
 * Inline errors of one node's form: the kind's own zod schema (the one the server checks), keyed by
 * the field's path (`url`, `conditions.0.field`). The first message per field wins.
 */
export function fieldErrors(kind: NodeKind, data: unknown): Record<string, string> {
  const parsed = FLOW_NODE_DATA[kind].safeParse(data);
  if (parsed.success) return {};
  const out: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const key = issue.path.map(String).join('.');
    out[key] ??= issue.message;
  }
  return out;
}

function walk(id: string, edges: Edge[], dir: 'up' | 'down'): string[] {
  const seen = new Set<string>();
  const todo = [id];
  while (todo.length) {
    const cur = todo.pop() as string;
    for (const e of edges) {
      const [from, to] = dir === 'up' ? [e.target, e.source] : [e.source, e.target];
      if (from !== cur || seen.has(to) || to === id) continue;
      seen.add(to);
      todo.push(to);
    }
  }
  return [...seen];
}

/** The ids of every node upstream of a node. */
export const upstreamIds = (id: string, edges: Edge[]): string[] => walk(id, edges, 'up');

/** The trigger nodes upstream of a node. */
export function upstreamTriggers(id: string, nodes: CanvasNode[], edges: Edge[]): CanvasNode[] {
  const up = new Set(walk(id, edges, 'up'));
  return nodes.filter((n) => n.type === 'trigger' && up.has(n.id));
}

/** The event types of the triggers upstream of a node. */
export function upstreamEvents(id: string, nodes: CanvasNode[], edges: Edge[]): string[] {
  return upstreamTriggers(id, nodes, edges).flatMap((n) => (typeof n.data.eventType === 'string' && n.data.eventType ? [n.data.eventType] : []));
}

/** The nodes of one kind upstream of a node (a map step reads what an upstream transform made). */
export function upstreamOf(id: string, kind: NodeKind, nodes: CanvasNode[], edges: Edge[]): CanvasNode[] {
  const up = new Set(walk(id, edges, 'up'));
  return nodes.filter((n) => n.type === kind && up.has(n.id));
}

/** The destination nodes a node leads to. */
export function downstreamDestinations(id: string, nodes: CanvasNode[], edges: Edge[]): CanvasNode[] {
  const down = new Set(walk(id, edges, 'down'));
  return nodes.filter((n) => isDestinationKind(n.type) && down.has(n.id));
}

export function nextId(kind: NodeKind, nodes: CanvasNode[]): string {
  let i = 1;
  while (nodes.some((n) => n.id === `${kind}_${i}`)) i++;
  return `${kind}_${i}`;
}

export const DURATION_UNITS = { seconds: 1000, minutes: 60_000, hours: 3_600_000 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

/** A duration in ms as the largest unit that divides it evenly (90 000 → 90 seconds, 120 000 → 2 minutes). */
export function toUnit(ms: number): { amount: number; unit: DurationUnit } {
  for (const unit of ['hours', 'minutes'] as const) if (ms > 0 && ms % DURATION_UNITS[unit] === 0) return { amount: ms / DURATION_UNITS[unit], unit };
  return { amount: ms / 1000, unit: 'seconds' };
}

export const fromUnit = (amount: number, unit: DurationUnit): number => Math.round(amount * DURATION_UNITS[unit]);
