import { sql } from 'kysely';
import { z } from 'zod';
import { idFloor } from '../core/ids.ts';
import type { Deps } from '../deps.ts';
import { APPLICATION_SOURCE_TYPE } from '../publish/application-source.ts';
import { eventTypeOf, isDestinationKind, planDestinations, savedObjects, sourceOf, type FlowGraphT } from '../../shared/flow-graph.ts';

export const FlowStatsQuery = z
  .object({
    hours: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30, 'at most 720 hours (30 days)')
      .default(24),
  })
  .strict();

export type Counts = { delivered: number; failed: number; held: number; queued: number };
/** A destination node: its events by status, and its connection's ignored events (any cause). */
export type DestinationStats = Counts & { connection_id: string; ignored: number };
/** A trigger: the requests (or published events of its type) that arrived; `rejected` failed the source's verification. */
export type TriggerStats = { arrived: number; rejected: number };
/** A step: what reached it, what went on, and what it turned away (a request counts once, however many destinations follow). */
export type StepStats = { received: number; passed: number; filtered: number; duplicates: number };
export type FlowStats = {
  since: string;
  /** Arrivals are counted from here: the window's start, or the flow's creation if later (before it, nothing went through its steps). */
  arrivals_since: string;
  /** Destination nodes, by node id. */
  nodes: Record<string, DestinationStats>;
  triggers: Record<string, TriggerStats>;
  steps: Record<string, StepStats>;
  /** How many went along each edge: arrivals after a trigger, what passed after a step. */
  edges: Record<string, { count: number }>;
};

const COLUMN: Record<string, keyof Counts> = { SUCCESSFUL: 'delivered', FAILED: 'failed', HOLD: 'held', QUEUED: 'queued', SCHEDULED: 'queued' };
const minuteOf = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000);

/** Events per connection and status since `since`, from the per-minute counts (kept exact by triggers; migration 013). */
export async function eventCounts(deps: Pick<Deps, 'db'>, ws: string, since: Date, connectionIds: string[] | null) {
  if (connectionIds && !connectionIds.length) return [];
  const { rows } = await sql<{ connection_id: string; status: string; n: string | number }>`
    SELECT connection_id, status, sum(n) AS n FROM event_counts_1m
      WHERE workspace_id = ${ws} AND minute >= ${since} ${connectionIds ? sql`AND connection_id IN (${sql.join(connectionIds)})` : sql``}
      GROUP BY connection_id, status`.execute(deps.db);
  return rows.map((r) => ({ connection_id: r.connection_id, column: COLUMN[r.status] as keyof Counts | undefined, n: Number(r.n) }));
}

/**
 * A flow's counts since `hours` ago, for the canvas: arrivals on each trigger, what each step let
 * through and turned away, and each destination's events by status. Three grouped reads: events
 * from the per-minute counts, ignored events of the flow's connections by cause and step
 * (ignored_events_connection_created_idx), and the triggers' requests by source (requests_source_idx,
 * requests_source_path_idx: time-ordered ids bound the range, so no index on created_at is needed).
 */
export async function flowStats(deps: Pick<Deps, 'db'>, ws: string, graph: FlowGraphT, hours: number, createdAt: Date = new Date(0)): Promise<FlowStats> {
  const since = minuteOf(new Date(Date.now() - hours * 3_600_000));
  const arrivalsSince = createdAt > since ? createdAt : since;
  const saved = [...savedObjects(graph)];
  const nodes: FlowStats['nodes'] = Object.fromEntries(
    saved.map(([nodeId, s]) => [nodeId, { connection_id: s.connectionId, delivered: 0, failed: 0, held: 0, queued: 0, ignored: 0 }]),
  );
  const byConn = new Map(saved.map(([nodeId, s]) => [s.connectionId, nodeId]));
  const ids = saved.map(([, s]) => s.connectionId);

  for (const r of await eventCounts(deps, ws, since, ids)) {
    const nodeId = byConn.get(r.connection_id);
    if (r.column && nodeId) nodes[nodeId][r.column] += r.n;
  }

  // Drops per step: a request turned away by a step shared by several destinations is an ignored
  // event on each of their connections, so a step takes the largest count of its connections.
  const kind = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  const plans = new Map(planDestinations(graph).map((p) => [p.node.id, p]));
  const drops = new Map<string, Map<string, { filtered: number; duplicates: number }>>();
  const drop = (step: string, conn: string, what: 'filtered' | 'duplicates', n: number) => {
    const perConn = drops.get(step) ?? new Map<string, { filtered: number; duplicates: number }>();
    const c = perConn.get(conn) ?? { filtered: 0, duplicates: 0 };
    c[what] += n;
    drops.set(step, perConn.set(conn, c));
  };
  if (ids.length) {
    const { rows } = await sql<{ connection_id: string; what: string; step: string | null; n: string | number; requests: string | number }>`
      SELECT connection_id, CASE WHEN cause = 'DUPLICATE' THEN 'duplicates' WHEN cause = 'FILTERED' OR cause LIKE 'FILTER\\_FAILED%' THEN 'filtered' ELSE 'other' END AS what,
             step, count(*) AS n, count(DISTINCT request_id) AS requests
        FROM ignored_events
        WHERE workspace_id = ${ws} AND connection_id IN (${sql.join(ids)}) AND created_at >= ${since}
        GROUP BY 1, 2, 3`.execute(deps.db);
    for (const r of rows) {
      const nodeId = byConn.get(r.connection_id);
      if (!nodeId) continue;
      nodes[nodeId].ignored += Number(r.n);
      if (r.what === 'other') continue;
      const what = r.what as 'filtered' | 'duplicates';
      const plan = plans.get(nodeId);
      let step = r.step !== null && (kind.get(r.step) === 'filter' || kind.get(r.step) === 'dedupe') ? r.step : null;
      // Rules written before steps were named: a path has one dedupe step at most, and a source's
      // only filter step is its whole filter. (An event's filter also turns away other event types.)
      if (r.step === null && plan)
        step = what === 'duplicates' ? plan.dedupeId : plan.source !== null && plan.filterIds.length === 1 ? plan.filterIds[0] : null;
      if (step) drop(step, r.connection_id, what, Number(r.requests));
    }
  }

  // Arrivals: requests to each source trigger's source, published events of each event trigger's type.
  const triggers: FlowStats['triggers'] = {};
  const sources = new Map<string, string[]>();
  const types = new Map<string, string[]>();
  for (const n of graph.nodes) {
    if (n.kind !== 'trigger') continue;
    triggers[n.id] = { arrived: 0, rejected: 0 };
    const src = sourceOf(n.data);
    const type = eventTypeOf(n.data);
    if (src) sources.set(src, [...(sources.get(src) ?? []), n.id]);
    else if (type) types.set(`/${type}`, [...(types.get(`/${type}`) ?? []), n.id]);
  }
  if (sources.size || types.size) {
    const floor = idFloor('req', arrivalsSince);
    const bySource = sources.size
      ? sql`SELECT source_id AS key, status, count(*) AS n FROM requests WHERE workspace_id = ${ws} AND source_id IN (${sql.join([...sources.keys()])}) AND id >= ${floor} GROUP BY 1, 2`
      : null;
    const byType = types.size
      ? sql`SELECT path AS key, status, count(*) AS n FROM requests
              WHERE workspace_id = ${ws} AND id >= ${floor} AND path IN (${sql.join([...types.keys()])})
                AND source_id = (SELECT id FROM sources WHERE workspace_id = ${ws} AND type = ${APPLICATION_SOURCE_TYPE} LIMIT 1)
              GROUP BY 1, 2`
      : null;
    const query = bySource && byType ? sql`${bySource} UNION ALL ${byType}` : (bySource ?? byType)!;
    const { rows } = await sql<{ key: string; status: string; n: string | number }>`${query}`.execute(deps.db);
    for (const r of rows) {
      for (const t of [...(sources.get(r.key) ?? []), ...(types.get(r.key) ?? [])])
        triggers[t][r.status === 'rejected' ? 'rejected' : 'arrived'] += Number(r.n);
    }
  }

  // What goes along each edge: a trigger's arrivals; after a step, what reached it less what it turned away.
  const steps: FlowStats['steps'] = {};
  const into = new Map<string, string[]>();
  for (const e of graph.edges) into.set(e.target, [...(into.get(e.target) ?? []), e.source]);
  const outOf = new Map<string, number>();
  const through = (id: string, seen = new Set<string>()): number => {
    const known = outOf.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a saved graph has no cycle; this only guards the recursion
    seen.add(id);
    let n = 0;
    if (kind.get(id) === 'trigger') n = triggers[id]?.arrived ?? 0;
    else if (!isDestinationKind(kind.get(id))) {
      const received = (into.get(id) ?? []).reduce((sum, prev) => sum + through(prev, seen), 0);
      const perConn = [...(drops.get(id)?.values() ?? [])];
      const filtered = Math.max(0, ...perConn.map((c) => c.filtered));
      const duplicates = Math.max(0, ...perConn.map((c) => c.duplicates));
      n = Math.max(0, received - filtered - duplicates);
      steps[id] = { received, passed: n, filtered, duplicates };
    }
    outOf.set(id, n);
    return n;
  };
  for (const n of graph.nodes) through(n.id);
  const edges: FlowStats['edges'] = Object.fromEntries(graph.edges.map((e) => [e.id, { count: through(e.source) }]));
  return { since: since.toISOString(), arrivals_since: arrivalsSince.toISOString(), nodes, triggers, steps, edges };
}

/** A flow in the list: its destinations' events since the window's start; `failed_connection` leads to the failures in the log. */
export type FlowCountsOut = { since: string; flows: Record<string, Counts & { failed_connection: string | null }> };

/** Every flow of the team at once, for the flows list: one grouped read of the per-minute event counts. */
export async function flowsCounts(deps: Pick<Deps, 'db'>, ws: string, hours: number): Promise<FlowCountsOut> {
  const since = minuteOf(new Date(Date.now() - hours * 3_600_000));
  const rows = await deps.db.selectFrom('flows').select(['id', 'graph']).where('workspace_id', '=', ws).execute();
  const flowOf = new Map<string, string>();
  const flows: FlowCountsOut['flows'] = {};
  for (const row of rows) {
    flows[row.id] = { delivered: 0, failed: 0, held: 0, queued: 0, failed_connection: null };
    for (const [, s] of savedObjects(row.graph as FlowGraphT)) flowOf.set(s.connectionId, row.id);
  }
  if (flowOf.size) {
    for (const r of await eventCounts(deps, ws, since, null)) {
      const flow = flowOf.get(r.connection_id);
      if (!flow || !r.column) continue;
      flows[flow][r.column] += r.n;
      if (r.column === 'failed' && r.n > 0) flows[flow].failed_connection ??= r.connection_id;
    }
  }
  return { since: since.toISOString(), flows };
}
