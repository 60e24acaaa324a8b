import type { z } from 'zod';
import { nodeManifestOf } from '../../connectors/index.ts';
import type { NodeConfigContext } from '../../connectors/manifest.ts';
import type { Connector } from '../../connectors/types.ts';
import { httpManifest, webhookNodeManifest } from '../../connectors/http-webhook/manifest.ts';
import type { AuthContext } from '../auth/auth.middleware.ts';
import { requireCredentialsFollowAddress } from '../auth/credential-address.ts';
import { AppError } from '../core/errors.ts';
import type { DestinationRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { checkDestinationUrls, connectorOf, destinationConfig, type DestinationConfig } from '../gateway/destinations.service.ts';
import { RulesSchema, type FilterRuleT, type Rule } from '../gateway/rules.ts';
import type { CredentialsService } from '../settings/credentials.service.ts';
import {
  filterCondition,
  stepField,
  type DedupeDataT,
  type DestinationKind,
  type DestinationNodeT,
  type DestinationPlan,
  type MapDataT,
} from '../../shared/flow-graph.ts';
import { flowDetails, flowProblemsMessage, graphLike, type GraphLike } from '../../shared/flow-problem-text.ts';
import type { MappingEntryT } from '../gateway/mappings.ts';
import { filterExtras, rulesFor, type RuleOptions } from '../publish/webhooks.service.ts';
import { newSigningSecret } from '../core/crypto.ts';

export type Detail = { path: string; message: string };
type AnyConnector = Connector<z.ZodType>;

/**
 * A 422 naming each problem's node: `details` keep the path (and the node's id) for programs and
 * the canvas, and say each problem as a sentence naming the step in words, as the message does.
 * Without the graph a step is named by its id; `inWords` words it again once the graph is at hand.
 */
export function invalidFlow(details: Detail[], doing = 'saved', graph: GraphLike = {}): AppError {
  const worded = flowDetails(details, graph);
  return new AppError(422, 'INVALID_FLOW', flowProblemsMessage(worded, doing), worded);
}

/** A flow's 422 thrown deep in a save or test (a node's config, a trigger's event type), worded with the whole graph that was sent. */
export function inWords(err: unknown, graph: unknown, doing: string): unknown {
  if (!(err instanceof AppError) || err.code !== 'INVALID_FLOW' || !Array.isArray(err.details)) return err;
  return invalidFlow(
    (err.details as Detail[]).map(({ path, message }) => ({ path, message })),
    doing,
    graphLike(graph),
  );
}

/** A map step with no entries passes the event's data on unchanged, like no map step at all. */
export const mappingsOf = (map: MapDataT | null): MappingEntryT[] | null => (map?.mappings.length ? map.mappings : null);

/** The keys of a published event's body besides `data`: they differ on every publish (or say nothing about the lead). */
const EVENT_KEYS = ['eventType', 'eventId', 'eventTimestamp', 'customerId', 'chatbotId', 'conversationId'];

/**
 * Fed by an inbound source, a dedupe node compares fields of the request body: named `body.email`
 * as the map step and the Test output name them, or a bare `email` (saved before); no fields, the
 * whole body. (`body.email` used to become `body.body.email`, which every request lacks: all but
 * the first request in the window were dropped as duplicates.)
 */
export function sourceDedupeRule(d: DedupeDataT, field = (f: string) => stepField(f, null)): Rule {
  const body = (fields: string[]) => fields.map((f) => `body.${field(f)}`);
  if (d.exclude_fields?.length) return { type: 'deduplicate', window: d.window_ms, exclude_fields: body(d.exclude_fields) };
  return { type: 'deduplicate', window: d.window_ms, ...(d.include_fields?.length ? { include_fields: body(d.include_fields) } : {}) };
}

/** The inverse of sourceDedupeRule (fields named `body.<field>`), or null when the rule compares something outside the body. */
export function sourceDedupeData(rule: Extract<Rule, { type: 'deduplicate' }>): DedupeDataT | null {
  const fields = (paths: string[]) => paths.map((p) => (p.startsWith('body.') ? p : null));
  const include = fields(rule.include_fields ?? []);
  const exclude = fields(rule.exclude_fields ?? []);
  if (![...include, ...exclude].every((f): f is string => f !== null)) return null;
  return {
    window_ms: rule.window,
    ...(include.length ? { include_fields: include as string[] } : {}),
    ...(exclude.length ? { exclude_fields: exclude as string[] } : {}),
  };
}

/** A dedupe node compares fields of the event's data (`data.email`, or a bare `email`): paths under `body.data` of the request the rule sees. */
export function dedupeRule(d: DedupeDataT): Rule {
  const data = (f: string) => `body.data.${stepField(f, 'data')}`;
  if (d.exclude_fields?.length)
    return { type: 'deduplicate', window: d.window_ms, exclude_fields: [...EVENT_KEYS.map((k) => `body.${k}`), ...d.exclude_fields.map(data)] };
  return { type: 'deduplicate', window: d.window_ms, include_fields: d.include_fields?.length ? d.include_fields.map(data) : ['body.data'] };
}

/** The inverse of dedupeRule (fields named `data.<field>`), or null when the rule compares something a dedupe node cannot say. */
export function dedupeData(rule: Extract<Rule, { type: 'deduplicate' }>): DedupeDataT | null {
  const under = (paths: string[]) => paths.map((p) => (p.startsWith('body.data.') ? p.slice('body.'.length) : null));
  if (rule.include_fields) {
    if (rule.include_fields.length === 1 && rule.include_fields[0] === 'body.data') return { window_ms: rule.window };
    const fields = under(rule.include_fields);
    return fields.every((f): f is string => f !== null) ? { window_ms: rule.window, include_fields: fields } : null;
  }
  const excluded = (rule.exclude_fields ?? []).filter((p) => !EVENT_KEYS.some((k) => p === `body.${k}`));
  if (EVENT_KEYS.slice(0, 3).some((k) => !rule.exclude_fields?.includes(`body.${k}`))) return null;
  const fields = under(excluded);
  return fields.every((f): f is string => f !== null) ? { window_ms: rule.window, ...(fields.length ? { exclude_fields: fields } : {}) } : null;
}

/**
 * A source dedupe node saved before its fields were read as `body.<field>`: its rule compares
 * `body.body.email`, which no request has. True when `rule` is that misreading of the node's data,
 * so the editor can say why every request after the first was dropped, and that saving mends it.
 */
export function misreadSourceDedupe(d: DedupeDataT, rule: Extract<Rule, { type: 'deduplicate' }>): boolean {
  const fields = (r: Rule) => (r.type === 'deduplicate' ? JSON.stringify([r.window, r.include_fields, r.exclude_fields]) : '');
  const before = sourceDedupeRule(d, (f) => f);
  return fields(before) !== fields(sourceDedupeRule(d)) && fields(before) === fields(rule);
}

/** The rule a dedupe node's data makes: two spellings of one field (`body.email`, `email`) make the same rule. */
export const dedupeRuleOf = (d: DedupeDataT, source: boolean): Rule => (source ? sourceDedupeRule : dedupeRule)(d);

/** The event types a vendor config names (Zapier's subscription); a source's requests have none but the source's id. */
export const configEvents = (plan: DestinationPlan): string[] => (plan.events.length ? plan.events : plan.source ? [plan.source] : []);

/**
 * The filter steps of a destination's paths as rules, one per step and named after its node: a
 * request a step turns away is recorded as that step's (ignored_events.step), so the canvas counts
 * each step's drops. A source's conditions name fields of the request body; an event's, of its data.
 */
export function stepFilterRules(plan: DestinationPlan): FilterRuleT[] {
  const under = plan.source !== null ? null : 'data';
  return plan.filters.map((f, i) => ({ type: 'filter', step: plan.filterIds[i], body: filterCondition([f], under) ?? {} }));
}

/**
 * The flow filter a connection's rules hold, as one condition (filterCondition's shape), to compare
 * with the steps drawn: the rules named after steps, or, written before steps were named, the
 * source's first filter or the conditions beside the event types. Undefined when both are there.
 */
export function flowFilterOf(rules: Rule[], source: boolean): unknown {
  const named = rules.filter((r): r is FilterRuleT => r.type === 'filter' && r.step !== undefined);
  const legacy = source ? (rules.find((r): r is FilterRuleT => r.type === 'filter' && r.step === undefined)?.body ?? {}) : filterExtras(rules);
  if (!named.length) return legacy;
  if (typeof legacy !== 'object' || legacy === null || Object.keys(legacy).length) return undefined;
  const groups = named.map((r) => (source ? r.body : (r.body as { data?: unknown } | undefined)?.data));
  const all = groups.length === 1 ? groups[0] : { $and: groups };
  return source ? all : { data: all };
}

/** What the steps of a destination's paths add to its connection's rules. */
export function planRuleOptions(plan: DestinationPlan): RuleOptions {
  const source = plan.source !== null;
  const dedupe = plan.dedupe ? { ...dedupeRuleOf(plan.dedupe, source), ...(plan.dedupeId ? { step: plan.dedupeId } : {}) } : null;
  return {
    // The filter steps are rules of their own; conditions merged beside the event types (flows saved before) go.
    extraFilter: null,
    stepFilters: stepFilterRules(plan),
    expression: plan.transform?.expression ?? null,
    steps: [...(dedupe ? [dedupe as Rule] : []), ...(plan.delay ? [{ type: 'delay' as const, delay: plan.delay.delay_ms }] : [])],
  };
}

/** Rule types a flow writes; any other (a retry policy added by hand) is kept as it is. */
const FLOW_RULES = new Set<string>(['filter', 'transform', 'delay', 'deduplicate']);

/**
 * The rules of a connection from an inbound source: the filter steps on the body, dedupe and delay,
 * and a transform only when something reshapes the body (without one, requests go as they came,
 * with their own content type).
 */
function sourceRules(plan: DestinationPlan, keep: Rule[]): Rule[] {
  const opts = planRuleOptions(plan);
  const mappings = mappingsOf(plan.map);
  return RulesSchema.parse([
    ...(opts.stepFilters ?? []),
    ...(opts.steps ?? []),
    ...(opts.expression || mappings
      ? [{ type: 'transform', ...(opts.expression ? { expression: opts.expression } : {}), mappings, envelope: plan.map?.envelope ?? 'flat' }]
      : []),
    ...keep.filter((r) => !FLOW_RULES.has(r.type)),
  ]);
}

/** The connection rules of one destination node; `keep` is what the connection has now (hand-made rules survive). */
export const planRules = (plan: DestinationPlan, keep: Rule[] = []): Rule[] =>
  plan.source !== null ? sourceRules(plan, keep) : rulesFor(plan.events, mappingsOf(plan.map), plan.map?.envelope ?? 'flat', keep, planRuleOptions(plan));

/** What a destination node's connector needs to know of its plan: the events feeding it and the fields mapped to it. */
export const planContext = (plan: DestinationPlan | null): Pick<NodeConfigContext, 'events' | 'mapped'> => ({
  events: plan ? configEvents(plan) : [],
  mapped: (mappingsOf(plan?.map ?? null) ?? []).map((m) => m.to),
});

/** Where a connector config's problem shows on the node the user drew: the key its node names (connectors/<x>/node.ts), else the node. */
export function atNode(node: DestinationNodeT, err: unknown, doing = 'saved'): unknown {
  if (!(err instanceof AppError) || err.status >= 500 || !Array.isArray(err.details)) return err;
  const details = (err.details as { path?: unknown; message: string }[]).map((d): Detail => {
    // Missing credentials are named at the node itself: the fix is in Settings, not in this node's form.
    if (err.code === 'NO_CREDENTIAL' || err.code === 'WRONG_CREDENTIAL_KIND') return { path: `nodes.${node.id}`, message: err.message };
    const parts = String(d.path ?? '')
      .replace(/^config\./, '')
      .split('.');
    const fields = nodeManifestOf(node.kind)?.node.spec.configFields ?? {};
    const field = Object.hasOwn(fields, parts[0]) ? fields[parts[0]] : undefined;
    return { path: field ? ['nodes', node.id, 'data', field, ...parts.slice(1)].join('.') : `nodes.${node.id}`, message: d.message };
  });
  return invalidFlow(details, doing, { nodes: [node] });
}

export type Target = { connector: AnyConnector; config: DestinationConfig };

/** The destination an existing-destination node names, or a 422 at the node's destinationId. */
export async function existingDestination(
  deps: Deps,
  ws: string,
  node: Extract<DestinationNodeT, { kind: 'destination' }>,
  doing = 'saved',
): Promise<DestinationRow> {
  const id = node.data.destinationId;
  const row = await deps.db.selectFrom('destinations').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!row)
    throw invalidFlow([{ path: `nodes.${node.id}.data.destinationId`, message: `destination ${id} was not found in this workspace` }], doing, {
      nodes: [node],
    });
  return row;
}

/** What a node's config needs of Settings: its saved credential's secret filled in. */
export type CredentialFiller = Pick<CredentialsService, 'applyTo'>;

/**
 * The connector and full config (credentials filled in from Settings) a connector's node becomes,
 * by its manifest's `toConfig`; a 422 naming the node's field otherwise. Vendor base URLs come from
 * the operator's configuration (WIREHUB_GOOGLE_SHEETS_URL…), never from the graph. `stored` is
 * the full config of the destination the node became (a node may leave a credential out to keep it).
 */
export async function connectorTarget(
  deps: Deps,
  credentials: CredentialFiller,
  ws: string,
  node: DestinationNodeT,
  plan: Pick<NodeConfigContext, 'events' | 'mapped'>,
  stored: DestinationConfig | null,
  doing = 'saved',
): Promise<Target> {
  const found = nodeManifestOf(node.kind);
  if (!found) throw new Error(`connectorTarget: ${node.kind} nodes name no connector`);
  const connector = found.manifest.connector;
  const raw = found.node.toConfig(node.data, { ...plan, vendorUrls: deps.config.vendorUrls, stored });
  try {
    const filled = await credentials.applyTo(ws, connector.id, raw);
    const parsed = connector.configSchema.safeParse(filled);
    if (!parsed.success)
      throw new AppError(
        422,
        'INVALID_CONFIG',
        'Invalid destination config',
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    const config = parsed.data as DestinationConfig;
    checkDestinationUrls(deps, connector, config);
    return { connector, config };
  } catch (err) {
    throw atNode(node, err, doing);
  }
}

/** The stored full config of the destination a node became (its `destinationId`), when it is one of the node's connector; null otherwise. */
export async function storedConfigOf(deps: Deps, ws: string, node: DestinationNodeT): Promise<DestinationConfig | null> {
  const id = (node.data as { destinationId?: string }).destinationId;
  const connector = nodeManifestOf(node.kind)?.manifest.connector;
  if (!id || !connector) return null;
  const row = await deps.db.selectFrom('destinations').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return row && row.type === connector.id ? destinationConfig(deps, row) : null;
}

/**
 * A webhook node's connector and config for a test (or a save): the stored one (its secret and
 * Authorization) under the node's URL and signing. `fresh` is the signing secret a new destination
 * gets. Stored credentials sent to a new URL need an owner or admin, or the node's own Authorization.
 */
export function webhookTarget(
  deps: Deps,
  caller: AuthContext,
  node: Extract<DestinationNodeT, { kind: 'webhook' }>,
  stored: DestinationConfig | null,
  opts: { doing?: string; fresh?: string } = {},
): Target {
  const d = node.data;
  const connector = httpManifest.connector;
  const config = connector.configSchema.parse(
    webhookNodeManifest.toConfig(d, { events: [], mapped: [], vendorUrls: {}, stored: stored ?? (opts.fresh ? { secret: opts.fresh } : null) }),
  ) as DestinationConfig;
  try {
    checkDestinationUrls(deps, connector, config);
  } catch (err) {
    throw atNode(node, err, opts.doing ?? 'tested');
  }
  const at = (field: string) => `nodes.${node.id}${field ? `.data.${field}` : ''}`;
  requireCredentialsFollowAddress(deps, caller, {
    connector,
    before: stored,
    after: config,
    given: [...(d.authorization !== undefined ? ['auth'] : []), ...(!stored && opts.fresh ? ['secret'] : [])],
    fieldNames: { url: at('url'), auth: at('authorization'), secret: at('signing'), headers: at('') },
  });
  return { connector, config };
}

/** A webhook node's target for a test: under the stored config (secret, Authorization) of the destination it became, once saved. */
export async function testedWebhookTarget(deps: Deps, caller: AuthContext, ws: string, node: Extract<DestinationNodeT, { kind: 'webhook' }>): Promise<Target> {
  const id = node.data.destinationId;
  const row = id ? await deps.db.selectFrom('destinations').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst() : undefined;
  // Unsaved and sending its secret as-is (shared-secret), it is tested with one of its own, as saving
  // would give it, never the workspace's; an HMAC signature reveals nothing and keeps the workspace's.
  // (A node's signature never disagrees with its signing mode in what it sends: the mode wins, manifest.ts.)
  const fresh = !row && node.data.signing === 'shared-secret' ? { fresh: newSigningSecret() } : {};
  return webhookTarget(deps, caller, node, row ? destinationConfig(deps, row) : null, fresh);
}

/**
 * Destination nodes the hub owns rather than a connector's manifest: an existing destination (any
 * type, tested as it is stored) and a webhook, whose stored secret and Authorization follow its URL
 * only for a caller allowed to send them there. Every other kind is its connector's manifest.
 */
const OWN_TEST_TARGETS: Partial<Record<DestinationKind, (deps: Deps, caller: AuthContext, ws: string, node: DestinationNodeT) => Promise<Target>>> = {
  destination: async (deps, _caller, ws, node) => {
    const row = await existingDestination(deps, ws, node as Extract<DestinationNodeT, { kind: 'destination' }>, 'tested');
    return { connector: connectorOf(row.type), config: destinationConfig(deps, row) };
  },
  webhook: (deps, caller, ws, node) => testedWebhookTarget(deps, caller, ws, node as Extract<DestinationNodeT, { kind: 'webhook' }>),
};

/** The connector and config a destination node is tested or test-delivered with, saved or not (an unsaved one is never stored). */
export async function testTarget(
  deps: Deps,
  credentials: CredentialFiller,
  caller: AuthContext,
  ws: string,
  node: DestinationNodeT,
  plan: Pick<NodeConfigContext, 'events' | 'mapped'>,
): Promise<Target> {
  const own = OWN_TEST_TARGETS[node.kind];
  if (own) return own(deps, caller, ws, node);
  return connectorTarget(deps, credentials, ws, node, plan, await storedConfigOf(deps, ws, node), 'tested');
}
