// The wire shapes of GET /metrics/dashboard and /metrics/sparklines, declared once by the server (types only: nothing of it is bundled).
export type { DashboardOut, DashboardPoint, DashboardRange, FailingDestination, Percentiles, SparklinesOut } from '../../../../shared/api.ts';
