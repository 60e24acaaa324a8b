import { isDeepStrictEqual } from 'node:util';
import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { authOf, type AuthContext } from '../auth/auth.middleware.ts';
import { requireSecretsManager } from '../auth/privileges.ts';
import { listParams, type Page } from '../core/pagination.ts';
import { body, idParam, parse, query } from '../core/validate.ts';

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
  const includeAuth = String(req.query.include ?? '')
    .split(',')
    .includes('config.auth');
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
    const resourceId = id(req);
    const patch = await patchOf(req.body, schemas.patch, () => svc.get(ws(req), resourceId, { includeAuth: false }));
    res.json(await svc.update(ws(req), resourceId, patch, authOf(req)));
  };
  r.put(`${path}/:id`, update);
  r.patch(`${path}/:id`, update);
  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
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

/**
 * The body of an update, as seed 002's clients send it: what they read, with a field changed.
 * What is sent back unchanged is dropped (a masked secret is not written over the secret, a
 * derived `auth_type` is not refused); fields the answer carries but a write does not take (`id`,
 * `url`, `status`, `created_at`…) are ignored whatever their value; a field neither takes nor
 * carries (a typo) is still refused.
 */
async function patchOf<Patch>(raw: unknown, schema: z.ZodType<Patch>, current: () => Promise<unknown>): Promise<Patch> {
  if (!isObject(raw) || Object.keys(raw).length === 0) return parse(schema, raw ?? {}, 'body');
  const model = await current();
  let value: unknown = withoutEchoes(raw, model) ?? {};
  // Each round drops what the answer carries among the fields refused; a nested object is only
  // checked once its parent is taken, so a few rounds, bounded by the body's depth.
  for (let round = 0; round < 4; round++) {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const readOnly = result.error.issues
      .flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k]) : []))
      .filter((path) => at(model, path) !== undefined);
    if (readOnly.length === 0) break;
    value = structuredClone(value);
    for (const path of readOnly) {
      const parent = at(value, path.slice(0, -1));
      if (isObject(parent)) delete parent[String(path[path.length - 1])];
    }
  }
  return parse(schema, value, 'body');
}

/** `sent` without what equals `read` at the same place: undefined when nothing is left of it. */
function withoutEchoes(sent: unknown, read: unknown): unknown {
  if (isDeepStrictEqual(sent, read)) return undefined;
  if (!isObject(sent) || !isObject(read)) return sent;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sent)) {
    const kept = Object.hasOwn(read, k) ? withoutEchoes(v, read[k]) : v;
    if (kept !== undefined) out[k] = kept;
  }
  // An object sent empty on purpose (`headers: {}` clears them) is kept; one emptied of echoes is not.
  return Object.keys(out).length === 0 && Object.keys(sent).length > 0 ? undefined : out;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The value at `path` in `root`, through own properties only; undefined when there is none. */
function at(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}
