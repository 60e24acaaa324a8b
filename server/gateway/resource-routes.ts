import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { authOf, type AuthContext } from '../auth/auth.middleware.ts';
import { requireSecretsManager } from '../auth/privileges.ts';
import { listParams, type Page } from '../core/pagination.ts';
import { body, idParam, query } from '../core/validate.ts';

export type ReadOptions = { includeAuth: boolean };

/** The operations sources, destinations and connections share (seed 002 gives them one shape). */
export interface ResourceService<In, Patch, Out> {
  list(workspaceId: string, params: z.output<typeof ListQuery>, opts: ReadOptions): Promise<Page<Out>>;
  get(workspaceId: string, id: string, opts: ReadOptions): Promise<Out>;
  /** `caller`: who asks, for rules that depend on the role (credentials follow the address). */
  create(workspaceId: string, input: In, caller: AuthContext): Promise<Out>;
  upsert(workspaceId: string, input: In, caller: AuthContext): Promise<{ created: boolean; model: Out }>;
  update(workspaceId: string, id: string, patch: Patch, caller: AuthContext): Promise<Out>;
  setDisabled(workspaceId: string, id: string, disabled: boolean): Promise<Out>;
  remove(workspaceId: string, id: string): Promise<void>;
}

export const ListQuery = z.object({
  ...listParams,
  include: z.string().max(100).optional(),
  name: z.string().max(155).optional(),
  disabled: z.enum(['true', 'false']).optional(),
  source_id: z.string().max(64).optional(),
  destination_id: z.string().max(64).optional(),
});

/** Stored credentials in clear only for those who may see secrets; anyone else asking is told so (403), not quietly given masks. */
export const readOptions = (req: Request): ReadOptions => {
  const includeAuth = String(req.query.include ?? '').split(',').includes('config.auth');
  if (includeAuth) requireSecretsManager(req, 'read stored credentials (include=config.auth)');
  return { includeAuth };
};

export function resourceRoutes<In, Patch, Out>(
  path: string,
  prefix: string,
  what: string,
  schemas: { create: z.ZodType<In>; patch: z.ZodType<Patch> },
  svc: ResourceService<In, Patch, Out>,
): Router {
  const r = Router();
  const id = (req: Request) => idParam(req, prefix, what);
  const ws = (req: Request) => authOf(req).workspaceId;

  r.get(path, async (req, res) => {
    res.json(await svc.list(ws(req), query(req, ListQuery), readOptions(req)));
  });
  r.post(path, async (req, res) => {
    res.status(201).json(await svc.create(ws(req), body(req, schemas.create), authOf(req)));
  });
  r.put(path, async (req, res) => {
    const { created, model } = await svc.upsert(ws(req), body(req, schemas.create), authOf(req));
    res.status(created ? 201 : 200).json(model);
  });
  r.get(`${path}/:id`, async (req, res) => {
    res.json(await svc.get(ws(req), id(req), readOptions(req)));
  });
  const update: RequestHandler = async (req, res) => {
    res.json(await svc.update(ws(req), id(req), body(req, schemas.patch), authOf(req)));
  };
  r.put(`${path}/:id`, update);
  r.patch(`${path}/:id`, update);
  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    const handler: RequestHandler = async (req, res) => {
      res.json(await svc.setDisabled(ws(req), id(req), disabled));
    };
    r.put(`${path}/:id/${action}`, handler);
    r.post(`${path}/:id/${action}`, handler);
  }
  r.delete(`${path}/:id`, async (req, res) => {
    const resourceId = id(req);
    await svc.remove(ws(req), resourceId);
    res.json({ id: resourceId, deleted: true });
  });
  return r;
}
