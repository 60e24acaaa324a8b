import type { ChartSeries } from '../../ui/Chart.tsx';
import type { DashboardOut, DashboardRange } from './types.ts';

export const RANGES: [DashboardRange, string, string][] = [
  ['1h', '1 hour', 'the last hour'],
  ['24h', '24 hours', 'the last 24 hours'],
  ['7d', '7 days', 'the last 7 days'],
];
export const rangeWords = (r: DashboardRange) => RANGES.find(([v]) => v === r)?.[2] ?? r;

/** One colour per outcome, the same in the tiles, the charts and the sparklines. */
export const COLORS = {
  requests: '#2f5bea',
  delivered: '#12b76a',
  failed: '#d92d20',
  filtered: '#98a2b3',
  held: '#f79009',
  p50: '#2f5bea',
  p95: '#7a5af8',
  p99: '#d92d20',
} as const;

/** Bucket starts as the chart's x values (uPlot reads Unix seconds). */
export const secondsOf = (times: { time: string }[]) => times.map((p) => Date.parse(p.time) / 1000);

/**
 * The traffic chart's lines. "Requests in" is left out when the dashboard is narrowed to a
 * destination (a request is not addressed to one), and "Held" when nothing was held, so the usual
 * chart has four lines, not five flat ones.
 */
export function trafficSeries(d: DashboardOut): ChartSeries[] {
  const line = (label: string, color: string, values: (number | null)[]): ChartSeries => ({ label, color, values });
  const out: ChartSeries[] = [];
  if (d.totals.requests !== null)
    out.push(
      line(
        'Requests in',
        COLORS.requests,
        d.series.map((p) => p.requests),
      ),
    );
  // Shaded, so it still shows where another line runs over it (as many failed as delivered).
  out.push({
    ...line(
      'Delivered',
      COLORS.delivered,
      d.series.map((p) => p.delivered),
    ),
    fill: 'rgba(18, 183, 106, 0.12)',
  });
  out.push(
    line(
      'Failed',
      COLORS.failed,
      d.series.map((p) => p.failed),
    ),
  );
  out.push(
    line(
      'Filtered',
      COLORS.filtered,
      d.series.map((p) => p.filtered),
    ),
  );
  if (d.totals.held > 0)
    out.push(
      line(
        'Held',
        COLORS.held,
        d.series.map((p) => p.held),
      ),
    );
  return out;
}

export function latencySeries(d: DashboardOut): ChartSeries[] {
  return [
    { label: 'p50', color: COLORS.p50, values: d.latency_series.map((p) => p.p50_ms), sparse: true },
    { label: 'p95', color: COLORS.p95, values: d.latency_series.map((p) => p.p95_ms), sparse: true },
    { label: 'p99', color: COLORS.p99, values: d.latency_series.map((p) => p.p99_ms), sparse: true },
  ];
}

/** 850 ms, 4.2 s, 3 min, 2.5 h: a latency in the unit a person reads it in. */
export function duration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/**
 * Where a failing destination's link goes: its failed events over the dashboard's range, or all
 * its events there while its failures are still being retried (none has failed for good yet).
 */
export const failingEventsLink = (d: { id: string; failed_events: number }, range: DashboardRange) =>
  `/events?${new URLSearchParams({ destination_id: d.id, ...(d.failed_events > 0 ? { status: 'FAILED' } : {}), range })}`;
