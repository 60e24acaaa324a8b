import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { DESTINATION_KINDS } from '../../shared/flow-graph.ts';

/** The flow (and its node) that drew a connection. */
export type DrawnIn = { id: string; name: string; node_id: string; node_kind: string };

/**
 * The connections a workspace's flows drew, read from the graphs in SQL so that services the flow
 * code itself depends on (webhooks) can ask without importing it. A destination node keeps its
 * connection as `connectionId`; webhook nodes of older graphs as `webhookId`.
 */
export async function connectionsDrawn(deps: Pick<Deps, 'db'>, ws: string, connectionId?: string): Promise<Map<string, DrawnIn>> {
  const { rows } = await sql<{ connection_id: string; id: string; name: string; node_id: string; node_kind: string }>`
    SELECT coalesce(n->'data'->>'connectionId', n->'data'->>'webhookId') AS connection_id, f.id, f.name, n->>'id' AS node_id, n->>'kind' AS node_kind
      FROM flows f CROSS JOIN LATERAL jsonb_array_elements(f.graph->'nodes') AS n
     WHERE f.workspace_id = ${ws}
       AND n->>'kind' IN (${sql.join([...DESTINATION_KINDS])})
       AND coalesce(n->'data'->>'connectionId', n->'data'->>'webhookId') IS NOT NULL
       ${connectionId === undefined ? sql`` : sql`AND coalesce(n->'data'->>'connectionId', n->'data'->>'webhookId') = ${connectionId}`}
     ORDER BY f.id`.execute(deps.db);
  return new Map(rows.map((r) => [r.connection_id, { id: r.id, name: r.name, node_id: r.node_id, node_kind: r.node_kind }]));
}
