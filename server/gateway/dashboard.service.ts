import { type Kysely, type RawBuilder, sql } from 'kysely';
import { z } from 'zod';
import { notFound } from '../core/errors.ts';
import { ID_PATTERN } from '../core/ids.ts';
import type { DB } from '../db/schema.ts';
import { savedObjects, type FlowGraphT } from '../../shared/flow-graph.ts';

/**
 * The dashboard's numbers (issue 14): what came in, what became of it, how fast it was delivered
 * and who is failing, over the last hour, day or week, for the workspace, one flow or one
 * destination; and the 24 h sparklines of the flows and destinations lists. Every figure is read
 * from the per-minute counts (event_counts_1m, request_counts_1m, ignored_counts_1m of migration
 * 013, attempt_counts_1m of 018), never from the logs: the range ends at the end of the current
 * bucket, so it is made of whole minutes (the current one is counted so far, the triggers keep it
 * exact).
 */

/** The ranges the dashboard draws, each at a step that gives 60–168 points. */
export const DASHBOARD_RANGES = {
  '1h': { seconds: 3_600, step: 60, granularity: '1m' },
  '24h': { seconds: 86_400, step: 900, granularity: '15m' },
  '7d': { seconds: 604_800, step: 3_600, granularity: '1h' },
} as const;
export type DashboardRange = keyof typeof DASHBOARD_RANGES;
const RANGE_NAMES = Object.keys(DASHBOARD_RANGES) as [DashboardRange, ...DashboardRange[]];

const idOf = (prefix: string, what: string) => z.string().refine((v) => ID_PATTERN.test(v) && v.startsWith(`${prefix}_`), `is not a ${what} id`);

export const DashboardQuery = z
  .object({
    range: z.enum(RANGE_NAMES, { error: `must be one of ${RANGE_NAMES.join(', ')}` }).default('24h'),
    flow_id: idOf('flw', 'flow').optional(),
    destination_id: idOf('des', 'destination').optional(),
  })
  .strict();

const SPARK_IDS = 100;
export const SparklinesQuery = z
  .object({
    by: z.enum(['flow', 'destination']),
    ids: z.preprocess(
      (v) =>
        typeof v === 'string'
          ? v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : v,
      z.array(z.string().regex(ID_PATTERN, 'is not an id')).min(1).max(SPARK_IDS, `at most ${SPARK_IDS} ids at once`),
    ),
  })
  .strict();

/** Latency percentiles read from the histogram's bins: the middle of the bin the rank falls in (within 5 %). */
export type Percentiles = { p50_ms: number | null; p95_ms: number | null; p99_ms: number | null };
export type DashboardPoint = { time: string; requests: number | null; delivered: number; failed: number; filtered: number; held: number; waiting: number };
export type FailingDestination = {
  id: string;
  name: string;
  state: 'enabled' | 'disabled' | 'paused';
  failed_attempts: number;
  attempts: number;
  failed_events: number;
  last_error: { message: string; response_status: number | null; at: string } | null;
};
export type DashboardOut = {
  range: DashboardRange;
  granularity: string;
  date_range: { start: string; end: string };
  scope: { flow: { id: string; name: string } | null; destination: { id: string; name: string } | null };
  series: DashboardPoint[];
  totals: Omit<DashboardPoint, 'time'>;
  latency: Percentiles & { deliveries: number };
  latency_series: ({ time: string } & Percentiles)[];
  failing_destinations: FailingDestination[];
};
export type SparklinesOut = {
  by: 'flow' | 'destination';
  granularity: '1h';
  times: string[];
  series: Record<string, { delivered: number[]; failed: number[] }>;
};

const COUNTS = ['delivered', 'failed', 'filtered', 'held', 'waiting'] as const;
const FAILING_SHOWN = 10;

/** The bins' counts → percentiles; `bins` is [bin, count] in any order. */
export function percentilesOf(bins: [number, number][]): Percentiles & { deliveries: number } {
  const sorted = [...bins].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((s, [, n]) => s + n, 0);
  const at = (q: number) => {
    if (!total) return null;
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (const [bin, n] of sorted) {
      seen += n;
      if (seen >= rank) {
        const ms = 2 ** ((bin + 0.5) / 8);
        return ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms);
      }
    }
    return null;
  };
  return { deliveries: total, p50_ms: at(0.5), p95_ms: at(0.95), p99_ms: at(0.99) };
}

/** The range's window: whole buckets aligned to the epoch, the last one holding now. */
export function windowOf(seconds: number, step: number, now = Date.now()) {
  const stepMs = step * 1000;
  const end = Math.floor(now / stepMs) * stepMs + stepMs;
  return { start: new Date(end - seconds * 1000), end: new Date(end), stepMs };
}

type Scope = { connections: string[] | null; destination: string | null };

export function dashboardService(db: Kysely<DB>) {
  /** The scope's rows of a per-minute table in the window, by its connection and destination columns. */
  const where = (ws: string, w: { start: Date; end: Date }, s: Scope, dest: 'column' | 'via-connection' | 'none'): RawBuilder<unknown> => {
    const parts = [sql`workspace_id = ${ws}`, sql`minute >= ${w.start}`, sql`minute < ${w.end}`];
    if (s.connections) parts.push(s.connections.length ? sql`connection_id IN (${sql.join(s.connections)})` : sql`false`);
    if (s.destination && dest === 'column') parts.push(sql`destination_id = ${s.destination}`);
    // Ignored events keep only their connection: the destination is the connection's as it is now (as in /metrics).
    if (s.destination && dest === 'via-connection')
      parts.push(sql`connection_id IN (SELECT id FROM connections WHERE workspace_id = ${ws} AND destination_id = ${s.destination})`);
    return sql.join(parts, sql` AND `);
  };

  async function scopeOf(ws: string, q: z.output<typeof DashboardQuery>): Promise<{ scope: Scope; out: DashboardOut['scope'] }> {
    const out: DashboardOut['scope'] = { flow: null, destination: null };
    const scope: Scope = { connections: null, destination: null };
    if (q.flow_id) {
      const flow = await db.selectFrom('flows').select(['id', 'name', 'graph']).where('workspace_id', '=', ws).where('id', '=', q.flow_id).executeTakeFirst();
      if (!flow) throw notFound('Flow', q.flow_id);
      out.flow = { id: flow.id, name: flow.name };
      scope.connections = [...savedObjects(flow.graph as FlowGraphT).values()].map((o) => o.connectionId);
    }
    if (q.destination_id) {
      const d = await db.selectFrom('destinations').select(['id', 'name']).where('workspace_id', '=', ws).where('id', '=', q.destination_id).executeTakeFirst();
      if (!d) throw notFound('Destination', q.destination_id);
      out.destination = d;
      scope.destination = d.id;
    }
    return { scope, out };
  }

  async function series(ws: string, w: ReturnType<typeof windowOf>, s: Scope): Promise<DashboardPoint[]> {
    const bin = sql`date_bin(make_interval(secs => ${w.stepMs / 1000}), minute, TIMESTAMPTZ 'epoch')`;
    // "Requests in": the workspace's requests (rejected ones too); for a flow, the requests that
    // reached it: each one makes an event or an ignored event at every connection of the flow, so
    // the busiest connection's count per bucket (a flow with two triggers is undercounted); for a
    // destination, none (a request is not addressed to one).
    const requests = s.destination
      ? sql`SELECT NULL::timestamptz AS time, NULL::bigint AS requests WHERE false`
      : s.connections
        ? sql`SELECT time, max(COALESCE(e.events, 0) + COALESCE(i.filtered, 0)) AS requests FROM e FULL JOIN i USING (time, connection_id) GROUP BY time`
        : sql`SELECT ${bin} AS time, sum(n) AS requests FROM request_counts_1m WHERE ${where(ws, w, s, 'none')} GROUP BY 1`;
    const { rows } = await sql<{ time: Date; requests: string | null } & Record<(typeof COUNTS)[number], string | null>>`
      WITH e AS (
        SELECT ${bin} AS time, connection_id, sum(n) AS events,
          sum(n) FILTER (WHERE status = 'SUCCESSFUL') AS delivered,
          sum(n) FILTER (WHERE status = 'FAILED') AS failed,
          sum(n) FILTER (WHERE status = 'HOLD') AS held,
          sum(n) FILTER (WHERE status IN ('QUEUED', 'SCHEDULED')) AS waiting
        FROM event_counts_1m WHERE ${where(ws, w, s, 'column')} GROUP BY 1, 2),
      i AS (SELECT ${bin} AS time, connection_id, sum(n) AS filtered FROM ignored_counts_1m WHERE ${where(ws, w, s, 'via-connection')} GROUP BY 1, 2),
      r AS (${requests})
      SELECT s.time, r.requests, es.delivered, es.failed, es.held, es.waiting, fs.filtered
      FROM generate_series(${w.start}::timestamptz, ${new Date(w.end.getTime() - w.stepMs)}::timestamptz, make_interval(secs => ${w.stepMs / 1000})) AS s(time)
      LEFT JOIN (SELECT time, sum(delivered) AS delivered, sum(failed) AS failed, sum(held) AS held, sum(waiting) AS waiting FROM e GROUP BY time) es ON es.time = s.time
      LEFT JOIN (SELECT time, sum(filtered) AS filtered FROM i GROUP BY time) fs ON fs.time = s.time
      LEFT JOIN r ON r.time = s.time
      ORDER BY s.time`.execute(db);
    return rows.map((r) => ({
      time: new Date(r.time).toISOString(),
      requests: s.destination ? null : Number(r.requests ?? 0),
      ...(Object.fromEntries(COUNTS.map((c) => [c, Number(r[c] ?? 0)])) as Record<(typeof COUNTS)[number], number>),
    }));
  }

  async function latency(ws: string, w: ReturnType<typeof windowOf>, s: Scope) {
    const { rows } = await sql<{ time: Date; bin: number; n: string }>`
      SELECT date_bin(make_interval(secs => ${w.stepMs / 1000}), minute, TIMESTAMPTZ 'epoch') AS time, latency_bucket AS bin, sum(n) AS n
      FROM attempt_counts_1m WHERE ${where(ws, w, s, 'column')} AND status = 'SUCCESSFUL' AND latency_bucket >= 0
      GROUP BY 1, 2`.execute(db);
    const overall = new Map<number, number>();
    const byTime = new Map<number, [number, number][]>();
    for (const r of rows) {
      const n = Number(r.n);
      overall.set(r.bin, (overall.get(r.bin) ?? 0) + n);
      const t = new Date(r.time).getTime();
      byTime.set(t, [...(byTime.get(t) ?? []), [r.bin, n]]);
    }
    const times: number[] = [];
    for (let t = w.start.getTime(); t < w.end.getTime(); t += w.stepMs) times.push(t);
    const { deliveries: _n, ...none } = percentilesOf([]);
    return {
      latency: percentilesOf([...overall]),
      latency_series: times.map((t) => {
        const bins = byTime.get(t);
        if (!bins) return { time: new Date(t).toISOString(), ...none };
        const { deliveries: _d, ...p } = percentilesOf(bins);
        return { time: new Date(t).toISOString(), ...p };
      }),
    };
  }

  /** The destinations with failed attempts or failed events in the window, the most failed attempts first, each with its newest error. */
  async function failing(ws: string, w: ReturnType<typeof windowOf>, s: Scope): Promise<FailingDestination[]> {
    const { rows } = await sql<{
      id: string;
      name: string;
      disabled_at: Date | null;
      circuit_opened_at: Date | null;
      failed_attempts: string;
      attempts: string;
      failed_events: string;
      error_message: string | null;
      error_code: string | null;
      response_status: number | null;
      last_at: Date | null;
    }>`
      WITH a AS (
        SELECT destination_id, sum(n) FILTER (WHERE status = 'FAILED') AS failed_attempts, sum(n) AS attempts
        FROM attempt_counts_1m WHERE ${where(ws, w, s, 'column')} GROUP BY 1),
      f AS (SELECT destination_id, sum(n) AS failed_events FROM event_counts_1m WHERE ${where(ws, w, s, 'column')} AND status = 'FAILED' GROUP BY 1),
      top AS (
        SELECT destination_id, COALESCE(a.failed_attempts, 0) AS failed_attempts, COALESCE(a.attempts, 0) AS attempts, COALESCE(f.failed_events, 0) AS failed_events
        FROM a FULL JOIN f USING (destination_id)
        WHERE COALESCE(a.failed_attempts, 0) + COALESCE(f.failed_events, 0) > 0
        ORDER BY 2 DESC, 4 DESC, 1 LIMIT ${FAILING_SHOWN})
      SELECT d.id, d.name, d.disabled_at, d.circuit_opened_at, top.failed_attempts, top.attempts, top.failed_events,
             last.error_message, last.error_code, last.response_status, last.created_at AS last_at
      FROM top JOIN destinations d ON d.id = top.destination_id AND d.workspace_id = ${ws}
      LEFT JOIN LATERAL (
        SELECT x.error_message, x.error_code, x.response_status, x.created_at FROM attempts x
        WHERE x.destination_id = top.destination_id AND x.status = 'FAILED' AND x.workspace_id = ${ws}
        ORDER BY x.created_at DESC LIMIT 1) AS last ON true
      ORDER BY top.failed_attempts DESC, top.failed_events DESC, d.id`.execute(db);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      state: r.disabled_at ? 'disabled' : r.circuit_opened_at ? 'paused' : 'enabled',
      failed_attempts: Number(r.failed_attempts),
      attempts: Number(r.attempts),
      failed_events: Number(r.failed_events),
      last_error: r.last_at
        ? {
            message: r.error_message ?? (r.response_status ? `the receiver answered ${r.response_status}` : (r.error_code ?? 'the delivery failed')),
            response_status: r.response_status,
            at: new Date(r.last_at).toISOString(),
          }
        : null,
    }));
  }

  return {
    async dashboard(ws: string, q: z.output<typeof DashboardQuery>, now = Date.now()): Promise<DashboardOut> {
      const r = DASHBOARD_RANGES[q.range];
      const w = windowOf(r.seconds, r.step, now);
      const { scope, out } = await scopeOf(ws, q);
      const [points, lat, failingDestinations] = await Promise.all([series(ws, w, scope), latency(ws, w, scope), failing(ws, w, scope)]);
      const totals = {
        requests: scope.destination ? null : points.reduce((n, p) => n + (p.requests ?? 0), 0),
        ...(Object.fromEntries(COUNTS.map((c) => [c, points.reduce((n, p) => n + p[c], 0)])) as Record<(typeof COUNTS)[number], number>),
      };
      return {
        range: q.range,
        granularity: r.granularity,
        date_range: { start: w.start.toISOString(), end: w.end.toISOString() },
        scope: out,
        series: points,
        totals,
        ...lat,
        failing_destinations: failingDestinations,
      };
    },

    /**
     * Delivered and failed events per hour over the last 24 h for each of `ids` (flows or
     * destinations) in one query; ids that are not the workspace's are left out.
     */
    async sparklines(ws: string, q: z.output<typeof SparklinesQuery>, now = Date.now()): Promise<SparklinesOut> {
      const w = windowOf(86_400, 3_600, now);
      const times: string[] = [];
      for (let t = w.start.getTime(); t < w.end.getTime(); t += w.stepMs) times.push(new Date(t).toISOString());
      const series: SparklinesOut['series'] = {};
      // Which key each counted row adds to: the destination itself, or the flow owning the connection.
      let owner: Map<string, string>;
      let key: 'destination_id' | 'connection_id';
      if (q.by === 'destination') {
        const found = await db.selectFrom('destinations').select('id').where('workspace_id', '=', ws).where('id', 'in', q.ids).execute();
        owner = new Map(found.map((d) => [d.id, d.id]));
        key = 'destination_id';
      } else {
        const flows = await db.selectFrom('flows').select(['id', 'graph']).where('workspace_id', '=', ws).where('id', 'in', q.ids).execute();
        owner = new Map();
        for (const f of flows) {
          series[f.id] = { delivered: times.map(() => 0), failed: times.map(() => 0) };
          for (const o of savedObjects(f.graph as FlowGraphT).values()) owner.set(o.connectionId, f.id);
        }
        key = 'connection_id';
      }
      for (const id of new Set(owner.values())) series[id] = { delivered: times.map(() => 0), failed: times.map(() => 0) };
      if (owner.size === 0) return { by: q.by, granularity: '1h', times, series };
      const filter = sql`${sql.ref(key)} IN (${sql.join([...owner.keys()])})`;
      const { rows } = await sql<{ key: string; time: Date; delivered: string | null; failed: string | null }>`
        SELECT ${sql.ref(key)} AS key, date_bin(make_interval(secs => 3600), minute, TIMESTAMPTZ 'epoch') AS time,
          sum(n) FILTER (WHERE status = 'SUCCESSFUL') AS delivered, sum(n) FILTER (WHERE status = 'FAILED') AS failed
        FROM event_counts_1m
        WHERE workspace_id = ${ws} AND minute >= ${w.start} AND minute < ${w.end} AND ${filter}
        GROUP BY 1, 2`.execute(db);
      for (const r of rows) {
        const id = owner.get(r.key);
        const i = Math.round((new Date(r.time).getTime() - w.start.getTime()) / w.stepMs);
        if (!id || i < 0 || i >= times.length) continue;
        series[id].delivered[i] += Number(r.delivered ?? 0);
        series[id].failed[i] += Number(r.failed ?? 0);
      }
      return { by: q.by, granularity: '1h', times, series };
    },
  };
}
