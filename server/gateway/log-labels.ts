import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { Rule } from './rules.ts';

/**
 * What the logs show instead of bare ids: a connection's name, the flow that made it (flows name
 * their connections after themselves, so the flow's own name is what the user recognises), its
 * destination and the state that explains a held event. One query per table for a whole page;
 * every read is bounded by the workspace, so an id of another team's object labels nothing.
 */
export type ConnectionLabel = {
  id: string;
  name: string;
  flow: { id: string; name: string; node_id: string } | null;
  destination_id: string;
  destination_name: string | null;
  /** The destination's own timeout (connectors default to 10 s). */
  timeout_ms: number;
  rules: Rule[];
  paused: boolean;
  destination_disabled: boolean;
  destination_disabled_reason: string | null;
  circuit_open: boolean;
  updated_at: Date;
};

const DEFAULT_TIMEOUT_MS = 10_000;

export async function connectionLabels(db: Kysely<DB>, ws: string, ids: Iterable<string>): Promise<Map<string, ConnectionLabel>> {
  const wanted = [...new Set(ids)];
  const out = new Map<string, ConnectionLabel>();
  if (wanted.length === 0) return out;
  const conns = await db
    .selectFrom('connections as c')
    .leftJoin('destinations as d', 'd.id', 'c.destination_id')
    .select([
      'c.id',
      'c.name',
      'c.rules',
      'c.paused_at',
      'c.updated_at',
      'c.destination_id',
      'd.name as destination_name',
      sql<string | null>`d.config->>'timeout_ms'`.as('timeout_ms'),
      'd.disabled_at',
      'd.disabled_reason',
      'd.circuit_opened_at',
    ])
    .where('c.workspace_id', '=', ws)
    .where('c.id', 'in', wanted)
    .execute();
  const flows = await flowsOf(db, ws, wanted);
  for (const c of conns) {
    const timeout = Number(c.timeout_ms);
    out.set(c.id, {
      id: c.id,
      name: c.name,
      flow: flows.get(c.id) ?? null,
      destination_id: c.destination_id,
      destination_name: c.destination_name,
      timeout_ms: Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS,
      rules: Array.isArray(c.rules) ? (c.rules as Rule[]) : [],
      paused: c.paused_at !== null,
      destination_disabled: c.disabled_at !== null,
      destination_disabled_reason: c.disabled_reason,
      circuit_open: c.circuit_opened_at !== null,
      updated_at: c.updated_at,
    });
  }
  return out;
}

/** The flow (and its node) whose saved graph points at each connection: `data.connectionId`, or `webhookId` in graphs saved before. */
async function flowsOf(db: Kysely<DB>, ws: string, ids: string[]): Promise<Map<string, { id: string; name: string; node_id: string }>> {
  const { rows } = await sql<{ id: string; name: string; node_id: string; connection_id: string }>`
    SELECT f.id, f.name, n->>'id' AS node_id, COALESCE(n->'data'->>'connectionId', n->'data'->>'webhookId') AS connection_id
    FROM flows f CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(f.graph->'nodes') = 'array' THEN f.graph->'nodes' ELSE '[]'::jsonb END) n
    WHERE f.workspace_id = ${ws} AND COALESCE(n->'data'->>'connectionId', n->'data'->>'webhookId') IN (${sql.join(ids)})`.execute(db);
  return new Map(rows.map((r) => [r.connection_id, { id: r.id, name: r.name, node_id: r.node_id }]));
}

/** How the logs name a connection: the flow that made it, else the connection's own name, else its id (deleted since). */
export function connectionTitle(label: ConnectionLabel | undefined, id: string): string {
  if (!label) return `a connection deleted since (${id})`;
  return label.flow ? `the flow “${label.flow.name}”` : `“${label.name}”`;
}

export async function sourceNames(db: Kysely<DB>, ws: string, ids: Iterable<string>): Promise<Map<string, string>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('sources').select(['id', 'name']).where('workspace_id', '=', ws).where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
