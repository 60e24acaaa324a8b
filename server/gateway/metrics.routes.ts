import { Router } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { query } from '../core/validate.ts';
import { DashboardQuery, SparklinesQuery } from './dashboard.service.ts';
import { EventMetricsQuery, RequestMetricsQuery } from './metrics.service.ts';
import type { Services } from '../services.ts';

/**
 * GET /metrics/requests and /metrics/events (seed 002): zero-filled histograms of the logs;
 * GET /metrics/dashboard and /metrics/sparklines: the portal's dashboard and its lists' sparklines.
 */
export function metricsRoutes({ metrics, dashboard }: Pick<Services, 'metrics' | 'dashboard'>): Router {
  const r = Router();

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
