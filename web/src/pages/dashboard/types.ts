/** The wire shapes of GET /metrics/dashboard and /metrics/sparklines (server/gateway/dashboard.service.ts). */
export type DashboardRange = '1h' | '24h' | '7d';
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
export type SparklinesOut = { by: 'flow' | 'destination'; granularity: '1h'; times: string[]; series: Record<string, { delivered: number[]; failed: number[] }> };
