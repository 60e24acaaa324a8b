import { z } from 'zod';
import type { AuthContext } from '../auth/auth.middleware.ts';
import { notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { displayNameSchema } from '../core/validate.ts';
import type { FlowRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { FlowGraph, savedObjects, validateGraph, type FlowGraphT } from '../../shared/flow-graph.ts';
import { inWords, invalidFlow } from './flow-objects.ts';
import { graphLike } from '../../shared/flow-problem-text.ts';
import { refreshGraph, type FlowProblem } from './flow-refresh.ts';
import type { FlowSync, Secret } from './flow-sync.ts';

// A flow's name is free text; the webhooks and connections it makes get a slug of it (flow-sync.ts).
export const FlowIn = z.object({ name: displayNameSchema, graph: z.unknown() }).strict();
export const FlowPatch = z.object({ name: displayNameSchema.optional(), graph: z.unknown().optional() }).strict();
export type FlowInT = z.output<typeof FlowIn>;
export type FlowPatchT = z.output<typeof FlowPatch>;

export type FlowOut = {
  id: string;
  team_id: string;
  name: string;
  graph: FlowGraphT;
  /** The webhooks this flow's webhook steps became, in node order (each listed on GET /webhooks, published events or a source's requests alike). */
  webhooks: { nodeId: string; webhookId: string }[];
  /** What every destination node became: its connection, and the destination (made by the flow, or existing). */
  objects: { nodeId: string; kind: string; connectionId: string; destinationId: string | null }[];
  /** Signing secrets of webhooks made by this save: shown once. */
  secrets?: Secret[];
  created_at: Date;
  updated_at: Date;
};

/** The graph, or a 422 whose details name each node and edge at fault. */
export function checkGraph(raw: unknown): FlowGraphT {
  const problems = validateGraph(raw);
  if (problems.length)
    throw invalidFlow(
      problems.map(({ path, message }) => ({ path, message })),
      'saved',
      graphLike(raw),
    );
  return FlowGraph.parse(raw);
}

export function flowsService(deps: Deps, objects: FlowSync) {
  const { db } = deps;

  // A step fed by published events keeps its webhook as `webhookId`; one fed by a source, its connection as `connectionId`: both are webhooks.
  const webhooksOf = (graph: FlowGraphT) =>
    graph.nodes.flatMap((n) => {
      const id = n.kind === 'webhook' ? (n.data.webhookId ?? n.data.connectionId) : undefined;
      return id ? [{ nodeId: n.id, webhookId: id }] : [];
    });
  const out = (row: FlowRow, graph = row.graph as FlowGraphT): FlowOut => ({
    id: row.id,
    team_id: row.workspace_id,
    name: row.name,
    graph,
    webhooks: webhooksOf(graph),
    objects: [...savedObjects(graph)].map(([nodeId, s]) => ({ nodeId, kind: s.kind, connectionId: s.connectionId, destinationId: s.destinationId ?? null })),
    created_at: row.created_at,
    updated_at: row.updated_at,
  });

  async function find(ws: string, id: string): Promise<FlowRow> {
    const row = await db.selectFrom('flows').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Flow', id);
    return row;
  }

  return {
    find,
    async list(ws: string): Promise<{ models: FlowOut[]; count: number }> {
      const rows = await db.selectFrom('flows').selectAll().where('workspace_id', '=', ws).orderBy('id').execute();
      return { models: rows.map((r) => out(r)), count: rows.length };
    },

    /** The stored graph refreshed from the objects underneath, with what cannot be drawn in `problems`. */
    async get(ws: string, id: string): Promise<FlowOut & { problems: FlowProblem[] }> {
      const row = await find(ws, id);
      const { graph, problems } = await refreshGraph(deps, ws, row.graph as FlowGraphT);
      return { ...out(row, graph), problems };
    },

    async create(ws: string, input: FlowInT, caller: AuthContext): Promise<FlowOut> {
      const graph = checkGraph(input.graph);
      const id = newId('flw');
      const saved = await objects.sync(ws, caller, id, input.name, graph, null).catch((err: unknown) => {
        throw inWords(err, graph, 'saved');
      });
      try {
        const row = await db
          .insertInto('flows')
          .values({ id, workspace_id: ws, name: input.name, graph: JSON.stringify(saved.graph) })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { ...out(row), secrets: saved.secrets };
      } catch (err) {
        await objects.undo(ws, saved.created);
        throw err;
      }
    },

    async update(ws: string, id: string, patch: FlowPatchT, caller: AuthContext): Promise<FlowOut> {
      const row = await find(ws, id);
      const name = patch.name ?? row.name;
      const graph = patch.graph === undefined ? (row.graph as FlowGraphT) : checkGraph(patch.graph);
      const saved = await objects.sync(ws, caller, id, name, graph, row.graph as FlowGraphT).catch((err: unknown) => {
        throw inWords(err, graph, 'saved');
      });
      const updated = await db
        .updateTable('flows')
        .set({ name, graph: JSON.stringify(saved.graph), updated_at: new Date() })
        .where('id', '=', id)
        .where('workspace_id', '=', ws)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { ...out(updated), secrets: saved.secrets };
    },

    /** Removes the flow and what its nodes became; an existing destination keeps everything but this flow's connection. */
    async remove(ws: string, id: string): Promise<void> {
      const row = await find(ws, id);
      for (const saved of savedObjects(row.graph as FlowGraphT).values()) await objects.removeObject(ws, saved);
      await db.deleteFrom('flows').where('id', '=', id).where('workspace_id', '=', ws).execute();
    },
  };
}
