import { Router, type Request } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { idParam, query } from '../core/validate.ts';
import { MockRequestsQuery } from './mock-api.service.ts';
import type { Services } from '../services.ts';

/** What a MOCK_API destination received: `/destinations/:id/mock_requests[/:requestId]`, and clearing it. */
export function mockApiRoutes(svc: Services['mockApi']): Router {
  const r = Router();
  const ws = (req: Request) => authOf(req).workspaceId;
  const destination = (req: Request) => idParam(req, 'des', 'Destination');

  r.get('/destinations/:id/mock_requests', async (req, res) => {
    res.json(await svc.list(ws(req), destination(req), query(req, MockRequestsQuery)));
  });
  r.get('/destinations/:id/mock_requests/:requestId', async (req, res) => {
    res.json(await svc.get(ws(req), destination(req), idParam(req, 'mrq', 'Mock request', 'requestId')));
  });
  r.delete('/destinations/:id/mock_requests', async (req, res) => {
    res.json(await svc.clear(ws(req), destination(req)));
  });
  return r;
}
