import { sql } from 'kysely';
import { z } from 'zod';
import { HttpConfigSchema, type HttpConfig } from '../../connectors/http-webhook/config.ts';
import { httpConnector } from '../../connectors/http-webhook/index.ts';
import { SignatureSchema, signatureOf, signingOf, withSigning, type Signature } from '../../connectors/http-webhook/signature.ts';
import type { AuthContext } from '../auth/auth.middleware.ts';
import { requireCredentialsFollowAddress } from '../auth/credential-address.ts';
import { mask, newSigningSecret } from '../core/crypto.ts';
import { AppError, conflict, notFound } from '../core/errors.ts';
import { descriptionSchema, nameSchema } from '../core/validate.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { ConnectionRow, DestinationRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { deliverNow, type DeliveryReport } from '../delivery/deliver-now.ts';
import type { ConnectionsService } from '../gateway/connections.service.ts';
import {
  checkDestinationUrls,
  circuitOf,
  CLOSED_CIRCUIT,
  maxConcurrencySchema,
  deleteDestination,
  destinationConfig,
  sealConfig,
  type Circuit,
  type DestinationsService,
} from '../gateway/destinations.service.ts';
import { mappingProblems, RulesSchema, type FilterRuleT, type Rule, type TransformRuleT } from '../gateway/rules.ts';
import type { ApplicationSources } from './application-source.ts';
import { EnvelopeKind } from '../../shared/envelope.ts';
import { eventTypeName, type EventTypesService } from './event-types.service.ts';
import { Mappings, type MappingEntryT } from '../gateway/mappings.ts';
import { sampleEvent } from './sample-event.ts';
import { insertApplicationPair } from './application-pair.ts';
import { connectionsDrawn, type DrawnIn } from './flow-drawn.ts';
import { webhookQuotaExceeded } from '../operator/quotas.service.ts';

const secretSchema = HttpConfigSchema.shape.secret.unwrap();
const authorization = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[^\r\n]*$/, 'must not contain line breaks');

const fields = {
  name: nameSchema,
  description: descriptionSchema,
  url: HttpConfigSchema.shape.url,
  events: z
    .array(eventTypeName)
    .min(1, 'subscribe to at least one event type')
    .max(100)
    .refine((e) => new Set(e).size === e.length, 'lists an event type twice'),
  // Checked apart from the rest so that every mapping problem is a 422 naming its entry.
  mappings: z.unknown().optional(),
  envelope: EnvelopeKind,
  signing: HttpConfigSchema.shape.signing.unwrap(),
  // Which headers carry the signature and event type: a preset or a header and format of one's own.
  signature: SignatureSchema,
  secret: secretSchema,
  authorization: authorization.nullable(),
  enabled: z.boolean(),
  // Its destination's limit on deliveries in flight at once; null: the hub's default.
  max_concurrency: maxConcurrencySchema,
};

export const WebhookIn = z
  .object({
    ...fields,
    envelope: fields.envelope.default('flat'),
    // Without a signature, `hmac` (Standard Webhooks); with one, what it amounts to.
    signing: fields.signing.optional(),
    signature: fields.signature.optional(),
    secret: fields.secret.optional(),
    authorization: fields.authorization.optional(),
    enabled: fields.enabled.default(true),
    max_concurrency: fields.max_concurrency.optional(),
  })
  .strict();
export const WebhookPatch = z.object(fields).partial().strict();
export type WebhookInT = z.output<typeof WebhookIn>;
export type WebhookPatchT = z.output<typeof WebhookPatch>;

export type WebhookOut = {
  id: string;
  team_id: string;
  name: string;
  description: string | null;
  url: string;
  events: string[];
  mappings: MappingEntryT[] | null;
  envelope: 'flat' | 'nested';
  /** `shared-secret` when the secret itself goes out in a header (the signature's format is `secret`). */
  signing: 'hmac' | 'shared-secret';
  /** The headers carrying the signature and event type: a preset, or a header and format of its own. */
  signature: Signature;
  /** The secret is shown once, when made or rotated; afterwards only its ends. */
  secret?: string;
  secret_hint: string;
  authorization: string | null;
  enabled: boolean;
  paused: boolean;
  disabled_reason: string | null;
  consecutive_failures: number;
  max_concurrency: number | null;
  /** Paused by Wirehub after timeouts or connection failures in a row; apart from `enabled` and `paused`. */
  circuit: Circuit;
  destination_id: string;
  source_id: string;
  /** The flow whose webhook step this is (edited there), or null for a webhook made on its own. */
  flow: { id: string; name: string; node_id: string } | null;
  /** The inbound source whose requests it gets (a flow's step after an incoming webhook), or null when it gets published events. */
  requests_from: { id: string; name: string } | null;
  created_at: Date;
  updated_at: Date;
};

/** Mappings from a request, or a 422 whose details name each entry at fault. */
export function parseMappings(raw: unknown, envelope: 'flat' | 'nested'): MappingEntryT[] | null {
  const parsed = Mappings.nullable().safeParse(raw ?? null);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({ path: ['mappings', ...i.path].join('.'), message: i.message }));
    throw new AppError(422, 'INVALID_MAPPING', `Invalid mappings: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  }
  const problems = mappingProblems(parsed.data, envelope).map((p) => ({ path: p.path.join('.'), message: p.message }));
  if (problems.length) throw new AppError(422, 'INVALID_MAPPING', `Invalid mappings: ${problems.map((d) => d.message).join('; ')}`, problems);
  return parsed.data;
}

const WEBHOOK_TYPE = httpConnector.id;

/** A webhook's request fields for the destination config keys they set. */
const WEBHOOK_FIELDS: Record<string, string> = { auth: 'authorization', url: 'url', secret: 'secret', headers: 'headers (of its destination)' };

/** The masked Authorization an HTTP destination sends verbatim, or null: the value itself is never shown again. */
export const authorizationHint = (cfg: Pick<HttpConfig, 'auth'>): string | null => (cfg.auth?.type === 'custom' ? mask(cfg.auth.value) : null);

/**
 * The config's `signing` and `signature` from a request: a signature decides the mode it amounts to
 * (a secret-format header is `shared-secret`); a mode alone is that mode's own headers. Both given
 * must agree, or which one the webhook follows would be a guess.
 */
function signingFields(input: { signing?: 'hmac' | 'shared-secret'; signature?: Signature }): { signing: 'hmac' | 'shared-secret'; signature?: Signature } {
  if (!input.signature) return { signing: input.signing ?? 'hmac' };
  const signing = signingOf(input.signature);
  if (input.signing !== undefined && input.signing !== signing) {
    throw new AppError(
      422,
      'SIGNING_MISMATCH',
      `signing "${input.signing}" disagrees with the signature, which amounts to "${signing}"; give the signature alone.`,
      [{ path: 'signing', message: `the signature amounts to "${signing}"` }],
    );
  }
  return { signing, signature: input.signature };
}

/** A hub connection's first filter not written for a flow step: the one naming its event types. */
const subscription = (rules: Rule[]) => rules.find((r): r is FilterRuleT => r.type === 'filter' && r.step === undefined);

/** The event types a hub connection's filter subscribes to. */
export function eventsOf(rules: Rule[]): string[] {
  const body = subscription(rules)?.body as { eventType?: unknown } | undefined;
  const spec = body?.eventType;
  if (typeof spec === 'string') return [spec];
  const list = (spec as { $in?: unknown } | undefined)?.$in;
  return Array.isArray(list) ? list.filter((e): e is string => typeof e === 'string') : [];
}

/** Conditions of a webhook's filter besides its event types (a flow's filter steps). */
export type ExtraFilter = Record<string, unknown>;

export function filterExtras(rules: Rule[]): ExtraFilter {
  const body = subscription(rules)?.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const { eventType: _events, ...rest } = body;
  return rest;
}

/**
 * What a flow adds to a webhook's rules beyond events and mappings. Each field left undefined keeps
 * what the connection has; `extraFilter: null` and `expression: null` clear it; `steps` replaces the
 * connection's delay and deduplicate rules, `stepFilters` its filters named after flow steps.
 */
export type RuleOptions = { extraFilter?: ExtraFilter | null; stepFilters?: FilterRuleT[]; expression?: string | null; steps?: Rule[] };

const STEP_RULES = new Set<string>(['delay', 'deduplicate']);

/**
 * A hub object's rules in the documented order (filter → deduplicate → delay → transform → the
 * rest). Rules a user added to the connection by hand (a retry policy…) survive edits, and so do
 * the flow's extra filter conditions, expression and steps unless new ones are given.
 */
export function rulesFor(events: string[], mappings: MappingEntryT[] | null, envelope: 'flat' | 'nested', keep: Rule[] = [], opts: RuleOptions = {}): Rule[] {
  const others = keep.filter((r) => r.type !== 'filter' && r.type !== 'transform' && !STEP_RULES.has(r.type));
  const steps = opts.steps ?? keep.filter((r) => STEP_RULES.has(r.type));
  const stepFilters = opts.stepFilters ?? keep.filter((r): r is FilterRuleT => r.type === 'filter' && r.step !== undefined);
  const extra = opts.extraFilter === undefined ? filterExtras(keep) : (opts.extraFilter ?? {});
  const kept = keep.find((r): r is TransformRuleT => r.type === 'transform')?.expression;
  const expression = opts.expression === undefined ? kept : (opts.expression ?? undefined);
  const order = (r: Rule) => (r.type === 'deduplicate' ? 0 : 1);
  return RulesSchema.parse([
    { type: 'filter', body: { ...extra, eventType: { $in: events } } },
    ...stepFilters,
    ...[...steps].sort((a, b) => order(a) - order(b)),
    { type: 'transform', ...(expression ? { expression } : {}), mappings, envelope },
    ...others,
  ]);
}

export type WebhooksCollaborators = {
  sources: ApplicationSources;
  eventTypes: Pick<EventTypesService, 'resolve' | 'get'>;
  destinations: Pick<DestinationsService, 'setDisabled'>;
  connections: Pick<ConnectionsService, 'setDisabled' | 'setPaused'>;
};

export type WebhooksService = ReturnType<typeof webhooksService>;

export function webhooksService(deps: Deps, { sources, eventTypes, destinations, connections }: WebhooksCollaborators) {
  const { db } = deps;

  type Context = { drawn?: DrawnIn; source?: { id: string; name: string; type: string } };
  const out = (conn: ConnectionRow, dest: DestinationRow, secret?: string, ctx: Context = {}): WebhookOut => {
    const cfg = destinationConfig(deps, dest) as HttpConfig;
    const rules = conn.rules as Rule[];
    const transform = rules.find((r): r is TransformRuleT => r.type === 'transform');
    return {
      id: conn.id,
      team_id: conn.workspace_id,
      name: conn.name,
      description: conn.description,
      url: cfg.url,
      events: eventsOf(rules),
      mappings: transform?.mappings ?? null,
      envelope: transform?.envelope ?? 'flat',
      signing: signingOf(signatureOf(cfg)),
      signature: signatureOf(cfg),
      ...(secret ? { secret } : {}),
      secret_hint: cfg.secret ? mask(cfg.secret) : '(the workspace signing secret)',
      authorization: authorizationHint(cfg),
      enabled: !conn.disabled_at && !dest.disabled_at,
      paused: conn.paused_at !== null,
      disabled_reason: dest.disabled_reason,
      consecutive_failures: dest.consecutive_failures,
      max_concurrency: dest.max_concurrency,
      circuit: circuitOf(dest),
      destination_id: dest.id,
      source_id: conn.source_id,
      flow: ctx.drawn ? { id: ctx.drawn.id, name: ctx.drawn.name, node_id: ctx.drawn.node_id } : null,
      requests_from: ctx.source && ctx.source.type !== 'APPLICATION' ? { id: ctx.source.id, name: ctx.source.name } : null,
      created_at: conn.created_at,
      // biome-ignore lint/complexity/useMathMinMax: Dates; Math.max would answer a number.
      updated_at: conn.updated_at > dest.updated_at ? conn.updated_at : dest.updated_at,
    };
  };

  /**
   * A workspace's webhooks: the plain HTTP destinations fed by published events, and those a flow's
   * webhook step feeds from an inbound source (`fromFlows`: the connections flows drew).
   */
  const rows = (ws: string, fromFlows: string[]) =>
    db
      .selectFrom('connections as c')
      .innerJoin('destinations as d', 'd.id', 'c.destination_id')
      .innerJoin('sources as s', 's.id', 'c.source_id')
      .where('c.workspace_id', '=', ws)
      .where((eb) => (fromFlows.length ? eb.or([eb('s.type', '=', 'APPLICATION'), eb('c.id', 'in', fromFlows)]) : eb('s.type', '=', 'APPLICATION')))
      .where('d.type', '=', WEBHOOK_TYPE);

  const webhookSteps = (drawn: Map<string, DrawnIn>) => [...drawn].filter(([, d]) => d.node_kind === 'webhook').map(([id]) => id);

  async function find(ws: string, id: string): Promise<{ conn: ConnectionRow; dest: DestinationRow; ctx: Context }> {
    const drawn = await connectionsDrawn(deps, ws, id);
    const found = await rows(ws, webhookSteps(drawn))
      .selectAll('c')
      .select(['s.name as source_name', 's.type as source_type'])
      .where('c.id', '=', id)
      .executeTakeFirst();
    if (!found) throw notFound('Webhook', id);
    const { source_name, source_type, ...conn } = found;
    const dest = await db.selectFrom('destinations').selectAll().where('id', '=', conn.destination_id).executeTakeFirstOrThrow();
    return { conn, dest, ctx: { drawn: drawn.get(id), source: { id: conn.source_id, name: source_name, type: source_type } } };
  }

  /** A flow's step fed by a source is edited in its flow: its filter and mapping are the flow's steps, not events. */
  const editInFlow = (ctx: Context, doing: string) => {
    if (ctx.drawn && ctx.source?.type !== 'APPLICATION') {
      throw new AppError(409, 'EDIT_IN_FLOW', `This webhook is a step of the flow "${ctx.drawn.name}" (${ctx.drawn.id}): ${doing} it in the flow.`, {
        flow_id: ctx.drawn.id,
        node_id: ctx.drawn.node_id,
      });
    }
  };

  async function checkEvents(ws: string, events: string[]): Promise<void> {
    const unknown: string[] = [];
    for (const e of events) await eventTypes.resolve(ws, e).catch(() => unknown.push(e));
    if (unknown.length) {
      throw new AppError(
        422,
        'UNKNOWN_EVENT_TYPE',
        `Unknown event type${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}: GET /api/v1/event-types lists them, POST declares a custom one.`,
        unknown.map((u) => ({ path: `events.${events.indexOf(u)}`, message: `unknown event type "${u}"` })),
      );
    }
  }

  const nameTaken = (name: string) => conflict(`A webhook or destination named "${name}" already exists; choose another name.`, { name });

  return {
    async list(ws: string): Promise<{ models: WebhookOut[]; count: number }> {
      const drawn = await connectionsDrawn(deps, ws);
      const found = await rows(ws, webhookSteps(drawn)).selectAll('c').select(['s.name as source_name', 's.type as source_type']).orderBy('c.id').execute();
      const dests = found.length
        ? await db
            .selectFrom('destinations')
            .selectAll()
            .where(
              'id',
              'in',
              found.map((c) => c.destination_id),
            )
            .execute()
        : [];
      const byId = new Map(dests.map((d) => [d.id, d]));
      const models = found.map(({ source_name, source_type, ...c }) =>
        out(c, byId.get(c.destination_id) as DestinationRow, undefined, {
          drawn: drawn.get(c.id),
          source: { id: c.source_id, name: source_name, type: source_type },
        }),
      );
      return { models, count: models.length };
    },

    async get(ws: string, id: string): Promise<WebhookOut> {
      const { conn, dest, ctx } = await find(ws, id);
      return out(conn, dest, undefined, ctx);
    },

    async create(ws: string, input: WebhookInT, opts: RuleOptions = {}): Promise<WebhookOut> {
      const mappings = parseMappings(input.mappings, input.envelope);
      await checkEvents(ws, input.events);
      const secret = input.secret ?? newSigningSecret();
      const config = HttpConfigSchema.parse({
        url: input.url,
        ...signingFields(input),
        secret,
        auth: input.authorization ? { type: 'custom', value: input.authorization } : { type: 'none' },
      });
      checkDestinationUrls(deps, httpConnector, config);
      const sourceId = await sources.ensure(ws);
      const max = deps.config.maxWebhooks;
      try {
        const created = await db.transaction().execute(async (trx) => {
          // Two creates at once must not both slip under the plan limit (or the team's quota).
          await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`webhooks:${ws}`}, 0))`.execute(trx);
          const { n } = await trx
            .selectFrom('connections as c')
            .innerJoin('destinations as d', 'd.id', 'c.destination_id')
            .where('c.workspace_id', '=', ws)
            .where('c.source_id', '=', sourceId)
            .where('d.type', '=', WEBHOOK_TYPE)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow();
          // The operator's quota for this team, when set, instead of the hub's limit.
          const team = await trx.selectFrom('workspaces').select('max_webhooks').where('id', '=', ws).executeTakeFirst();
          const quota = team?.max_webhooks ?? null;
          if (quota !== null && Number(n) >= quota) throw webhookQuotaExceeded(quota, Number(n));
          if (quota === null && Number(n) >= max) {
            throw new AppError(
              403,
              'PLAN_LIMIT',
              `This workspace already has ${n} webhooks, the most its plan allows (${max}). Delete one, or raise WIREHUB_MAX_WEBHOOKS.`,
              { limit: max, current: Number(n) },
            );
          }
          const { dest, conn } = await insertApplicationPair(trx, deps, {
            workspaceId: ws,
            sourceId,
            name: input.name,
            description: input.description ?? null,
            connector: httpConnector,
            config,
            rules: rulesFor(input.events, mappings, input.envelope, [], { extraFilter: null, expression: null, steps: [], ...opts }),
            disabled: !input.enabled,
            maxConcurrency: input.max_concurrency ?? null,
          });
          return out(conn, dest, secret);
        });
        return deps.routing.changed(created);
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(input.name);
        throw err;
      }
    },

    async update(ws: string, id: string, patch: WebhookPatchT, caller: AuthContext, opts: RuleOptions = {}): Promise<WebhookOut> {
      const { conn, dest, ctx } = await find(ws, id);
      editInFlow(ctx, 'edit');
      const current = out(conn, dest);
      const envelope = patch.envelope ?? current.envelope;
      const mappings =
        patch.mappings !== undefined || patch.envelope !== undefined
          ? parseMappings(patch.mappings === undefined ? current.mappings : patch.mappings, envelope)
          : current.mappings;
      const events = patch.events ?? current.events;
      if (patch.events) await checkEvents(ws, patch.events);
      const before = destinationConfig(deps, dest) as HttpConfig;
      const config = HttpConfigSchema.parse({
        ...(patch.signature !== undefined ? { ...before, ...signingFields(patch) } : patch.signing !== undefined ? withSigning(before, patch.signing) : before),
        ...(patch.url !== undefined ? { url: patch.url } : {}),
        ...(patch.secret !== undefined ? { secret: patch.secret } : {}),
        ...(patch.authorization !== undefined ? { auth: patch.authorization ? { type: 'custom', value: patch.authorization } : { type: 'none' } } : {}),
      });
      checkDestinationUrls(deps, httpConnector, config);
      const given = [...(patch.authorization !== undefined ? ['auth'] : []), ...(patch.secret !== undefined ? ['secret'] : [])];
      requireCredentialsFollowAddress(deps, caller, { connector: httpConnector, before, after: config, given, fieldNames: WEBHOOK_FIELDS });
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .updateTable('destinations')
            .set({
              ...(patch.name !== undefined ? { name: patch.name } : {}),
              ...(patch.description !== undefined ? { description: patch.description } : {}),
              ...(patch.max_concurrency !== undefined ? { max_concurrency: patch.max_concurrency } : {}),
              ...sealConfig(deps, httpConnector, config),
              // A new address deserves a fresh try, as a destination's new config does.
              ...(config.url !== before.url ? CLOSED_CIRCUIT : {}),
              updated_at: new Date(),
            })
            .where('id', '=', dest.id)
            .execute();
          await trx
            .updateTable('connections')
            .set({
              ...(patch.name !== undefined ? { name: patch.name } : {}),
              ...(patch.description !== undefined ? { description: patch.description } : {}),
              rules: JSON.stringify(rulesFor(events, mappings, envelope, conn.rules as Rule[], opts)),
              updated_at: new Date(),
            })
            .where('id', '=', conn.id)
            .execute();
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(patch.name ?? current.name);
        throw err;
      }
      deps.routing.invalidate();
      if (patch.enabled !== undefined) await this.setEnabled(ws, id, patch.enabled);
      return this.get(ws, id);
    },

    /** Disabling holds the webhook's events; enabling resumes them and clears the failure count. */
    async setEnabled(ws: string, id: string, enabled: boolean): Promise<WebhookOut> {
      const { conn, dest } = await find(ws, id);
      await destinations.setDisabled(ws, dest.id, !enabled);
      if (enabled && conn.disabled_at) await connections.setDisabled(ws, conn.id, false);
      return this.get(ws, id);
    },

    async setPaused(ws: string, id: string, paused: boolean): Promise<WebhookOut> {
      await find(ws, id);
      await connections.setPaused(ws, id, paused);
      return this.get(ws, id);
    },

    async remove(ws: string, id: string): Promise<void> {
      const { dest } = await find(ws, id);
      await deleteDestination(db, ws, dest.id);
      deps.routing.invalidate();
    },

    /** A new secret takes effect at once: deliveries from now on are signed with it only (seed 000). */
    async rotateSecret(ws: string, id: string): Promise<WebhookOut> {
      const { conn, dest, ctx } = await find(ws, id);
      const secret = newSigningSecret();
      const config = { ...(destinationConfig(deps, dest) as HttpConfig), secret };
      const row = await db
        .updateTable('destinations')
        .set({ ...sealConfig(deps, httpConnector, config), updated_at: new Date() })
        .where('id', '=', dest.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return deps.routing.changed(out(conn, row, secret, ctx));
    },

    /** Delivers an event type's sample (or the given data) now and reports what was sent and what came back. */
    async test(ws: string, id: string, input: { eventType?: string; data?: Record<string, unknown> }): Promise<DeliveryReport> {
      const { conn, dest, ctx } = await find(ws, id);
      editInFlow(ctx, 'test');
      const type = input.eventType ?? eventsOf(conn.rules as Rule[])[0];
      if (!type) throw new AppError(422, 'NO_EVENT_TYPE', 'This webhook subscribes to no event type; name one with eventType.');
      return deliverNow(deps, dest, conn, await sampleEvent(eventTypes, ws, type, input.data));
    },
  };
}
