import { z } from 'zod';
import { AppError, conflict, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { paginate } from '../core/pagination.ts';
import { descriptionSchema, nameSchema } from '../core/validate.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { ConnectionRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { holdConnectionEvents, releaseHeld } from '../delivery/holds.ts';
import { destinationOut, type DestinationOut } from './destinations.service.ts';
import type { ReadOptions, ResourceService } from './resource-routes.ts';
import { RulesSchema, type Rule } from './rules.ts';
import { sourceOut, type SourceOut } from './sources.service.ts';
import { bodyForReading } from './body.ts';
import { resolveTransformationRules, type TransformationsService } from '../transformations/transformations.service.ts';

// "source_id or source.id" and "destination_id or destination.id" (seed 002).
const liftRefs = (v: unknown) => {
  if (!v || typeof v !== 'object') return v;
  const o = { ...(v as Record<string, unknown>) };
  for (const k of ['source', 'destination'] as const) {
    const ref = o[k] as { id?: unknown } | undefined;
    if (ref && typeof ref === 'object' && o[`${k}_id`] === undefined) o[`${k}_id`] = ref.id;
    delete o[k];
  }
  return o;
};

const ConnectionBase = z
  .object({
    id: z.string().max(64).optional(),
    name: nameSchema,
    description: descriptionSchema,
    source_id: z.string().min(1).max(64),
    destination_id: z.string().min(1).max(64),
    rules: RulesSchema.default([]),
  })
  .strict();

export const ConnectionIn = z.preprocess(liftRefs, ConnectionBase);
// Without the default: zod 4 applies a default inside .partial(), so a PATCH of the description
// alone would have replaced the rules with [].
export const ConnectionPatch = z.preprocess(liftRefs, ConnectionBase.omit({ id: true }).extend({ rules: RulesSchema }).partial());
export type ConnectionInT = z.output<typeof ConnectionIn>;
export type ConnectionPatchT = z.output<typeof ConnectionPatch>;

export type ConnectionOut = {
  id: string;
  team_id: string;
  name: string;
  full_name: string;
  description: string | null;
  source: SourceOut;
  destination: DestinationOut;
  rules: Rule[];
  disabled_at: Date | null;
  paused_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

export type ConnectionsService = ResourceService<ConnectionInT, ConnectionPatchT, ConnectionOut> & {
  setPaused(ws: string, id: string, paused: boolean): Promise<ConnectionOut>;
  latestInput(ws: string, id: string): Promise<unknown>;
};

export function connectionsService(deps: Deps, transformations: Pick<TransformationsService, 'upsert'>): ConnectionsService {
  const { db } = deps;

  const hydrate = async (rows: ConnectionRow[], opts: ReadOptions = { includeAuth: false }): Promise<ConnectionOut[]> => {
    if (rows.length === 0) return [];
    const [sources, destinations] = await Promise.all([
      db
        .selectFrom('sources')
        .selectAll()
        .where('id', 'in', [...new Set(rows.map((r) => r.source_id))])
        .execute(),
      db
        .selectFrom('destinations')
        .selectAll()
        .where('id', 'in', [...new Set(rows.map((r) => r.destination_id))])
        .execute(),
    ]);
    const s = new Map(sources.map((x) => [x.id, sourceOut(deps, x, opts)]));
    const d = new Map(destinations.map((x) => [x.id, destinationOut(deps, x, opts)]));
    return rows.map((row) => {
      const source = s.get(row.source_id) as SourceOut;
      return {
        id: row.id,
        team_id: row.workspace_id,
        name: row.name,
        full_name: `${source.name} -> ${row.name}`,
        description: row.description,
        source,
        destination: d.get(row.destination_id) as DestinationOut,
        rules: row.rules as Rule[],
        disabled_at: row.disabled_at,
        paused_at: row.paused_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
      };
    });
  };
  const one = async (row: ConnectionRow, opts?: ReadOptions) => (await hydrate([row], opts))[0];

  const find = async (ws: string, id: string) => {
    const row = await db.selectFrom('connections').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Connection', id);
    return row;
  };

  const checkRefs = async (ws: string, sourceId?: string, destinationId?: string) => {
    const problems: { path: string; message: string }[] = [];
    if (sourceId && !(await db.selectFrom('sources').select('id').where('workspace_id', '=', ws).where('id', '=', sourceId).executeTakeFirst())) {
      problems.push({ path: 'source_id', message: `source ${sourceId} was not found` });
    }
    if (
      destinationId &&
      !(await db.selectFrom('destinations').select('id').where('workspace_id', '=', ws).where('id', '=', destinationId).executeTakeFirst())
    ) {
      problems.push({ path: 'destination_id', message: `destination ${destinationId} was not found` });
    }
    if (problems.length) throw new AppError(422, 'UNPROCESSABLE_ENTITY', problems.map((p) => p.message).join('; '), problems);
  };

  const duplicate = (name: string) => conflict(`A connection named "${name}" already exists on this source.`, { name });

  return {
    async list(ws, params, opts) {
      let q = db.selectFrom('connections').selectAll().where('workspace_id', '=', ws);
      if (params.name) q = q.where('name', '=', params.name);
      if (params.source_id) q = q.where('source_id', '=', params.source_id);
      if (params.destination_id) q = q.where('destination_id', '=', params.destination_id);
      if (params.disabled) q = q.where('disabled_at', params.disabled === 'true' ? 'is not' : 'is', null);
      const page = await paginate(q, params, params.order_by);
      return { ...page, models: await hydrate(page.models, opts) };
    },
    async get(ws, id, opts) {
      return one(await find(ws, id), opts);
    },
    async create(ws, input) {
      await checkRefs(ws, input.source_id, input.destination_id);
      const rules = await resolveTransformationRules(deps, transformations, ws, input.rules);
      try {
        const row = await db
          .insertInto('connections')
          .values({
            id: newId('web'),
            workspace_id: ws,
            name: input.name,
            description: input.description ?? null,
            source_id: input.source_id,
            destination_id: input.destination_id,
            rules: JSON.stringify(rules),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return deps.routing.changed(await one(row));
      } catch (err) {
        if (isUniqueViolation(err)) throw duplicate(input.name);
        throw err;
      }
    },
    async upsert(ws, input, caller) {
      // By id when given, otherwise by (source_id, name), as the seed specifies.
      const existing = input.id
        ? await db.selectFrom('connections').select('id').where('workspace_id', '=', ws).where('id', '=', input.id).executeTakeFirst()
        : await db
            .selectFrom('connections')
            .select('id')
            .where('workspace_id', '=', ws)
            .where('source_id', '=', input.source_id)
            .where('name', '=', input.name)
            .executeTakeFirst();
      if (input.id && !existing) throw notFound('Connection', input.id);
      if (!existing) return { created: true, model: await this.create(ws, input, caller) };
      const { id: _ignored, ...patch } = input;
      return { created: false, model: await this.update(ws, existing.id, patch, caller) };
    },
    async update(ws, id, patch) {
      await find(ws, id);
      await checkRefs(ws, patch.source_id, patch.destination_id);
      const rules = patch.rules === undefined ? undefined : await resolveTransformationRules(deps, transformations, ws, patch.rules);
      try {
        const row = await db
          .updateTable('connections')
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.source_id !== undefined ? { source_id: patch.source_id } : {}),
            ...(patch.destination_id !== undefined ? { destination_id: patch.destination_id } : {}),
            ...(rules !== undefined ? { rules: JSON.stringify(rules) } : {}),
            updated_at: new Date(),
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return deps.routing.changed(await one(row));
      } catch (err) {
        if (isUniqueViolation(err)) throw duplicate(patch.name ?? '');
        throw err;
      }
    },
    async setDisabled(ws, id, disabled) {
      const before = await find(ws, id);
      const now = new Date();
      const row = await db
        .updateTable('connections')
        .set({ disabled_at: disabled ? (before.disabled_at ?? now) : null, updated_at: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (disabled) await holdConnectionEvents(db, id);
      else deps.wake(await releaseHeld(db, { connectionId: id }));
      return deps.routing.changed(await one(row));
    },
    async setPaused(ws, id, paused) {
      const before = await find(ws, id);
      const now = new Date();
      const row = await db
        .updateTable('connections')
        .set({ paused_at: paused ? (before.paused_at ?? now) : null, updated_at: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (paused) await holdConnectionEvents(db, id);
      else deps.wake(await releaseHeld(db, { connectionId: id }));
      return deps.routing.changed(await one(row));
    },
    async remove(ws, id) {
      const gone = await db.deleteFrom('connections').where('workspace_id', '=', ws).where('id', '=', id).returning('id').executeTakeFirst();
      if (!gone) throw notFound('Connection', id);
      await db
        .updateTable('events')
        .set({ status: 'CANCELLED', next_attempt_at: null, updated_at: new Date() })
        .where('connection_id', '=', id)
        .where('status', 'in', ['QUEUED', 'SCHEDULED', 'HOLD'])
        .execute();
      deps.routing.invalidate();
    },
    async latestInput(ws, id) {
      const conn = await find(ws, id);
      const req = await db
        .selectFrom('requests')
        .select(['id', 'headers', 'query', 'path', 'body', 'content_type', 'created_at'])
        .where('source_id', '=', conn.source_id)
        .where('status', '=', 'accepted')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!req) throw notFound('Input for connection', id);
      return {
        request_id: req.id,
        headers: req.headers,
        query: req.query,
        path: req.path,
        body: bodyForReading(req.body, req.content_type),
        created_at: req.created_at,
      };
    },
  };
}
