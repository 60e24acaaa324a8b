import { Router } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { query } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { DashboardQuery, dashboardService, SparklinesQuery } from './dashboard.service.ts';
import { EventMetricsQuery, metricsService, RequestMetricsQuery } from './metrics.service.ts';

/**
 * GET /metrics/requests and /metrics/events (seed 002): zero-filled histograms of the logs;
 * GET /metrics/dashboard and /metrics/sparklines: the portal's dashboard and its lists' sparklines.
 */
export function metricsRoutes(deps: Deps): Router {
  const r = Router();
  const metrics = metricsService(deps.db);
  const dashboard = dashboardService(deps.db);

  r.get('/metrics/requests', async (req, res) => {
    res.json(await metrics.requests(authOf(req).workspaceId, query(req, RequestMetricsQuery)));
  });

  r.get('/metrics/events', async (req, res) => {
    res.json(await metrics.events(authOf(req).workspaceId, query(req, EventMetricsQuery), req.query.status));
  });

  r.get('/metrics/dashboard', async (req, res) => {
    res.json(await dashboard.dashboard(authOf(req).workspaceId, query(req, DashboardQuery)));
  });

  r.get('/metrics/sparklines', async (req, res) => {
    res.json(await dashboard.sparklines(authOf(req).workspaceId, query(req, SparklinesQuery)));
  });
  return r;
}
