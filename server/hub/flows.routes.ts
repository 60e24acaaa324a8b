import { Router, type Request, type RequestHandler } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { body, idParam } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { FlowIn, FlowPatch, flowsService } from './flows.service.ts';

/** Flows: the editor's pictures; each destination node is an ordinary webhook underneath. */
export function flowsRoutes(deps: Deps): Router {
  const r = Router();
  const svc = flowsService(deps);
  const ws = (req: Request) => authOf(req).workspaceId;
  const id = (req: Request) => idParam(req, 'flw', 'Flow');

  r.get('/flows', async (req, res) => {
    res.json(await svc.list(ws(req)));
  });
  r.post('/flows', async (req, res) => {
    res.status(201).json(await svc.create(ws(req), body(req, FlowIn)));
  });
  r.get('/flows/:id', async (req, res) => {
    res.json(await svc.get(ws(req), id(req)));
  });
  const update: RequestHandler = async (req, res) => {
    res.json(await svc.update(ws(req), id(req), body(req, FlowPatch)));
  };
  r.put('/flows/:id', update);
  r.patch('/flows/:id', update);
  r.delete('/flows/:id', async (req, res) => {
    const flowId = id(req);
    await svc.remove(ws(req), flowId);
    res.json({ id: flowId, deleted: true });
  });
  return r;
}
