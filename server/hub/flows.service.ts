import { z, ZodError } from 'zod';
import { AppError, notFound, zodDetails } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { nameSchema } from '../core/validate.ts';
import type { FlowRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { eventTypesService } from './event-types.service.ts';
import { filterCondition, FlowGraph, planDestinations, validateGraph, type DestinationPlan, type FlowGraphT, type WebhookDataT } from './flow-graph.ts';
import { WebhookIn, WebhookPatch, webhooksService, type WebhookOut } from './webhooks.service.ts';

export const FlowIn = z.object({ name: nameSchema, graph: z.unknown() }).strict();
export const FlowPatch = z.object({ name: nameSchema.optional(), graph: z.unknown().optional() }).strict();
export type FlowInT = z.output<typeof FlowIn>;
export type FlowPatchT = z.output<typeof FlowPatch>;

export type FlowOut = {
  id: string;
  team_id: string;
  name: string;
  graph: FlowGraphT;
  /** The webhooks this flow's destinations became, in node order. */
  webhooks: { nodeId: string; webhookId: string }[];
  /** Signing secrets of webhooks made by this save: shown once. */
  secrets?: { nodeId: string; webhookId: string; secret: string }[];
  created_at: Date;
  updated_at: Date;
};

type Detail = { path: string; message: string };
const invalid = (details: Detail[]) =>
  new AppError(422, 'INVALID_FLOW', `This flow cannot be saved: ${details.slice(0, 3).map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);

/** The graph, or a 422 whose details name each node and edge at fault. */
export function checkGraph(raw: unknown): FlowGraphT {
  const problems = validateGraph(raw);
  if (problems.length) throw invalid(problems.map(({ path, message }) => ({ path, message })));
  return FlowGraph.parse(raw);
}

/** A webhook's error, re-pointed at the node the user drew: mappings at the map step, events at triggers, the rest at the destination. */
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
    const path = typeof d.path === 'string' ? d.path : '';
    if (path.startsWith('mappings') && plan.mapNodeId) return { path: `nodes.${plan.mapNodeId}.data.${path}`, message: d.message };
    const event = /^events\.(\d+)$/.exec(path);
    if (event) {
      const trigger = graph.nodes.find((n) => n.kind === 'trigger' && n.data.eventType === plan.events[Number(event[1])]);
      if (trigger) return { path: `nodes.${trigger.id}.data.eventType`, message: d.message };
    }
    if (['url', 'signing', 'authorization'].includes(path)) return { path: `nodes.${dest}.data.${path}`, message: d.message };
    return { path: `nodes.${dest}`, message: d.message };
  });
  if (status !== 422) return new AppError(status, (err as AppError).code, (err as AppError).message, mapped);
  return invalid(mapped);
}

/** A webhook already gone (removed by hand) is what the caller wanted anyway. */
const unlessGone = <T>(err: unknown): T | null => {
  if (err instanceof AppError && err.status === 404) return null;
  throw err;
};

const webhookName = (flowId: string, flowName: string, nodeId: string) => `${flowName.slice(0, 60)}: ${nodeId} ${flowId.slice(-8)}`;

export function flowsService(deps: Deps) {
  const { db } = deps;
  const hooks = webhooksService(deps);
  const eventTypes = eventTypesService(deps);

  const webhooksOf = (graph: FlowGraphT) =>
    graph.nodes.flatMap((n) => (n.kind === 'webhook' && n.data.webhookId ? [{ nodeId: n.id, webhookId: n.data.webhookId }] : []));
  const out = (row: FlowRow): FlowOut => {
    const graph = row.graph as FlowGraphT;
    return { id: row.id, team_id: row.workspace_id, name: row.name, graph, webhooks: webhooksOf(graph), created_at: row.created_at, updated_at: row.updated_at };
  };

  async function find(ws: string, id: string): Promise<FlowRow> {
    const row = await db.selectFrom('flows').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Flow', id);
    return row;
  }

  async function checkEvents(ws: string, graph: FlowGraphT): Promise<void> {
    const details: Detail[] = [];
    for (const n of graph.nodes) {
      if (n.kind !== 'trigger') continue;
      await eventTypes.resolve(ws, n.data.eventType).catch(() => details.push({ path: `nodes.${n.id}.data.eventType`, message: `unknown event type "${n.data.eventType}"` }));
    }
    if (details.length) throw invalid(details);
  }

  /**
   * Makes the workspace's webhooks match the graph: one per destination node, created, updated or
   * removed. Returns the graph as stored (each destination with its webhookId, no Authorization).
   */
  async function sync(ws: string, flowId: string, name: string, graph: FlowGraphT, previous: FlowGraphT | null) {
    await checkEvents(ws, graph);
    const before = new Map((previous?.nodes ?? []).flatMap((n) => (n.kind === 'webhook' && n.data.webhookId ? [[n.id, n.data.webhookId] as const] : [])));
    const stored = new Map<string, WebhookDataT>();
    const secrets: NonNullable<FlowOut['secrets']> = [];
    const created: string[] = [];
    for (const plan of planDestinations(graph)) {
      if (plan.node.kind !== 'webhook') throw invalid([{ path: `nodes.${plan.node.id}`, message: `${plan.node.kind} destinations cannot be saved yet` }]);
      const d = plan.node.data;
      const fields = {
        name: webhookName(flowId, name, plan.node.id),
        url: d.url,
        events: plan.events,
        mappings: plan.map?.mappings ?? null,
        envelope: plan.map?.envelope ?? 'flat',
        signing: d.signing,
        ...(d.authorization !== undefined ? { authorization: d.authorization || null } : {}),
      };
      const opts = { extraFilter: filterCondition(plan.filters) };
      let hook: WebhookOut;
      try {
        const existing = before.get(plan.node.id);
        const updated = existing ? await hooks.update(ws, existing, WebhookPatch.parse(fields), opts).catch(unlessGone<WebhookOut>) : null;
        if (updated) hook = updated;
        else {
          hook = await hooks.create(ws, WebhookIn.parse({ ...fields, description: `Made by the flow "${name}" (${flowId}).` }), opts);
          created.push(hook.id);
          if (hook.secret) secrets.push({ nodeId: plan.node.id, webhookId: hook.id, secret: hook.secret });
        }
      } catch (err) {
        // A half-made flow would deliver from destinations nobody saved: undo what this save created.
        for (const id of created) await hooks.remove(ws, id).catch(() => undefined);
        throw located(err, plan, graph);
      }
      stored.set(plan.node.id, { url: d.url, signing: d.signing, webhookId: hook.id, authorizationHint: hook.authorization });
    }
    for (const [nodeId, webhookId] of before) {
      if (!stored.has(nodeId)) await hooks.remove(ws, webhookId).catch(unlessGone);
    }
    const nodes = graph.nodes.map((n) => (n.kind === 'webhook' ? { ...n, data: stored.get(n.id) as WebhookDataT } : n));
    return { graph: { nodes, edges: graph.edges } as FlowGraphT, secrets, created };
  }

  return {
    async list(ws: string): Promise<{ models: FlowOut[]; count: number }> {
      const rows = await db.selectFrom('flows').selectAll().where('workspace_id', '=', ws).orderBy('id').execute();
      return { models: rows.map(out), count: rows.length };
    },

    async get(ws: string, id: string): Promise<FlowOut> {
      return out(await find(ws, id));
    },

    async create(ws: string, input: FlowInT): Promise<FlowOut> {
      const graph = checkGraph(input.graph);
      const id = newId('flw');
      const saved = await sync(ws, id, input.name, graph, null);
      try {
        const row = await db.insertInto('flows').values({ id, workspace_id: ws, name: input.name, graph: JSON.stringify(saved.graph) }).returningAll().executeTakeFirstOrThrow();
        return { ...out(row), secrets: saved.secrets };
      } catch (err) {
        for (const w of saved.created) await hooks.remove(ws, w).catch(() => undefined);
        throw err;
      }
    },

    async update(ws: string, id: string, patch: FlowPatchT): Promise<FlowOut> {
      const row = await find(ws, id);
      const name = patch.name ?? row.name;
      const graph = patch.graph === undefined ? (row.graph as FlowGraphT) : checkGraph(patch.graph);
      const saved = await sync(ws, id, name, graph, row.graph as FlowGraphT);
      const updated = await db
        .updateTable('flows')
        .set({ name, graph: JSON.stringify(saved.graph), updated_at: new Date() })
        .where('id', '=', id)
        .where('workspace_id', '=', ws)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { ...out(updated), secrets: saved.secrets };
    },

    async remove(ws: string, id: string): Promise<void> {
      const row = await find(ws, id);
      for (const { webhookId } of webhooksOf(row.graph as FlowGraphT)) {
        await hooks.remove(ws, webhookId).catch(unlessGone);
      }
      await db.deleteFrom('flows').where('id', '=', id).where('workspace_id', '=', ws).execute();
    },
  };
}
