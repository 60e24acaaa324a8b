import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth.middleware.ts';
import { listParams } from '../core/pagination.ts';
import { idParam, query } from '../core/validate.ts';
import type { EventsLogService } from './events-log.service.ts';
import { eventFilterQuery, refuseIgnoredStatus, toEventFilter } from './log-filters.ts';

/** The logs page by id (time-ordered): every list parameter but the order. */
const PAGE = { limit: listParams.limit, next: listParams.next, prev: listParams.prev, cursor: listParams.cursor, dir: listParams.dir };

export const EventsQuery = eventFilterQuery(PAGE);
export const CountQuery = eventFilterQuery({});

export const AttemptsQuery = z.object({
  event_id: z.string().max(64).optional(),
  destination_id: z.string().max(64).optional(),
  ...PAGE,
});

export const IgnoredQuery = z.object({
  request_id: z.string().max(64).optional(),
  connection_id: z.string().max(64).optional(),
  webhook_id: z.string().max(64).optional(),
  cause: z.string().max(64).optional(),
  ...PAGE,
});

export function eventsRoutes(events: EventsLogService): Router {
  const r = Router();

  // Before /events/:id. Seed 002 lists them per request (GET /requests/:id/ignored_events); this is the team's whole list.
  r.get('/ignored_events', async (req, res) => {
    const p = query(req, IgnoredQuery);
    res.json(await events.listIgnored(authOf(req).workspaceId, { ...p, connection_id: p.connection_id ?? p.webhook_id }, p));
  });

  r.get('/events', async (req, res) => {
    refuseIgnoredStatus(req.query.status);
    const ws = authOf(req).workspaceId;
    const p = query(req, EventsQuery);
    res.json(await events.list(ws, toEventFilter(p), p));
  });

  r.get('/events/count', async (req, res) => {
    refuseIgnoredStatus(req.query.status);
    const f = toEventFilter(query(req, CountQuery));
    res.json(await events.count(authOf(req).workspaceId, f));
  });

  r.get('/events/:id', async (req, res) => {
    res.json(await events.get(authOf(req).workspaceId, idParam(req, 'evt', 'Event')));
  });

  r.post('/events/:id/retry', async (req, res) => {
    res.status(202).json(await events.retry(authOf(req).workspaceId, idParam(req, 'evt', 'Event')));
  });

  r.get('/attempts', async (req, res) => {
    const p = query(req, AttemptsQuery);
    res.json(await events.listAttempts(authOf(req).workspaceId, p, p));
  });

  r.get('/attempts/:id', async (req, res) => {
    res.json(await events.getAttempt(authOf(req).workspaceId, idParam(req, 'atm', 'Attempt')));
  });
  return r;
}
