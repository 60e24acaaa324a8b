import { z } from 'zod';
import { isForbiddenHost } from '../../connectors/http/address.ts';
import { HttpAuthSchema, HttpConfigSchema, type HttpConfig } from '../../connectors/http/config.ts';
import { AppError, conflict, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { paginate } from '../core/pagination.ts';
import { descriptionSchema, nameSchema } from '../core/validate.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { DestinationRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { holdDestinationEvents, releaseHeld } from '../delivery/holds.ts';
import type { ReadOptions, ResourceService } from './resource-routes.ts';

// `url` at the top level is accepted as shorthand for `config.url`, as the seed allows.
const liftUrl = (v: unknown) => {
  if (v && typeof v === 'object' && 'url' in v) {
    const { url, config, ...rest } = v as { url: unknown; config?: Record<string, unknown> };
    return { ...rest, config: { ...(config ?? {}), url } };
  }
  return v;
};

const DestinationBase = z
  .object({
    name: nameSchema,
    description: descriptionSchema,
    type: z.literal('HTTP', { message: 'only HTTP destinations exist for now' }).default('HTTP'),
    config: HttpConfigSchema,
  })
  .strict();

export const DestinationIn = z.preprocess(liftUrl, DestinationBase);
export const DestinationPatch = z.preprocess(
  liftUrl,
  DestinationBase.extend({
    // zod 4 fills defaults even inside .partial(); a field the PATCH leaves out must keep its stored value.
    config: HttpConfigSchema.partial()
      .extend({
        auth: HttpAuthSchema.optional(),
        headers: HttpConfigSchema.shape.headers.removeDefault().optional(),
        http_method: HttpConfigSchema.shape.http_method.removeDefault().optional(),
        timeout_ms: HttpConfigSchema.shape.timeout_ms.removeDefault().optional(),
        rate_limit_period: HttpConfigSchema.shape.rate_limit_period.removeDefault().optional(),
      })
      .strict(),
  }).partial(),
);
export type DestinationInT = z.output<typeof DestinationIn>;
export type DestinationPatchT = z.output<typeof DestinationPatch>;

type Secrets = { auth: HttpConfig['auth']; headers: Record<string, string> };
type PublicConfig = Omit<HttpConfig, 'auth' | 'headers'>;

export type DestinationOut = {
  id: string;
  team_id: string;
  name: string;
  description: string | null;
  type: string;
  config: PublicConfig & { headers: Record<string, string>; auth_type: HttpConfig['auth']['type']; auth?: HttpConfig['auth'] };
  disabled_at: Date | null;
  disabled_reason: string | null;
  consecutive_failures: number;
  created_at: Date;
  updated_at: Date;
};

/** The full connector config of a stored destination, credentials included. */
export function destinationConfig(deps: Deps, row: Pick<DestinationRow, 'config' | 'auth_enc'>): HttpConfig {
  const secrets: Secrets = row.auth_enc ? deps.box.openJson<Secrets>(row.auth_enc) : { auth: { type: 'none' }, headers: {} };
  return { ...(row.config as PublicConfig), ...secrets };
}

export function destinationOut(deps: Deps, row: DestinationRow, opts: ReadOptions = { includeAuth: false }): DestinationOut {
  const { auth, headers, ...rest } = destinationConfig(deps, row);
  return {
    id: row.id,
    team_id: row.workspace_id,
    name: row.name,
    description: row.description,
    type: row.type,
    config: { ...rest, headers, auth_type: auth.type, ...(opts.includeAuth ? { auth } : {}) },
    disabled_at: row.disabled_at,
    disabled_reason: row.disabled_reason,
    consecutive_failures: row.consecutive_failures,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function destinationsService(deps: Deps): ResourceService<DestinationInT, DestinationPatchT, DestinationOut> {
  const { db } = deps;


  const checkUrl = (url: string) => {
    if (deps.config.allowPrivateDestinations) return;
    const host = new URL(url).hostname;
    if (isForbiddenHost(host)) {
      throw new AppError(422, 'PRIVATE_DESTINATION', `${host} is a private, loopback or link-local address; Wirehub does not deliver there unless WIREHUB_ALLOW_PRIVATE_DESTINATIONS=true.`, [
        { path: 'config.url', message: 'must be a public address' },
      ]);
    }
  };

  const split = (config: HttpConfig) => {
    const { auth, headers, ...publicConfig } = config;
    return { config: JSON.stringify(publicConfig), auth_enc: deps.box.sealJson({ auth, headers } satisfies Secrets) };
  };

  const find = async (ws: string, id: string) => {
    const row = await db.selectFrom('destinations').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Destination', id);
    return row;
  };

  return {
    async list(ws, params, opts) {
      let q = db.selectFrom('destinations').selectAll().where('workspace_id', '=', ws);
      if (params.name) q = q.where('name', '=', params.name);
      if (params.disabled) q = q.where('disabled_at', params.disabled === 'true' ? 'is not' : 'is', null);
      const page = await paginate(q, params, params.order_by);
      return { ...page, models: page.models.map((m) => destinationOut(deps, m, opts)) };
    },
    async get(ws, id, opts) {
      return destinationOut(deps, await find(ws, id), opts);
    },
    async create(ws, input) {
      checkUrl(input.config.url);
      try {
        const row = await db
          .insertInto('destinations')
          .values({ id: newId('des'), workspace_id: ws, name: input.name, description: input.description ?? null, type: input.type, ...split(input.config) })
          .returningAll()
          .executeTakeFirstOrThrow();
        return deps.routing.changed(destinationOut(deps, row));
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`A destination named "${input.name}" already exists.`, { name: input.name });
        throw err;
      }
    },
    async upsert(ws, input) {
      const existing = await db.selectFrom('destinations').select('id').where('workspace_id', '=', ws).where('name', '=', input.name).executeTakeFirst();
      if (!existing) return { created: true, model: await this.create(ws, input) };
      return { created: false, model: await this.update(ws, existing.id, input) };
    },
    async update(ws, id, patch) {
      const before = await find(ws, id);
      let stored = {};
      if (patch.config) {
        // A partial config merges over what is stored, so a PATCH of the URL keeps the credentials.
        const merged = HttpConfigSchema.safeParse({ ...destinationConfig(deps, before), ...patch.config });
        if (!merged.success) throw new AppError(400, 'VALIDATION_ERROR', 'Invalid destination config', merged.error.issues);
        checkUrl(merged.data.url);
        stored = split(merged.data);
      }
      try {
        const row = await db
          .updateTable('destinations')
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...stored,
            updated_at: new Date(),
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return deps.routing.changed(destinationOut(deps, row));
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`A destination named "${patch.name}" already exists.`, { name: patch.name });
        throw err;
      }
    },
    async setDisabled(ws, id, disabled) {
      const before = await find(ws, id);
      const now = new Date();
      const row = await db
        .updateTable('destinations')
        .set(
          disabled
            ? { disabled_at: before.disabled_at ?? now, disabled_reason: before.disabled_reason ?? 'disabled by a user', updated_at: now }
            : { disabled_at: null, disabled_reason: null, consecutive_failures: 0, updated_at: now },
        )
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (disabled) await holdDestinationEvents(db, id);
      else deps.wake(await releaseHeld(db, { destinationId: id }));
      return deps.routing.changed(destinationOut(deps, row));
    },
    async remove(ws, id) {
      const gone = await db.deleteFrom('destinations').where('workspace_id', '=', ws).where('id', '=', id).returning('id').executeTakeFirst();
      if (!gone) throw notFound('Destination', id);
      // Events of a deleted destination can never be delivered; say so rather than leave them queued.
      await db.updateTable('events').set({ status: 'CANCELLED', next_attempt_at: null, updated_at: new Date() }).where('destination_id', '=', id).where('status', 'in', ['QUEUED', 'SCHEDULED', 'HOLD']).execute();
      deps.routing.invalidate();
    },
  };
}
