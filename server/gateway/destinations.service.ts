import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { connectorFor, connectorTypes } from '../../connectors/index.ts';
import { requireCredentialsFollowAddress } from '../auth/credential-address.ts';
import { privateUrlRefusal } from '../../connectors/shared/guarded-http.ts';
import { httpConnector } from '../../connectors/http-webhook/index.ts';
import { mask } from '../core/crypto.ts';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { paginate } from '../core/pagination.ts';
import { descriptionSchema, nameSchema } from '../core/validate.ts';
import type { DB, DestinationRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { holdDestinationEvents, releaseHeld } from '../delivery/holds.ts';
import type { CredentialsService } from '../settings/credentials.service.ts';
import { connectorOf, destinationConfig, sealConfig, type AnyConnector, type DestinationConfig } from './destination-config.ts';
import { uniquelyNamed, upsertByName } from './named-resource.ts';
import type { ReadOptions, ResourceService } from './resource-routes.ts';

// The hub's flows take these from here; delivery and the credentials import destination-config.ts.
export { connectorOf, destinationConfig, sealConfig, type DestinationConfig };

// `url` at the top level is accepted as shorthand for `config.url`, as the seed allows.
const liftUrl = (v: unknown) => {
  if (v && typeof v === 'object' && 'url' in v) {
    const { url, config, ...rest } = v as { url: unknown; config?: Record<string, unknown> };
    return { ...rest, config: { ...(config ?? {}), url } };
  }
  return v;
};

const typeSchema = z.string().min(1).max(64);
// Deliveries of this destination in flight at once; null: the hub's default (WIREHUB_DESTINATION_CONCURRENCY).
export const maxConcurrencySchema = z.number().int().min(1).max(1000).nullable();
const configSchema = z.record(z.string(), z.unknown());

/** Validates a config with its connector's schema, reporting issues under `config.…`. */
export function parseConfig(type: string, config: unknown, ctx: z.RefinementCtx): DestinationConfig | typeof z.NEVER {
  const connector = connectorFor(type);
  if (!connector) ctx.addIssue({ code: 'custom', path: ['type'], message: `unknown destination type "${type}"; use one of ${connectorTypes().join(', ')}` });
  // An unknown type is checked as a webhook too, so every mistake is reported at once.
  const parsed = (connector ?? (httpConnector as unknown as AnyConnector)).configSchema.safeParse(config);
  if (!parsed.success) for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['config', ...i.path], message: i.message });
  return connector && parsed.success ? (parsed.data as DestinationConfig) : z.NEVER;
}

/**
 * A config naming a saved credential (`credential_id`) lacks its secret until the service fills it
 * in, so only its type is checked here; the whole config is validated once expanded.
 */
function parseConfigOrDefer(type: string, config: DestinationConfig, ctx: z.RefinementCtx): DestinationConfig | typeof z.NEVER {
  return config.credential_id === undefined || !connectorFor(type) ? parseConfig(type, config, ctx) : config;
}

/** Validates a complete config, naming problems as `body.config.…` like the request's own validation. */
function validConfig(connector: AnyConnector, config: DestinationConfig): DestinationConfig {
  const parsed = connector.configSchema.safeParse(config);
  if (!parsed.success) {
    throw new AppError(
      400,
      'VALIDATION_ERROR',
      'Invalid destination config',
      parsed.error.issues.map((i) => ({ path: ['body', 'config', ...i.path].join('.'), message: i.message })),
    );
  }
  return parsed.data as DestinationConfig;
}

export const DestinationIn = z.preprocess(
  liftUrl,
  z
    .object({
      name: nameSchema,
      description: descriptionSchema,
      type: typeSchema.default('HTTP'),
      config: configSchema,
      max_concurrency: maxConcurrencySchema.optional(),
    })
    .strict()
    .transform((d, ctx) => ({ ...d, config: parseConfigOrDefer(d.type, d.config, ctx) })),
);
// A PATCH's config is merged over the stored one and only then validated as a whole.
export const DestinationPatch = z.preprocess(
  liftUrl,
  z
    .object({ name: nameSchema, description: descriptionSchema, type: typeSchema, config: configSchema, max_concurrency: maxConcurrencySchema })
    .strict()
    .partial(),
);
export type DestinationInT = z.output<typeof DestinationIn>;
export type DestinationPatchT = z.output<typeof DestinationPatch>;

// The same leading fields as SourceOut in sources.service.ts (and destinationOut begins as sourceOut does):
// kept spelled out, so each API shape reads in its own order.
export type DestinationOut = {
  id: string;
  team_id: string;
  name: string;
  description: string | null;
  type: string;
  config: Record<string, unknown>;
  disabled_at: Date | null;
  disabled_reason: string | null;
  warning: string | null;
  consecutive_failures: number;
  /** Deliveries in flight at once: the destination's own limit, or null for the hub's default. */
  max_concurrency: number | null;
  /** Paused by Wirehub after timeouts or connection failures in a row (the circuit breaker). */
  circuit: Circuit;
  created_at: Date;
  updated_at: Date;
  /** Seed 002's 24-hour attempt metrics, on reads (list and get): attempts made in the last 24 hours, by outcome. */
  attempts_24h?: Attempts24h;
};

export type Attempts24h = { total: number; successful: number; failed: number };

export type Circuit =
  | { state: 'closed'; failures: number }
  | { state: 'open'; failures: number; reason: string; opened_at: Date; next_probe_at: Date | null; message: string };

/** The breaker as the API and the portal show it: "paused by Wirehub: 12 timeouts in a row, next probe 14:05". */
export function circuitOf(row: Pick<DestinationRow, 'circuit_failures' | 'circuit_opened_at' | 'circuit_probe_at' | 'circuit_reason'>): Circuit {
  if (!row.circuit_opened_at) return { state: 'closed', failures: row.circuit_failures };
  const reason = row.circuit_reason ?? `${row.circuit_failures} failures in a row`;
  const probe = row.circuit_probe_at;
  return {
    state: 'open',
    failures: row.circuit_failures,
    reason,
    opened_at: row.circuit_opened_at,
    next_probe_at: probe,
    message: `paused by Wirehub: ${reason}${probe ? `, next probe ${probe.toISOString()}` : ''}; its events wait and are delivered once a probe gets through`,
  };
}

/** A destination that is enabled again or given a new address deserves a fresh try. */
export const CLOSED_CIRCUIT = { circuit_failures: 0, circuit_opened_at: null, circuit_probe_at: null, circuit_reason: null } as const;

/**
 * What a response shows of a config: credentials masked unless `include=config.auth` asks for
 * them. An `auth` object shows as its `auth_type`; custom headers are shown (they are stored
 * encrypted because they often carry keys, but the owner needs to see which ones are set).
 */
export function publicConfig(connector: AnyConnector, config: DestinationConfig, includeAuth: boolean, destinationId?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (connector.hiddenFields?.includes(k)) out[k] = '••••';
    else if (includeAuth || !connector.secretFields.includes(k) || k === 'headers') out[k] = v;
    else if (k === 'auth' && v && typeof v === 'object' && 'type' in v) out.auth_type = (v as { type: unknown }).type;
    else out[k] = typeof v === 'string' ? mask(v) : '••••';
  }
  if (includeAuth && config.auth && typeof config.auth === 'object' && 'type' in config.auth) out.auth_type = (config.auth as { type: unknown }).type;
  return { ...out, ...(connector.describe ? connector.describe(config, destinationId ? { id: destinationId } : undefined) : {}) };
}

export function destinationOut(deps: Deps, row: DestinationRow, opts: ReadOptions = { includeAuth: false }): DestinationOut {
  const connector = connectorFor(row.type) ?? (httpConnector as unknown as AnyConnector);
  return {
    id: row.id,
    team_id: row.workspace_id,
    name: row.name,
    description: row.description,
    type: row.type,
    config: publicConfig(connector, destinationConfig(deps, row), opts.includeAuth, row.id),
    disabled_at: row.disabled_at,
    disabled_reason: row.disabled_reason,
    warning: row.warning,
    consecutive_failures: row.consecutive_failures,
    max_concurrency: row.max_concurrency,
    circuit: circuitOf(row),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Receivers and vendor base URLs on private networks are refused unless the operator allows them. */
export function checkDestinationUrls(deps: Pick<Deps, 'config'>, connector: Pick<AnyConnector, 'targetUrls'>, config: DestinationConfig): void {
  const policy = { allowPrivate: deps.config.allowPrivateDestinations, allowedPrivateHosts: deps.config.allowedPrivateHosts };
  for (const { path, url } of connector.targetUrls(config)) {
    if (!url) continue;
    const refused = privateUrlRefusal(policy, url);
    if (refused) {
      throw new AppError(
        422,
        'PRIVATE_DESTINATION',
        `${refused} (private network, loopback or link-local); Wirehub does not deliver there unless the operator lists its host:port in WIREHUB_ALLOWED_PRIVATE_HOSTS.`,
        [{ path: `config.${path}`, message: 'must be a public address' }],
      );
    }
  }
}

/** Deletes a destination (its connections go with it); false when there was none. */
export async function deleteDestination(db: Deps['db'], ws: string | null, id: string): Promise<boolean> {
  let q = db.deleteFrom('destinations').where('id', '=', id);
  if (ws) q = q.where('workspace_id', '=', ws);
  const gone = await q.returning('id').executeTakeFirst();
  if (!gone) return false;
  // Events of a deleted destination can never be delivered; say so rather than leave them queued.
  await db
    .updateTable('events')
    .set({ status: 'CANCELLED', next_attempt_at: null, updated_at: new Date() })
    .where('destination_id', '=', id)
    .where('status', 'in', ['QUEUED', 'SCHEDULED', 'HOLD'])
    .execute();
  return true;
}

export type DestinationsService = ResourceService<DestinationInT, DestinationPatchT, DestinationOut>;

export function destinationsService(deps: Deps, credentials: Pick<CredentialsService, 'applyTo'>): DestinationsService {
  const { db } = deps;
  /**
   * Fills in a saved credential's secret when the config names one (`credential_id`). Run inside
   * the transaction that stores the destination: the credential stays locked until then, so a
   * concurrent replace re-seals this destination too and a concurrent delete cannot miss it.
   */
  const expand = (trx: Kysely<DB>, ws: string, connector: AnyConnector, config: DestinationConfig) =>
    credentials.applyTo(ws, connector.id, config, { path: 'body.config.credential_id', db: trx });

  const find = async (ws: string, id: string) => {
    const row = await db.selectFrom('destinations').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Destination', id);
    return row;
  };

  /**
   * From the per-minute attempt counters (migration 018), never the attempts themselves: at most
   * 1,440 minutes of a few rows per destination, on their (team, minute, …) index.
   */
  const attempts24h = async (ws: string, ids: string[]): Promise<(id: string) => Attempts24h> => {
    const by = new Map<string, Attempts24h>();
    if (ids.length > 0) {
      const rows = await db
        .selectFrom('attempt_counts_1m')
        .select((eb) => [
          'destination_id',
          eb.fn.sum<string>('n').as('total'),
          sql<string>`coalesce(sum(n) FILTER (WHERE status = 'SUCCESSFUL'), 0)`.as('successful'),
          sql<string>`coalesce(sum(n) FILTER (WHERE status = 'FAILED'), 0)`.as('failed'),
        ])
        .where('workspace_id', '=', ws)
        .where('minute', '>=', sql<Date>`date_trunc('minute', now()) - interval '24 hours'`)
        .where('destination_id', 'in', ids)
        .groupBy('destination_id')
        .execute();
      for (const r of rows) by.set(r.destination_id, { total: Number(r.total), successful: Number(r.successful), failed: Number(r.failed) });
    }
    return (id) => by.get(id) ?? { total: 0, successful: 0, failed: 0 };
  };

  return {
    async list(ws, params, opts) {
      let q = db.selectFrom('destinations').selectAll().where('workspace_id', '=', ws);
      if (params.name) q = q.where('name', '=', params.name);
      if (params.disabled) q = q.where('disabled_at', params.disabled === 'true' ? 'is not' : 'is', null);
      const page = await paginate(q, params, params.order_by);
      const counts = await attempts24h(
        ws,
        page.models.map((m) => m.id),
      );
      return { ...page, models: page.models.map((m) => ({ ...destinationOut(deps, m, opts), attempts_24h: counts(m.id) })) };
    },
    async get(ws, id, opts) {
      const row = await find(ws, id);
      return { ...destinationOut(deps, row, opts), attempts_24h: (await attempts24h(ws, [id]))(id) };
    },
    async create(ws, input, caller) {
      const connector = connectorOf(input.type);
      const row = await uniquelyNamed('destination', input.name, () =>
        db.transaction().execute(async (trx) => {
          // Without credential_id the request's own validation already checked the config.
          const config = input.config.credential_id === undefined ? input.config : validConfig(connector, await expand(trx, ws, connector, input.config));
          checkDestinationUrls(deps, connector, config);
          requireCredentialsFollowAddress(deps, caller, { connector, before: null, after: config, given: Object.keys(input.config) });
          return trx
            .insertInto('destinations')
            .values({
              id: newId('des'),
              workspace_id: ws,
              name: input.name,
              description: input.description ?? null,
              type: input.type,
              max_concurrency: input.max_concurrency ?? null,
              ...sealConfig(deps, connector, config),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
        }),
      );
      return deps.routing.changed(destinationOut(deps, row));
    },
    async upsert(ws, input, caller) {
      return upsertByName(db, 'destinations', ws, input.name, {
        create: () => this.create(ws, input, caller),
        update: (id) => this.update(ws, id, input, caller),
      });
    },
    async update(ws, id, patch, caller) {
      const before = await find(ws, id);
      if (patch.type !== undefined && connectorFor(patch.type) !== connectorFor(before.type)) {
        throw new AppError(422, 'TYPE_IMMUTABLE', `A destination's type cannot change (it is ${before.type}); create a new destination instead.`, [
          { path: 'type', message: 'cannot change' },
        ]);
      }
      const row = await uniquelyNamed('destination', patch.name, () =>
        db.transaction().execute(async (trx) => {
          let sealed = {};
          if (patch.config) {
            // A partial config merges over what is stored, so a PATCH of the URL keeps the credentials.
            const connector = connectorOf(before.type);
            const changes = patch.config;
            const stored = destinationConfig(deps, before);
            const merged: DestinationConfig = { ...stored, ...changes };
            // A secret given inline replaces the saved credential it came from.
            if (changes.credential_id === undefined && connector.secretFields.some((f) => f in changes)) delete merged.credential_id;
            // A stored credential_id is expanded again, so the secret is the credential's current one.
            const config = validConfig(connector, await expand(trx, ws, connector, merged));
            checkDestinationUrls(deps, connector, config);
            requireCredentialsFollowAddress(deps, caller, { connector, before: stored, after: config, given: Object.keys(changes) });
            sealed = { ...sealConfig(deps, connector, config), ...CLOSED_CIRCUIT };
          }
          return trx
            .updateTable('destinations')
            .set({
              ...(patch.name !== undefined ? { name: patch.name } : {}),
              ...(patch.description !== undefined ? { description: patch.description } : {}),
              ...(patch.max_concurrency !== undefined ? { max_concurrency: patch.max_concurrency } : {}),
              ...sealed,
              updated_at: new Date(),
            })
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirstOrThrow();
        }),
      );
      return deps.routing.changed(destinationOut(deps, row));
    },
    async setDisabled(ws, id, disabled) {
      const before = await find(ws, id);
      const now = new Date();
      const row = await db
        .updateTable('destinations')
        .set(
          disabled
            ? { disabled_at: before.disabled_at ?? now, disabled_reason: before.disabled_reason ?? 'disabled by a user', updated_at: now }
            : { disabled_at: null, disabled_reason: null, consecutive_failures: 0, ...CLOSED_CIRCUIT, updated_at: now },
        )
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (disabled) await holdDestinationEvents(db, id);
      else deps.wake(await releaseHeld(db, { destinationId: id }));
      return deps.routing.changed(destinationOut(deps, row));
    },
    async remove(ws, id) {
      if (!(await deleteDestination(db, ws, id))) throw notFound('Destination', id);
      deps.routing.invalidate();
    },
  };
}
