import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth.middleware.ts';
import { listParams } from '../core/pagination.ts';
import { idParam, query } from '../core/validate.ts';
import { refuseIgnoredStatus, requestFilterQuery, statusParam, toRequestFilter } from './log-filters.ts';
import type { RequestsLogService } from './requests-log.service.ts';

export const RequestsQuery = requestFilterQuery({
  limit: listParams.limit,
  next: listParams.next,
  prev: listParams.prev,
  cursor: listParams.cursor,
  dir: listParams.dir,
  include: z.string().max(50).optional(),
});
export const CountQuery = requestFilterQuery({});

export function requestsRoutes(requests: RequestsLogService): Router {
  const r = Router();

  r.get('/requests', async (req, res) => {
    const p = query(req, RequestsQuery);
    res.json(await requests.list(authOf(req).workspaceId, toRequestFilter(p), p, p.include === 'data'));
  });

  r.get('/requests/count', async (req, res) => {
    const f = toRequestFilter(query(req, CountQuery));
    res.json(await requests.count(authOf(req).workspaceId, f));
  });

  r.get('/requests/:id', async (req, res) => {
    res.json(await requests.get(authOf(req).workspaceId, idParam(req, 'req', 'Request')));
  });

  r.get('/requests/:id/outcome', async (req, res) => {
    res.json(await requests.outcome(authOf(req).workspaceId, idParam(req, 'req', 'Request')));
  });

  r.get('/requests/:id/events', async (req, res) => {
    const ws = authOf(req).workspaceId;
    const id = idParam(req, 'req', 'Request');
    // A missing request answers 404 (or 410) even when the status filter is also wrong.
    await requests.mustExist(ws, id);
    refuseIgnoredStatus(req.query.status);
    const { status } = query(req, z.object({ status: statusParam.optional() }));
    res.json(await requests.events(ws, id, status));
  });

  r.get('/requests/:id/ignored_events', async (req, res) => {
    res.json(await requests.ignoredEvents(authOf(req).workspaceId, idParam(req, 'req', 'Request')));
  });

  r.post('/requests/:id/retry', async (req, res) => {
    res.status(202).json(await requests.retry(authOf(req).workspaceId, idParam(req, 'req', 'Request')));
  });
  return r;
}
