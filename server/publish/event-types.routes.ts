import { Router, type Request } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { notFound } from '../core/errors.ts';
import { body } from '../core/validate.ts';
import { eventTypeName, EventTypeIn } from './event-types.service.ts';
import type { Services } from '../services.ts';

/** `GET|POST /event-types`, `GET|DELETE /event-types/:name`: the catalogue, built-in and custom. */
export function eventTypesRoutes(svc: Services['eventTypes']): Router {
  const r = Router();
  const ws = (req: Request) => authOf(req).workspaceId;
  // A name that could never be declared is simply not there.
  const nameParam = (req: Request) => {
    const parsed = eventTypeName.safeParse(req.params.name);
    if (!parsed.success) throw notFound('Event type', String(req.params.name).slice(0, 100));
    return parsed.data;
  };

  r.get('/event-types', async (req, res) => {
    res.json(await svc.list(ws(req)));
  });
  r.post('/event-types', async (req, res) => {
    res.status(201).json(await svc.create(ws(req), body(req, EventTypeIn)));
  });
  r.get('/event-types/:name', async (req, res) => {
    res.json(await svc.get(ws(req), nameParam(req)));
  });
  r.delete('/event-types/:name', async (req, res) => {
    const name = nameParam(req);
    await svc.remove(ws(req), name);
    res.json({ name, deleted: true });
  });
  return r;
}
