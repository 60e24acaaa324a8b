import type { Deps } from '../deps.ts';
import { eventTypeOf, savedObjects, sourceOf, type FlowGraphT } from '../../shared/flow-graph.ts';

/** An object named in an answer; a connection or webhook drawn by a flow carries that flow's id, so a page can name the flow alone. */
export type Ref = { id: string; name: string; flow_id?: string };
/** What a flow's graph points at: the connections and destinations its nodes became, its triggers' sources and event types. */
export type FlowEntry = Ref & {
  connections: Set<string>;
  destinations: Set<string>;
  sources: Set<string>;
  events: Set<string>;
  webhookNodes: Map<string, string>;
};
/** The flow (and its webhook node, if any) a connection was drawn in. */
export type FlowRef = { id: string; name: string; node_id: string | null };

/** Where each flow's nodes point: the index of a workspace's flows (one query on its flows). */
export async function flowIndex(deps: Pick<Deps, 'db'>, ws: string): Promise<FlowEntry[]> {
  const rows = await deps.db.selectFrom('flows').select(['id', 'name', 'graph']).where('workspace_id', '=', ws).orderBy('id').execute();
  return rows.map((r) => {
    const graph = r.graph as FlowGraphT;
    const f: FlowEntry = {
      id: r.id,
      name: r.name,
      connections: new Set(),
      destinations: new Set(),
      sources: new Set(),
      events: new Set(),
      webhookNodes: new Map(),
    };
    for (const [nodeId, s] of savedObjects(graph)) {
      f.connections.add(s.connectionId);
      if (s.destinationId) f.destinations.add(s.destinationId);
      if (s.kind === 'webhook') f.webhookNodes.set(s.connectionId, nodeId);
    }
    for (const n of graph.nodes ?? []) {
      if (n.kind !== 'trigger') continue;
      const source = sourceOf(n.data);
      const event = eventTypeOf(n.data);
      if (source) f.sources.add(source);
      if (event) f.events.add(event);
    }
    return f;
  });
}

/** The flow (and its node) a connection was drawn in, by connection id. */
export function flowOfConnection(flows: FlowEntry[]): Map<string, FlowRef> {
  const out = new Map<string, FlowRef>();
  for (const f of flows) for (const c of f.connections) out.set(c, { id: f.id, name: f.name, node_id: f.webhookNodes.get(c) ?? null });
  return out;
}
