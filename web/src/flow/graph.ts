import type { Edge, Node } from '@xyflow/react';
import { FLOW_NODE_DATA, isDestinationKind, validateGraph, type FlowGraphT, type GraphProblem, type NodeKind } from '../../../server/hub/flow-graph.ts';
import { SOURCE_PRESET } from './flow-api.ts';

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

/** One line under each palette item: what the node does, in the user's words. */
export const KIND_HINT: Record<Exclude<NodeKind, 'trigger'>, string> = {
  filter: 'Let only some events through, e.g. when email is set',
  transform: 'Reshape the event with a JSONata expression',
  map: 'Choose which fields to send, and under which names',
  delay: 'Wait a while before sending',
  dedupe: 'Drop repeats of the same event within a time window',
  webhook: 'POST each event to a URL, signed',
  sheets: 'Add a row to a Google Sheet for each event',
  crm: 'Create or update a contact in HubSpot, Pipedrive or your CRM',
  zapier: 'Start a Zap through its catch hook URL',
  destination: 'Send to a destination you already have',
};

/** `lead.captured` → `Lead captured`. */
export function humanize(eventType: string): string {
  const words = eventType.replace(/[._-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function defaultData(kind: NodeKind, preset?: string): Record<string, unknown> {
  switch (kind) {
    case 'trigger':
      return preset?.startsWith(SOURCE_PRESET) ? { sourceId: preset.slice(SOURCE_PRESET.length) } : { eventType: preset ?? '' };
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
      return { destinationId: preset ?? '' };
  }
}

// `|| 0`: Math.round(-0.4) is -0, which a stored graph should not carry.
const whole = (v: number) => Math.round(v) || 0;

export function toGraph(nodes: CanvasNode[], edges: Edge[]): FlowGraphT {
  return {
    nodes: nodes.map((n) => ({ id: n.id, kind: n.type as NodeKind, position: { x: whole(n.position.x), y: whole(n.position.y) }, data: n.data })) as FlowGraphT['nodes'],
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
