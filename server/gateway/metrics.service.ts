import { type Expression, type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { timeParam } from '../core/time.ts';
import type { DB } from '../db/schema.ts';
import {
  applyEventFilters,
  applyRequestFilters,
  eventFilterFields,
  requestFilterFields,
  toEventFilter,
  toRequestFilter,
  type EventFilter,
} from './log-filters.ts';
import {
  bucketOf,
  connectionsTo,
  eventCounts,
  eventsCounted,
  ignoredCounts,
  minuteWindow,
  type MinuteWindow,
  requestCounts,
  requestsCounted,
} from './metrics.rollup.ts';

/**
 * Histograms of the requests and events logs (seed 002, issue 6): counts per time bucket over a
 * date range, every bucket present (zero-filled), in one SQL query per call. Buckets are aligned
 * to the Unix epoch (a 1m bucket starts at :00) and labelled by their start; the range is
 * half-open, `start <= created_at < end`, so "the last 24 h at 1m" is 1,440 or 1,441 buckets.
 * Whole minutes at granularities of whole minutes are read from the per-minute counts
 * (metrics.rollup.ts) when the filters allow; the logs themselves answer everything else.
 */

export const GRANULARITY_SECONDS = { '1s': 1, '5s': 5, '10s': 10, '30s': 30, '1m': 60, '5m': 300, '15m': 900, '1h': 3600 } as const;
export type Granularity = keyof typeof GRANULARITY_SECONDS;
const GRANULARITIES = Object.keys(GRANULARITY_SECONDS) as [Granularity, ...Granularity[]];
/** Beyond this a chart is unreadable and the response large; a coarser granularity is asked for. */
export const MAX_BUCKETS = 10_000;
/** Without `granularity`: the finest one that draws the range in at most this many buckets. */
const DEFAULT_BUCKETS = 1_000;

export const REQUEST_MEASURES = ['count', 'accepted_count', 'rejected_count'] as const;
/**
 * Events are counted by their status now, in the bucket of their creation:
 * - `count`: every delivery event (not the ignored ones, which are not deliveries);
 * - `delivered_count`: SUCCESSFUL; `failed_count`: FAILED;
 * - `queued_count`: QUEUED or SCHEDULED (retries and delays included) with no attempt in flight;
 * - `processing_count`: QUEUED or SCHEDULED with an attempt in flight now (a live lease);
 * - `ignored_count`: a connection's filter or deduplication turned the request away (`ignored_events`).
 * HOLD (destination disabled) and CANCELLED appear only in `count`.
 */
export const EVENT_MEASURES = ['count', 'delivered_count', 'failed_count', 'queued_count', 'processing_count', 'ignored_count'] as const;
type EventMeasure = (typeof EVENT_MEASURES)[number];

/** Each part of an event series (per-minute counts, log rows) yields these, summed per bucket; a request series yields its measures. */
const EVENT_COLUMNS = ['count', 'delivered_count', 'failed_count', 'waiting_count'] as const;
const WAITING = sql`events.status IN ('QUEUED', 'SCHEDULED')`;
/**
 * An attempt in flight: a waiting event with a live lease. Only a due event is leased (the
 * claim), and whatever later moves `next_attempt_at` clears the lease or waits for it to end, so
 * a leased event is due: saying so lets the partial due index find the few in flight without
 * reading a backlog of delayed events.
 */
const IN_FLIGHT = sql<boolean>`${WAITING} AND events.next_attempt_at <= now() AND events.lease_until > now()`;

/** The log filters without their own time range: the date range is the metrics' time range. */
function withoutTimes<T extends Record<string, z.ZodType>>(fields: T) {
  const { from: _from, to: _to, 'ingested_at[gte]': _gte, 'ingested_at[lte]': _lte, ...rest } = fields;
  return rest;
}

/** `measures[]=a&measures[]=b`, `measures=a,b`, and `{date_range: {start, end}}` (a nested query parser) all read the same. */
function normalize(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const { 'measures[]': bracketed, measures, date_range, ...rest } = raw as Record<string, unknown>;
  const out: Record<string, unknown> = { ...rest };
  const given = bracketed ?? measures;
  if (given !== undefined)
    out.measures = (Array.isArray(given) ? given : [given]).flatMap((m) => (typeof m === 'string' ? m.split(',').map((s) => s.trim()) : [m]));
  if (date_range && typeof date_range === 'object' && !Array.isArray(date_range)) {
    const range = date_range as Record<string, unknown>;
    if (range.start !== undefined) out['date_range[start]'] ??= range.start;
    if (range.end !== undefined) out['date_range[end]'] ??= range.end;
  }
  return out;
}

type Range = { start: Date; end: Date; granularity?: Granularity };

/** The series' first and last bucket starts (epoch ms) and their number, or why there would be too many. */
export function bucketsOf(start: Date, end: Date, granularity: Granularity) {
  const step = GRANULARITY_SECONDS[granularity] * 1000;
  const first = Math.floor(start.getTime() / step) * step;
  // The end is excluded: the last bucket is the one holding the last millisecond before it.
  const last = Math.floor((end.getTime() - 1) / step) * step;
  return { step, first, last, count: (last - first) / step + 1 };
}

function checkRange(p: Range, ctx: z.RefinementCtx) {
  if (p.end <= p.start) {
    ctx.addIssue({ code: 'custom', path: ['date_range[end]'], message: 'must be after date_range[start]' });
    return;
  }
  if (p.granularity) {
    const { count } = bucketsOf(p.start, p.end, p.granularity);
    if (count > MAX_BUCKETS) {
      ctx.addIssue({
        code: 'custom',
        path: ['granularity'],
        message: `${p.granularity} makes ${count} buckets of this range; at most ${MAX_BUCKETS} are drawn, so choose a coarser granularity or a shorter range`,
      });
    }
  } else if (bucketsOf(p.start, p.end, '1h').count > MAX_BUCKETS) {
    ctx.addIssue({ code: 'custom', path: ['date_range[start]'], message: `the range is longer than ${MAX_BUCKETS} hours` });
  }
}

function defaultGranularity(start: Date, end: Date): Granularity {
  return GRANULARITIES.find((g) => bucketsOf(start, end, g).count <= DEFAULT_BUCKETS) ?? '1h';
}

const rangeFields = {
  'date_range[start]': timeParam,
  'date_range[end]': timeParam,
  granularity: z.enum(GRANULARITIES).optional(),
};
const measuresOf = <M extends readonly [string, ...string[]]>(all: M) =>
  z
    .array(z.enum(all))
    .min(1)
    .max(all.length * 2)
    .optional();

const reshape = <P extends { 'date_range[start]': Date; 'date_range[end]': Date; granularity?: Granularity }>(p: P) => ({
  ...p,
  start: p['date_range[start]'],
  end: p['date_range[end]'],
});

export const RequestMetricsQuery = z
  .preprocess(normalize, z.object({ ...rangeFields, measures: measuresOf(REQUEST_MEASURES), ...withoutTimes(requestFilterFields) }))
  .transform(reshape)
  .superRefine(checkRange);
export const EventMetricsQuery = z
  .preprocess(normalize, z.object({ ...rangeFields, measures: measuresOf(EVENT_MEASURES), ...withoutTimes(eventFilterFields) }))
  .transform(reshape)
  .superRefine(checkRange);

/** The raw `status` names `ignored` (which maps to no event status): ignored events are then counted. */
export const statusNamesIgnored = (raw: unknown) =>
  raw === undefined ||
  raw === '' ||
  String(Array.isArray(raw) ? raw.join(',') : raw)
    .split(',')
    .some((s) => s.trim().toLowerCase() === 'ignored');

export type MetricsOut<M extends string> = {
  granularity: Granularity;
  date_range: { start: string; end: string };
  measures: M[];
  data: ({ time: string } & Record<M, number>)[];
};

type SeriesRow = { time: Date } & Record<string, string | number>;
type Part = Expression<unknown>;
type Grouped = { name: string; query: Part; columns: readonly string[] };

/** One CTE body from several parts of a series, each a SELECT of `time` then `columns` in that order. */
function summed(parts: Part[], columns: readonly string[]): Part {
  if (parts.length === 1) return parts[0];
  const sums = columns.map((c) => sql`sum(${sql.ref(`p.${c}`)}) AS ${sql.ref(c)}`);
  return sql`(SELECT p.time, ${sql.join(sums)} FROM (${sql.join(parts, sql` UNION ALL `)}) AS p GROUP BY p.time)`;
}

export function metricsService(db: Kysely<DB>) {
  /** Zero-filled series: the bucket starts joined with each grouped count (one statement). */
  async function series<M extends string>(p: Range, granularity: Granularity, measures: M[], grouped: Grouped[]): Promise<MetricsOut<M>> {
    const { step, first, last } = bucketsOf(p.start, p.end, granularity);
    const ctes = grouped.map((g) => sql`${sql.ref(g.name)} AS ${g.query}`);
    const columns = grouped.flatMap((g) =>
      g.columns.filter((c) => (measures as string[]).includes(c)).map((c) => sql`COALESCE(${sql.ref(`${g.name}.${c}`)}, 0)::int AS ${sql.ref(c)}`),
    );
    const joins = grouped.map((g) => sql`LEFT JOIN ${sql.ref(g.name)} ON ${sql.ref(`${g.name}.time`)} = s.time`);
    const { rows } = await sql<SeriesRow>`
      WITH ${sql.join(ctes)}
      SELECT s.time, ${sql.join(columns)}
      FROM generate_series(${new Date(first)}::timestamptz, ${new Date(last)}::timestamptz, make_interval(secs => ${step / 1000})) AS s(time)
      ${sql.join(joins, sql` `)}
      ORDER BY s.time`.execute(db);
    return {
      granularity,
      date_range: { start: p.start.toISOString(), end: p.end.toISOString() },
      measures,
      data: rows.map(
        (r) =>
          ({ time: new Date(r.time).toISOString(), ...Object.fromEntries(measures.map((m) => [m, Number(r[m])])) }) as { time: string } & Record<M, number>,
      ),
    };
  }

  const bucket = (granularity: Granularity, column: string) => bucketOf(GRANULARITY_SECONDS[granularity], column);

  /**
   * The time spans a series is counted over: the whole minutes from the per-minute counts when
   * they can answer (`counted`), the logs for the partial minutes at either end; else the logs
   * for all of it.
   */
  function spans(
    p: Range,
    granularity: Granularity,
    counted: boolean,
    fromCounts: (w: MinuteWindow) => Part,
    fromLogs: (from: Date, to: Date) => Part,
  ): Part[] {
    const w = counted ? minuteWindow(p.start, p.end, GRANULARITY_SECONDS[granularity]) : null;
    if (!w) return [fromLogs(p.start, p.end)];
    return [fromCounts(w), ...(p.start < w.from ? [fromLogs(p.start, w.from)] : []), ...(w.to < p.end ? [fromLogs(w.to, p.end)] : [])];
  }

  return {
    async requests(ws: string, p: z.output<typeof RequestMetricsQuery>) {
      const granularity = p.granularity ?? defaultGranularity(p.start, p.end);
      const measures = [...new Set(p.measures ?? REQUEST_MEASURES)];
      const filter = toRequestFilter(p);
      const fromLogs = (from: Date, to: Date) =>
        applyRequestFilters(
          db
            .selectFrom('requests')
            .select([
              bucket(granularity, 'requests.created_at').as('time'),
              sql<number>`count(*)`.as('count'),
              sql<number>`count(*) FILTER (WHERE requests.status = 'accepted')`.as('accepted_count'),
              sql<number>`count(*) FILTER (WHERE requests.status = 'rejected')`.as('rejected_count'),
            ]),
          ws,
          { ...filter, from },
        )
          .where('requests.created_at', '<', to)
          .groupBy(sql`1`);
      const parts = spans(p, granularity, requestsCounted(filter), (w) => requestCounts(db, ws, filter, w, GRANULARITY_SECONDS[granularity]), fromLogs);
      return series(p, granularity, measures, [{ name: 'r', query: summed(parts, REQUEST_MEASURES), columns: REQUEST_MEASURES }]);
    },

    async events(ws: string, p: z.output<typeof EventMetricsQuery>, rawStatus: unknown) {
      const granularity = p.granularity ?? defaultGranularity(p.start, p.end);
      const step = GRANULARITY_SECONDS[granularity];
      const measures = [...new Set(p.measures ?? EVENT_MEASURES)];
      const filter: EventFilter = toEventFilter(p);
      const counted = eventsCounted(filter);
      const grouped: Grouped[] = [];
      const eventMeasures = measures.filter((m): m is Exclude<EventMeasure, 'ignored_count'> => m !== 'ignored_count');
      if (eventMeasures.length) {
        const events = (from: Date, to: Date) =>
          applyEventFilters(db.selectFrom('events').select(bucket(granularity, 'events.created_at').as('time')), ws, { ...filter, from }).where(
            'events.created_at',
            '<',
            to,
          );
        const fromLogs = (from: Date, to: Date) =>
          events(from, to)
            .select([
              sql<number>`count(*)`.as('count'),
              sql<number>`count(*) FILTER (WHERE events.status = 'SUCCESSFUL')`.as('delivered_count'),
              sql<number>`count(*) FILTER (WHERE events.status = 'FAILED')`.as('failed_count'),
              sql<number>`count(*) FILTER (WHERE ${WAITING})`.as('waiting_count'),
            ])
            .groupBy(sql`1`);
        const totals = summed(
          spans(p, granularity, counted, (w) => eventCounts(db, ws, filter, w, step), fromLogs),
          EVENT_COLUMNS,
        );
        // Leases change on every claim and expire with time, so the per-minute counts know only
        // "waiting": the few events in flight are read from the log, and the rest are queued.
        const split = measures.includes('queued_count') || measures.includes('processing_count');
        const query = split
          ? sql`(SELECT COALESCE(t.time, f.time) AS time, t.count, t.delivered_count, t.failed_count,
                   COALESCE(t.waiting_count, 0) - COALESCE(f.processing_count, 0) AS queued_count, f.processing_count
                 FROM ${totals} AS t
                 FULL JOIN ${events(p.start, p.end).select(sql<number>`count(*)`.as('processing_count')).where(IN_FLIGHT).groupBy(sql`1`)} AS f ON f.time = t.time)`
          : totals;
        grouped.push({ name: 'e', query, columns: eventMeasures });
      }
      if (measures.includes('ignored_count')) {
        const statusAllows = statusNamesIgnored(rawStatus);
        const fromLogs = (from: Date, to: Date) =>
          ignoredQuery(ws, filter, from, to, statusAllows)
            .select([bucket(granularity, 'ignored_events.created_at').as('time'), sql<number>`count(*)`.as('ignored_count')])
            .groupBy(sql`1`);
        const parts = spans(p, granularity, counted, (w) => ignoredCounts(db, ws, filter, w, step, statusAllows), fromLogs);
        grouped.push({ name: 'i', query: summed(parts, ['ignored_count']), columns: ['ignored_count'] });
      }
      return series(p, granularity, measures, grouped);
    },
  };

  /**
   * Ignored events keep only their request and connection: the source, destination and bulk
   * operation are read through those. A status filter that does not name `ignored` leaves none.
   */
  function ignoredQuery(ws: string, f: EventFilter, from: Date, to: Date, statusAllows: boolean) {
    let q = db
      .selectFrom('ignored_events')
      .where('ignored_events.workspace_id', '=', ws)
      .where('ignored_events.created_at', '>=', from)
      .where('ignored_events.created_at', '<', to);
    if (!statusAllows) q = q.where(sql<boolean>`false`);
    if (f.connection_id) q = q.where('ignored_events.connection_id', '=', f.connection_id);
    if (f.request_id) q = q.where('ignored_events.request_id', '=', f.request_id);
    if (f.destination_id) q = q.where('ignored_events.connection_id', 'in', connectionsTo(db, ws, f.destination_id));
    const { source_id: source, batch_operation_id: batch } = f;
    if (source || batch) {
      q = q.where('ignored_events.request_id', 'in', (eb) => {
        let r = eb.selectFrom('requests').select('requests.id').where('requests.workspace_id', '=', ws);
        if (source) r = r.where('requests.source_id', '=', source);
        if (batch) r = r.where('requests.batch_operation_id', '=', batch);
        return r;
      });
    }
    const term = f.q;
    if (term)
      q = q.where((eb) =>
        eb.or([eb(sql`starts_with(ignored_events.request_id, ${term})`, '=', true), eb(sql`starts_with(ignored_events.id, ${term})`, '=', true)]),
      );
    return q;
  }
}
