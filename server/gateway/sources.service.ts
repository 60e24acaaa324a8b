import { z } from 'zod';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { paginate } from '../core/pagination.ts';
import { descriptionSchema, nameSchema } from '../core/validate.ts';
import type { SourceRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { APPLICATION_SOURCE_TYPE } from './source-types.ts';
import { uniquelyNamed, upsertByName } from './named-resource.ts';
import type { ReadOptions, ResourceService } from './resource-routes.ts';
import { SourceAuthSchema, sourceAuthOf, type SourceAuth } from './source-auth.ts';
import { presetOf } from './source-presets/index.ts';

const METHODS = ['POST', 'PUT', 'PATCH'] as const;

const SourceConfig = z
  .object({
    auth: SourceAuthSchema.nullable().optional(),
    allowed_http_methods: z.array(z.enum(METHODS)).min(1).optional(),
  })
  .strict();

const SourceType = z
  .string()
  .trim()
  .regex(/^[A-Z0-9_]{1,40}$/, 'must be an upper-case type such as WEBHOOK')
  .refine((t) => t !== APPLICATION_SOURCE_TYPE, `${APPLICATION_SOURCE_TYPE} is reserved for the workspace's built-in application source`);

const SourceObject = z
  .object({
    name: nameSchema,
    description: descriptionSchema,
    type: SourceType.default('WEBHOOK'),
    config: SourceConfig.default({}),
  })
  .strict();

/** A vendor type's `config.auth` may leave out its `type`: the source's type implies it. */
function impliedAuthType(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const input = raw as { type?: unknown; config?: { auth?: unknown } };
  const preset = presetOf(typeof input.type === 'string' ? input.type.trim() : undefined);
  const auth = input.config?.auth;
  if (!preset || !auth || typeof auth !== 'object' || Array.isArray(auth) || 'type' in auth) return raw;
  return { ...input, config: { ...input.config, auth: { type: preset.authType, ...auth } } };
}

/** A vendor source verifies that vendor's signatures: it needs their secret, and no other auth. */
const checkPreset = (requireAuth: boolean) => (v: { type?: string; config?: { auth?: SourceAuth | null } }, ctx: z.RefinementCtx) => {
  const preset = presetOf(v.type);
  if (!preset) return;
  const auth = v.config?.auth;
  if (auth === undefined && !requireAuth) return;
  if (!auth)
    ctx.addIssue({
      code: 'custom',
      path: ['config', 'auth'],
      message: `a ${preset.sourceType} source needs config.auth.webhook_secret_key, the secret that signs its ${preset.header} header`,
    });
  else if (auth.type !== preset.authType)
    ctx.addIssue({
      code: 'custom',
      path: ['config', 'auth', 'type'],
      message: `a ${preset.sourceType} source verifies ${preset.authType} signatures; leave out the type or use "${preset.authType}"`,
    });
};

export const SourceIn = z.preprocess(impliedAuthType, SourceObject.superRefine(checkPreset(true)));
// zod 4 fills defaults even inside .partial(); a field the PATCH leaves out must keep its stored value.
export const SourcePatch = z.preprocess(
  impliedAuthType,
  SourceObject.extend({ type: SourceType.optional(), config: SourceConfig.optional() }).partial().strict().superRefine(checkPreset(false)),
);
export type SourceInT = z.output<typeof SourceIn>;
export type SourcePatchT = z.output<typeof SourcePatch>;

// The same leading fields as DestinationOut in destinations.service.ts (and sourceOut begins as destinationOut
// does): kept spelled out, so each API shape reads in its own order.
export type SourceOut = {
  id: string;
  team_id: string;
  name: string;
  description: string | null;
  type: string;
  url: string;
  config: { auth_type: SourceAuth['type'] | null; auth?: SourceAuth | null; allowed_http_methods: string[] };
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

export function sourceOut(deps: Deps, row: SourceRow, opts: ReadOptions = { includeAuth: false }): SourceOut {
  const auth = sourceAuthOf(deps, row);
  return {
    id: row.id,
    team_id: row.workspace_id,
    name: row.name,
    description: row.description,
    type: row.type,
    url: `${deps.config.publicUrl}/e/${row.id}`,
    config: {
      auth_type: auth?.type ?? null,
      ...(opts.includeAuth ? { auth } : {}),
      allowed_http_methods: (row.config.allowed_http_methods as string[] | undefined) ?? [...METHODS],
    },
    disabled_at: row.disabled_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export type SourcesService = ResourceService<SourceInT, SourcePatchT, SourceOut>;

export function sourcesService(deps: Deps): SourcesService {
  const { db } = deps;

  const stored = (input: Partial<SourceInT>) => ({
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.type !== undefined ? { type: input.type } : {}),
    ...(input.config !== undefined
      ? {
          config: JSON.stringify(input.config.allowed_http_methods ? { allowed_http_methods: input.config.allowed_http_methods } : {}),
          ...(input.config.auth !== undefined ? { auth_enc: input.config.auth ? deps.box.sealJson(input.config.auth) : null } : {}),
        }
      : {}),
  });

  const find = async (ws: string, id: string) => {
    const row = await db.selectFrom('sources').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Source', id);
    return row;
  };

  return {
    async list(ws, params, opts) {
      let q = db.selectFrom('sources').selectAll().where('workspace_id', '=', ws);
      if (params.name) q = q.where('name', '=', params.name);
      if (params.disabled) q = q.where('disabled_at', params.disabled === 'true' ? 'is not' : 'is', null);
      const page = await paginate(q, params, params.order_by);
      return { ...page, models: page.models.map((m) => sourceOut(deps, m, opts)) };
    },
    async get(ws, id, opts) {
      return sourceOut(deps, await find(ws, id), opts);
    },
    async create(ws, input) {
      const row = await uniquelyNamed('source', input.name, () =>
        db
          .insertInto('sources')
          .values({
            id: newId('src'),
            workspace_id: ws,
            name: input.name,
            description: input.description ?? null,
            type: input.type,
            config: '{}',
            auth_enc: null,
            ...stored(input),
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return deps.routing.changed(sourceOut(deps, row));
    },
    async upsert(ws, input, caller) {
      return upsertByName(db, 'sources', ws, input.name, { create: () => this.create(ws, input, caller), update: (id) => this.update(ws, id, input, caller) });
    },
    async update(ws, id, patch) {
      const before = await find(ws, id);
      if (before.type === APPLICATION_SOURCE_TYPE && patch.type !== undefined) {
        throw new AppError(409, 'BUILT_IN_SOURCE', `Source ${id} is the built-in application source; its type cannot be changed.`);
      }
      const row = await uniquelyNamed('source', patch.name, () =>
        db
          .updateTable('sources')
          .set({ ...stored(patch), updated_at: new Date() })
          .where('workspace_id', '=', ws)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return deps.routing.changed(sourceOut(deps, row));
    },
    async setDisabled(ws, id, disabled) {
      const before = await find(ws, id);
      const now = new Date();
      const row = await db.transaction().execute(async (trx) => {
        // Disabling a source disables its connections (seed 002); enabling brings back those it took down.
        if (disabled && !before.disabled_at) {
          await trx
            .updateTable('connections')
            .set({ disabled_at: now, updated_at: now })
            .where('source_id', '=', id)
            .where('disabled_at', 'is', null)
            .execute();
        } else if (!disabled && before.disabled_at) {
          await trx
            .updateTable('connections')
            .set({ disabled_at: null, updated_at: now })
            .where('source_id', '=', id)
            .where('disabled_at', '=', before.disabled_at)
            .execute();
        }
        return trx
          .updateTable('sources')
          .set({ disabled_at: disabled ? (before.disabled_at ?? now) : null, updated_at: now })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
      });
      return deps.routing.changed(sourceOut(deps, row));
    },
    async remove(ws, id) {
      const row = await find(ws, id);
      if (row.type === APPLICATION_SOURCE_TYPE) {
        throw new AppError(
          403,
          'BUILT_IN_SOURCE',
          `Source ${id} is the built-in application source of published events and cannot be deleted; disable it instead.`,
        );
      }
      const gone = await db.deleteFrom('sources').where('workspace_id', '=', ws).where('id', '=', id).returning('id').executeTakeFirst();
      if (!gone) throw notFound('Source', id);
      deps.routing.invalidate();
    },
  };
}
