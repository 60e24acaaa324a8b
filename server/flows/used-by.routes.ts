import { Router, type Request } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { notFound } from '../core/errors.ts';
import { idParam, query } from '../core/validate.ts';
import { eventTypeName } from '../publish/event-types.service.ts';
import { SecretName, UsedByQuery, type UsedByKindT } from './used-by.service.ts';
import type { Services } from '../services.ts';

/**
 * Where each object is used. `GET /used-by?kind=source` answers every used object of a kind at
 * once (a list page's rows); `GET /<objects>/:id/used-by` one object, 404 when it is not the team's.
 */
export function usedByRoutes(svc: Services['usedBy']): Router {
  const r = Router();
  const ws = (req: Request) => authOf(req).workspaceId;

  r.get('/used-by', async (req, res) => {
    res.json(await svc.list(ws(req), query(req, UsedByQuery).kind));
  });
  const byId: [string, UsedByKindT, (req: Request) => string][] = [
    ['/sources/:id/used-by', 'source', (req) => idParam(req, 'src', 'Source')],
    ['/destinations/:id/used-by', 'destination', (req) => idParam(req, 'des', 'Destination')],
    ['/connections/:id/used-by', 'connection', (req) => idParam(req, 'web', 'Connection')],
    ['/transformations/:id/used-by', 'transformation', (req) => idParam(req, 'trs', 'Transformation')],
    [
      '/event-types/:name/used-by',
      'event_type',
      (req) => {
        const parsed = eventTypeName.safeParse(req.params.name);
        if (!parsed.success) throw notFound('Event type', String(req.params.name).slice(0, 100));
        return parsed.data;
      },
    ],
    [
      '/project-secrets/:name/used-by',
      'secret',
      (req) => {
        const parsed = SecretName.safeParse(req.params.name);
        if (!parsed.success) throw notFound('Project secret', String(req.params.name).slice(0, 100));
        return parsed.data;
      },
    ],
  ];
  for (const [path, kind, id] of byId) {
    r.get(path, async (req, res) => {
      res.json(await svc.get(ws(req), kind, id(req)));
    });
  }
  return r;
}
