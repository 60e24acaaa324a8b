import { sql } from 'kysely';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { isDestinationKind, type FlowGraphT } from './flow-graph.ts';
import { savedObjects } from './flow-sync.ts';

export const FlowStatsQuery = z.object({ hours: z.coerce.number().int().min(1).max(24 * 30, 'at most 720 hours (30 days)').default(24) }).strict();

export type Counts = { delivered: number; failed: number; held: number; queued: number };
export type FlowStats = {
  since: string;
  nodes: Record<string, Counts & { connection_id: string; ignored: number }>;
  edges: Record<string, Counts>;
};

const COLUMN: Record<string, keyof Counts | 'ignored'> = { SUCCESSFUL: 'delivered', FAILED: 'failed', HOLD: 'held', QUEUED: 'queued', SCHEDULED: 'queued', IGNORED: 'ignored' };

/** The destinations each edge leads to, directly or through steps. */
function destinationsOfEdges(graph: FlowGraphT): Map<string, string[]> {
  const kind = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  const after = (id: string): string[] => {
    const seen = new Set<string>([id]);
    const todo = [id];
    while (todo.length) {
      const id = todo.pop() as string;
      for (const e of graph.edges) if (e.source === id && !seen.has(e.target)) seen.add(e.target), todo.push(e.target);
    }
    return [...seen].filter((n) => isDestinationKind(kind.get(n)));
  };
  return new Map(graph.edges.map((e) => [e.id, after(e.target)]));
}

/**
 * Counts per destination node of a flow since `hours` ago, by its connection: one grouped query
 * over events and ignored events (indexes `events_connection_created_idx`,
 * `ignored_events_connection_created_idx`). Each edge shows the sums of the destinations it leads to.
 */
export async function flowStats(deps: Pick<Deps, 'db'>, ws: string, graph: FlowGraphT, hours: number): Promise<FlowStats> {
  const since = new Date(Date.now() - hours * 3_600_000);
  const saved = [...savedObjects(graph)];
  const nodes: FlowStats['nodes'] = Object.fromEntries(saved.map(([nodeId, s]) => [nodeId, { connection_id: s.connectionId, delivered: 0, failed: 0, held: 0, queued: 0, ignored: 0 }]));
  const ids = saved.map(([, s]) => s.connectionId);
  if (ids.length) {
    const list = sql.join(ids);
    const { rows } = await sql<{ connection_id: string; status: string; n: string | number }>`
      SELECT connection_id, status, count(*) AS n FROM events
        WHERE workspace_id = ${ws} AND connection_id IN (${list}) AND created_at >= ${since}
        GROUP BY connection_id, status
      UNION ALL
      SELECT connection_id, 'IGNORED', count(*) FROM ignored_events
        WHERE workspace_id = ${ws} AND connection_id IN (${list}) AND created_at >= ${since}
        GROUP BY connection_id`.execute(deps.db);
    const byConn = new Map(saved.map(([nodeId, s]) => [s.connectionId, nodeId]));
    for (const r of rows) {
      const column = COLUMN[r.status];
      const nodeId = byConn.get(r.connection_id);
      if (column && nodeId) nodes[nodeId][column] += Number(r.n);
    }
  }
  const edges: FlowStats['edges'] = {};
  for (const [edgeId, dests] of destinationsOfEdges(graph)) {
    const sum: Counts = { delivered: 0, failed: 0, held: 0, queued: 0 };
    for (const d of dests) for (const k of Object.keys(sum) as (keyof Counts)[]) sum[k] += nodes[d]?.[k] ?? 0;
    edges[edgeId] = sum;
  }
  return { since: since.toISOString(), nodes, edges };
}
