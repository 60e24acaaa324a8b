import { Router, type Request, type RequestHandler } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { withRuntimeValues } from '../auth/privileges.ts';
import { body, idParam, query } from '../core/validate.ts';
import { TransformationIn, TransformationPatch } from './transformation-schema.ts';
import { ExecutionsQuery, RunIn, TransformationsQuery } from './transformations.service.ts';
import type { Services } from '../services.ts';

/** Seed 002's Transformations: CRUD, upsert by name, runs on a sample, and each saved one's executions. */
export function transformationsRoutes(svc: Services['transformations']): Router {
  const r = Router();
  const ws = (req: Request) => authOf(req).workspaceId;
  const id = (req: Request) => idParam(req, 'trs', 'Transformation');

  r.get('/transformations', async (req, res) => {
    const page = await svc.list(ws(req), query(req, TransformationsQuery));
    res.json({ ...page, models: page.models.map((m) => withRuntimeValues(authOf(req), m)) });
  });
  r.post('/transformations', async (req, res) => {
    res.status(201).json(await svc.create(ws(req), body(req, TransformationIn)));
  });
  r.put('/transformations', async (req, res) => {
    const { created, model } = await svc.upsert(ws(req), body(req, TransformationIn));
    res.status(created ? 201 : 200).json(model);
  });
  // Before /transformations/:id, which would read "run" as an id.
  const run: RequestHandler = async (req, res) => {
    res.json(await svc.run(ws(req), body(req, RunIn)));
  };
  r.put('/transformations/run', run);
  r.post('/transformations/run', run);
  r.get('/transformations/:id', async (req, res) => {
    res.json(withRuntimeValues(authOf(req), await svc.get(ws(req), id(req))));
  });
  const update: RequestHandler = async (req, res) => {
    res.json(await svc.update(ws(req), id(req), body(req, TransformationPatch)));
  };
  r.put('/transformations/:id', update);
  r.patch('/transformations/:id', update);
  r.delete('/transformations/:id', async (req, res) => {
    const transformationId = id(req);
    await svc.remove(ws(req), transformationId);
    res.json({ id: transformationId, deleted: true });
  });
  r.get('/transformations/:id/executions', async (req, res) => {
    res.json(await svc.executions(ws(req), id(req), query(req, ExecutionsQuery)));
  });
  r.get('/transformations/:id/executions/:executionId', async (req, res) => {
    res.json(await svc.execution(ws(req), id(req), idParam(req, 'exe', 'Transformation execution', 'executionId')));
  });
  return r;
}
