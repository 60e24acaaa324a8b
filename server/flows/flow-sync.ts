import { ZodError } from 'zod';
import { AppError, conflict, zodDetails } from '../core/errors.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { Deps } from '../deps.ts';
import type { AuthContext } from '../auth/auth.middleware.ts';
import type { ConnectionsService } from '../gateway/connections.service.ts';
import { deleteDestination, destinationConfig, sealConfig } from '../gateway/destinations.service.ts';
import { newSigningSecret } from '../core/crypto.ts';
import { slugName } from '../core/validate.ts';
import type { HttpConfig } from '../../connectors/http-webhook/config.ts';
import { signingOf, type Signature } from '../../connectors/http-webhook/signature.ts';
import type { Rule } from '../gateway/rules.ts';
import { insertApplicationPair } from '../publish/application-pair.ts';
import { APPLICATION_SOURCE_TYPE, type ApplicationSources } from '../publish/application-source.ts';
import { sourceProblem, sourceSamples } from './source-sample.ts';
import type { EventTypesService } from '../publish/event-types.service.ts';
import { nodeManifestOf } from '../../connectors/index.ts';
import {
  eventTypeOf,
  planDestinations,
  savedObjects,
  sourceOf,
  type DestinationKind,
  type DestinationNodeT,
  type DestinationPlan,
  type FlowGraphT,
  type FlowNodeT,
  type SavedAs,
} from '../../shared/flow-graph.ts';
import {
  connectorTarget,
  existingDestination,
  invalidFlow,
  mappingsOf,
  planContext,
  planRuleOptions,
  planRules,
  webhookTarget,
  type CredentialFiller,
  type Detail,
  type Target,
} from './flow-objects.ts';
import { authorizationHint, WebhookIn, WebhookPatch, type WebhooksService, type WebhookOut } from '../publish/webhooks.service.ts';

/**
 * Destination nodes the hub saves itself rather than by a connector's manifest: a webhook (a hub
 * webhook for published events, with its secret shown once) and a connection to an existing destination.
 */
const OWN_SAVES: ReadonlySet<DestinationKind> = new Set(['webhook', 'destination']);

/** A signing secret shown once. `webhookId` is the connection the node became (a webhook's id, for event triggers). */
export type Secret = { nodeId: string; webhookId: string; secret: string };

/** An object already gone (removed by hand) is what the caller wanted anyway. */
export const unlessGone = <T>(err: unknown): T | null => {
  if (err instanceof AppError && err.status === 404) return null;
  throw err;
};

/** An error of the objects underneath, re-pointed at the node the user drew: mappings at the map step, events at triggers, the rest at the destination. */
function located(err: unknown, plan: DestinationPlan, graph: FlowGraphT): unknown {
  let details: { path?: unknown; message: string }[];
  let status = 422;
  if (err instanceof ZodError) details = zodDetails(err);
  else if (err instanceof AppError && err.status < 500 && err.status !== 404) {
    details = Array.isArray(err.details) ? (err.details as Detail[]) : [{ message: err.message }];
    status = err.status === 400 ? 422 : err.status;
  } else return err;
  const dest = plan.node.id;
  const mapped = details.map((d): Detail => {
    // Rule errors name the rule's index first (`2.mappings.0.expression`): the node cares for the rest.
    const path = (typeof d.path === 'string' ? d.path : '').replace(/^\d+\.(?=mappings|expression)/, '');
    if (path.startsWith('nodes.')) return { path, message: d.message };
    if (path.startsWith('mappings') && plan.mapNodeId) return { path: `nodes.${plan.mapNodeId}.data.${path}`, message: d.message };
    const event = /^events\.(\d+)$/.exec(path);
    if (event) {
      const trigger = graph.nodes.find((n) => n.kind === 'trigger' && eventTypeOf(n.data) === plan.events[Number(event[1])]);
      if (trigger) return { path: `nodes.${trigger.id}.data.eventType`, message: d.message };
    }
    const transform = graph.nodes.find((n) => n.kind === 'transform' && n.data.expression === plan.transform?.expression);
    if (path === 'expression' && transform) return { path: `nodes.${transform.id}.data.expression`, message: d.message };
    if (['url', 'signing', 'signature', 'authorization'].includes(path.split('.')[0])) return { path: `nodes.${dest}.data.${path}`, message: d.message };
    if (path === 'destination_id') return { path: `nodes.${dest}.data.destinationId`, message: d.message };
    return { path: `nodes.${dest}`, message: d.message };
  });
  if (status !== 422) return new AppError(status, (err as AppError).code, (err as AppError).message, mapped);
  return invalidFlow(mapped);
}

// Webhooks and connections take restricted names: the flow's free-text name goes in as a slug
// ("New leads → my webhook" → "New leads - my webhook"), made unique by the node and the flow's id.
/** A webhook node's signature while it agrees with the node's signing mode; otherwise the mode's own headers are meant (as the manifest's toConfig reads it). */
const nodeSignature = (d: { signing: 'hmac' | 'shared-secret'; signature?: Signature }): Signature | undefined =>
  d.signature && signingOf(d.signature) === d.signing ? d.signature : undefined;

const objectName = (flowId: string, flowName: string, nodeId: string) => `${slugName(flowName, 60)}: ${nodeId} ${flowId.slice(-8)}`;

/**
 * Makes an object under `name`, or "name 2", "name 3"… while another object holds it (one made by
 * hand under the same name): a flow's save never fails on a name it made up itself.
 */
async function withFreeName<T>(name: string, make: (name: string) => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await make(i === 1 ? name : `${name.slice(0, 150)} ${i}`);
    } catch (err) {
      const taken = isUniqueViolation(err) || (err instanceof AppError && err.code === 'RESOURCE_ALREADY_EXISTS');
      if (!taken || i >= 5) throw err;
    }
  }
}

/**
 * Makes the workspace's objects match a flow's graph: per destination node a webhook, a vendor
 * destination (Google Sheet, CRM, Zapier) with its connection, or a connection to an existing
 * destination, each created, edited in place or removed. A failing save removes what it created.
 */
export type FlowSync = ReturnType<typeof flowSync>;

export type FlowSyncCollaborators = {
  hooks: WebhooksService;
  connections: ConnectionsService;
  eventTypes: Pick<EventTypesService, 'resolve'>;
  credentials: CredentialFiller;
  sources: ApplicationSources;
};

export function flowSync(deps: Deps, { hooks, connections, eventTypes, credentials, sources }: FlowSyncCollaborators) {
  const { db } = deps;
  const samples = sourceSamples(deps);

  /** Every trigger's event type is known, and every source trigger names an inbound source of this workspace. */
  async function checkTriggers(ws: string, graph: FlowGraphT): Promise<void> {
    const details: Detail[] = [];
    for (const n of graph.nodes) {
      if (n.kind !== 'trigger') continue;
      const type = eventTypeOf(n.data);
      if (type !== null) {
        await eventTypes.resolve(ws, type).catch(() => details.push({ path: `nodes.${n.id}.data.eventType`, message: `unknown event type "${type}"` }));
        continue;
      }
      const sourceId = sourceOf(n.data) as string;
      const problem = sourceProblem(await samples.find(ws, sourceId), sourceId);
      if (problem) details.push({ path: `nodes.${n.id}.data.sourceId`, message: problem });
    }
    if (details.length) throw invalidFlow(details);
  }

  /** Removes what a node became: the whole webhook or vendor destination, or only the connection to an existing destination. */
  async function removeObject(ws: string, saved: SavedAs): Promise<void> {
    if (saved.kind === 'destination') {
      await connections.remove(ws, saved.connectionId).catch(unlessGone);
      return;
    }
    const conn = await db
      .selectFrom('connections')
      .select('destination_id')
      .where('workspace_id', '=', ws)
      .where('id', '=', saved.connectionId)
      .executeTakeFirst();
    const destinationId = conn?.destination_id ?? saved.destinationId;
    if (destinationId) await deleteDestination(db, ws, destinationId);
    deps.routing.invalidate();
  }

  async function saveWebhook(
    ws: string,
    caller: AuthContext,
    name: string,
    description: string,
    plan: DestinationPlan,
    previous: SavedAs | undefined,
    created: SavedAs[],
    secrets: Secret[],
  ) {
    const node = plan.node as Extract<DestinationNodeT, { kind: 'webhook' }>;
    const d = node.data;
    const signature = nodeSignature(d);
    const fields = {
      name,
      url: d.url,
      events: plan.events,
      mappings: mappingsOf(plan.map),
      envelope: plan.map?.envelope ?? 'flat',
      signing: d.signing,
      ...(signature ? { signature } : {}),
      ...(d.authorization !== undefined ? { authorization: d.authorization || null } : {}),
    };
    const opts = planRuleOptions(plan);
    const updated = previous
      ? await withFreeName(name, (n) => hooks.update(ws, previous.connectionId, WebhookPatch.parse({ ...fields, name: n }), caller, opts)).catch(
          unlessGone<WebhookOut>,
        )
      : null;
    let hook = updated;
    if (!hook) {
      hook = await withFreeName(name, (n) => hooks.create(ws, WebhookIn.parse({ ...fields, name: n, description }), opts));
      created.push({ kind: 'webhook', connectionId: hook.id, destinationId: hook.destination_id });
      if (hook.secret) secrets.push({ nodeId: node.id, webhookId: hook.id, secret: hook.secret });
    }
    return {
      url: d.url,
      signing: d.signing,
      ...(signature ? { signature } : {}),
      webhookId: hook.id,
      connectionId: hook.id,
      destinationId: hook.destination_id,
      authorizationHint: hook.authorization,
    };
  }

  /**
   * A destination made by the flow and its connection from `sourceId`, edited in place when the
   * node's connection still leads to a destination of the same connector. `targetOf` gets the
   * stored config (null for a new destination).
   */
  async function savePair(
    ws: string,
    name: string,
    description: string,
    plan: DestinationPlan,
    sourceId: string,
    previous: SavedAs | undefined,
    created: SavedAs[],
    targetOf: (stored: Record<string, unknown> | null) => Promise<Target>,
  ) {
    const node = plan.node;
    const current = previous
      ? await db
          .selectFrom('connections as c')
          .innerJoin('destinations as d', 'd.id', 'c.destination_id')
          .select(['c.id as connectionId', 'c.rules', 'd.id as destinationId', 'd.type', 'd.config', 'd.auth_enc'])
          .where('c.workspace_id', '=', ws)
          .where('c.id', '=', previous.connectionId)
          .executeTakeFirst()
      : undefined;
    const { connector, config } = await targetOf(current ? destinationConfig(deps, current) : null);
    if (previous && current && current.type !== connector.id) await removeObject(ws, previous);
    try {
      if (current && current.type === connector.id) {
        await db.transaction().execute(async (trx) => {
          await trx
            .updateTable('destinations')
            .set({ ...sealConfig(deps, connector, config), updated_at: new Date() })
            .where('id', '=', current.destinationId)
            .execute();
          await trx
            .updateTable('connections')
            .set({ source_id: sourceId, rules: JSON.stringify(planRules(plan, current.rules as Rule[])), updated_at: new Date() })
            .where('id', '=', current.connectionId)
            .execute();
        });
        deps.routing.invalidate();
        return { connectionId: current.connectionId, destinationId: current.destinationId };
      }
      const { dest, conn } = await withFreeName(name, (n) =>
        db
          .transaction()
          .execute((trx) => insertApplicationPair(trx, deps, { workspaceId: ws, sourceId, name: n, description, connector, config, rules: planRules(plan) })),
      );
      created.push({ kind: node.kind, connectionId: conn.id, destinationId: dest.id });
      deps.routing.invalidate();
      return { connectionId: conn.id, destinationId: dest.id };
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`A destination named "${name}" already exists; rename the flow.`, { name });
      throw err;
    }
  }

  /**
   * A connector's node: a destination made by its manifest's `toConfig` (credentials from Settings,
   * or kept from the stored config when the node leaves them out) and its connection. The graph
   * keeps the node's data without its write-only keys, and with what its manifest may show of them.
   */
  async function saveConnectorNode(
    ws: string,
    name: string,
    description: string,
    plan: DestinationPlan,
    sourceId: string,
    previous: SavedAs | undefined,
    created: SavedAs[],
  ) {
    const found = nodeManifestOf(plan.node.kind);
    let config: Record<string, unknown> = {};
    const saved = await savePair(ws, name, description, plan, sourceId, previous, created, async (stored) => {
      const target = await connectorTarget(deps, credentials, ws, plan.node, planContext(plan), stored);
      config = target.config;
      return target;
    });
    const data = Object.fromEntries(Object.entries(plan.node.data).filter(([k]) => !found?.node.spec.writeOnly?.includes(k)));
    return { ...data, ...saved, ...found?.node.publicData?.(config) } as FlowNodeT['data'];
  }

  /**
   * A webhook node fed by an inbound source: a plain HTTP destination with its own signing secret
   * (shown once) and a connection from the source. Not a hub webhook: those carry published events
   * and count against the plan's webhook limit. Its parameters are savePair's (above) plus the
   * caller and the secrets shown once.
   */
  async function saveSourceWebhook(
    ws: string,
    caller: AuthContext,
    name: string,
    description: string,
    plan: DestinationPlan,
    sourceId: string,
    previous: SavedAs | undefined,
    created: SavedAs[],
    secrets: Secret[],
  ) {
    const node = plan.node as Extract<DestinationNodeT, { kind: 'webhook' }>;
    // A new destination gets a secret of its own; an edited one keeps its secret.
    const fresh = newSigningSecret();
    // The config saved: the node's Authorization, or the stored one when the node leaves it out.
    let config: HttpConfig | undefined;
    const saved = await savePair(ws, name, description, plan, sourceId, previous, created, async (stored) => {
      const target = webhookTarget(deps, caller, node, stored, { doing: 'saved', fresh });
      config = target.config as HttpConfig;
      return target;
    });
    if (created.some((c) => c.connectionId === saved.connectionId)) secrets.push({ nodeId: node.id, webhookId: saved.connectionId, secret: fresh });
    const hint = config ? authorizationHint(config) : null;
    const signature = nodeSignature(node.data);
    return {
      url: node.data.url,
      signing: node.data.signing,
      ...(signature ? { signature } : {}),
      connectionId: saved.connectionId,
      destinationId: saved.destinationId,
      authorizationHint: hint,
    };
  }

  async function saveConnection(
    ws: string,
    caller: AuthContext,
    name: string,
    description: string,
    plan: DestinationPlan,
    sourceId: string,
    previous: SavedAs | undefined,
    created: SavedAs[],
  ) {
    const node = plan.node as Extract<DestinationNodeT, { kind: 'destination' }>;
    const destinationId = (await existingDestination(deps, ws, node)).id;
    if (previous && previous.destinationId === destinationId) {
      const conn = await db.selectFrom('connections').select('rules').where('workspace_id', '=', ws).where('id', '=', previous.connectionId).executeTakeFirst();
      if (conn) {
        await connections.update(ws, previous.connectionId, { source_id: sourceId, rules: planRules(plan, conn.rules as Rule[]) }, caller);
        return { destinationId, connectionId: previous.connectionId };
      }
    } else if (previous) await removeObject(ws, previous);
    const conn = await withFreeName(name, (n) =>
      connections.create(ws, { name: n, description, source_id: sourceId, destination_id: destinationId, rules: planRules(plan) }, caller),
    );
    created.push({ kind: 'destination', connectionId: conn.id, destinationId });
    return { destinationId, connectionId: conn.id };
  }

  /** The source a saved node's connection comes from now; undefined when the connection is gone (saving makes it again). */
  async function sourceOfConnection(ws: string, connectionId: string): Promise<{ id: string; type: string } | undefined> {
    return db
      .selectFrom('connections as c')
      .innerJoin('sources as s', 's.id', 'c.source_id')
      .select(['s.id', 's.type'])
      .where('c.workspace_id', '=', ws)
      .where('c.id', '=', connectionId)
      .executeTakeFirst();
  }

  return {
    removeObject,
    /** Returns the graph as stored (each destination node with the ids it became, no secrets), the secrets shown once, and what was created. */
    /** `caller` decides whether stored credentials may go to a webhook node's new URL (credential-address.ts). */
    async sync(ws: string, caller: AuthContext, flowId: string, flowName: string, graph: FlowGraphT, previous: FlowGraphT | null) {
      await checkTriggers(ws, graph);
      const before = savedObjects(previous);
      const stored = new Map<string, FlowNodeT['data']>();
      const secrets: Secret[] = [];
      const created: SavedAs[] = [];
      const description = `Made by the flow "${flowName}" (${flowId}).`;
      for (const plan of planDestinations(graph)) {
        const node = plan.node;
        const name = objectName(flowId, flowName, node.id);
        const prev = before.get(node.id);
        try {
          const sourceId = plan.source ?? (await sources.ensure(ws));
          // A node whose kind or source changed is a new object: the old one goes. Connectors' nodes all
          // make a destination with its connection, so one drawn as another connector is edited in place.
          const sameKind = prev && (prev.kind === node.kind || (!OWN_SAVES.has(prev.kind) && !OWN_SAVES.has(node.kind)));
          // Published events and a source's requests make different objects (a hub webhook is not a plain destination);
          // a connection moved from one inbound source to another is moved back in place.
          const now = sameKind ? await sourceOfConnection(ws, prev.connectionId) : undefined;
          const same = now && (now.id === sourceId || (plan.source !== null && now.type !== APPLICATION_SOURCE_TYPE)) ? prev : undefined;
          if (prev && !same) await removeObject(ws, prev);
          if (node.kind === 'webhook') {
            stored.set(
              node.id,
              plan.source
                ? await saveSourceWebhook(ws, caller, name, description, plan, sourceId, same, created, secrets)
                : await saveWebhook(ws, caller, name, description, plan, same, created, secrets),
            );
          } else if (node.kind === 'destination')
            stored.set(node.id, { ...node.data, ...(await saveConnection(ws, caller, name, description, plan, sourceId, same, created)) });
          else stored.set(node.id, await saveConnectorNode(ws, name, description, plan, sourceId, same, created));
        } catch (err) {
          // A half-made flow would deliver from destinations nobody saved: undo what this save created.
          await this.undo(ws, created);
          throw located(err, plan, graph);
        }
      }
      for (const [nodeId, saved] of before) {
        if (!stored.has(nodeId)) await removeObject(ws, saved);
      }
      const nodes = graph.nodes.map((n) => (stored.has(n.id) ? { ...n, data: stored.get(n.id) } : n));
      return { graph: { nodes, edges: graph.edges } as FlowGraphT, secrets, created };
    },
    async undo(ws: string, created: SavedAs[]): Promise<void> {
      for (const c of created) await removeObject(ws, c).catch(() => undefined);
    },
  };
}
