import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { AppError, conflict, notFound } from '../core/errors.ts';
import { isDeepJsonBody, payloadTooDeep } from '../core/json-depth.ts';
import { newId } from '../core/ids.ts';
import { listParams, paginate, type Page } from '../core/pagination.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { TransformationExecutionRow, TransformationRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { decodeBody } from '../gateway/body.ts';
import { isPlainObject, type Rule } from '../gateway/rules.ts';
import { APPLICATION_SOURCE_TYPE } from '../gateway/source-types.ts';
import { SandboxBusy, type SandboxLog, type SandboxRequest } from './sandbox.ts';
import { CodeSchema, EnvSchema, type TransformationInT, type TransformationPatchT } from './transformation-schema.ts';
import { executionRow, runnerFor } from './transformation-runner.ts';

export type TransformationOut = {
  id: string;
  team_id: string;
  name: string;
  code: string;
  env: Record<string, string>;
  code_hash: string;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
};

export type ExecutionOut = {
  id: string;
  team_id: string;
  transformation_id: string;
  status: 'ok' | 'failed';
  error_code: string | null;
  error_message: string | null;
  event_id: string | null;
  request_id: string | null;
  connection_id: string | null;
  logs: SandboxLog[];
  duration_ms: number;
  created_at: Date;
  original?: unknown;
  transformed?: unknown;
};

export type RunOut = {
  ok: boolean;
  /** What the code returned (null when it failed). */
  request: SandboxRequest | null;
  error: { code: string; message: string } | null;
  logs: SandboxLog[];
  duration_ms: number;
  /** The sample it ran on, after defaults or as read from the stored event. */
  input: SandboxRequest;
  transformation_id: string | null;
  /** Runs of a saved transformation are kept with its executions. */
  execution_id: string | null;
};

export const TransformationsQuery = z.object({
  ...listParams,
  name: z.string().max(155).optional(),
});

export const ExecutionsQuery = z.object({
  order_by: z.literal('created_at').default('created_at'),
  dir: listParams.dir,
  limit: listParams.limit,
  next: listParams.next,
  prev: listParams.prev,
  cursor: listParams.cursor,
  status: z.enum(['ok', 'failed']).optional(),
  event_id: z.string().trim().max(64).optional(),
  request_id: z.string().trim().max(64).optional(),
  connection_id: z.string().trim().max(64).optional(),
});

const SampleRequest = z
  .object({
    headers: z.record(z.string(), z.string({ message: 'header values must be strings' })).optional(),
    body: z.unknown().optional(),
    query: z.record(z.string(), z.unknown()).optional(),
    path: z.string().max(2048).startsWith('/', 'the path starts with /').optional(),
  })
  .strict();

const id = z.string().trim().min(1).max(64);

/** Inline code (and its variables), or a saved transformation; on a sample given here or read from a stored event. */
export const RunIn = z
  .object({
    code: CodeSchema.optional(),
    env: EnvSchema.optional(),
    transformation_id: id.optional(),
    request: SampleRequest.optional(),
    event_id: id.optional(),
    request_id: id.optional(),
    connection_id: id.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.code === undefined && v.transformation_id === undefined)
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'give code (and env) to try, or the transformation_id of a saved one' });
    if (v.code !== undefined && v.transformation_id !== undefined)
      ctx.addIssue({ code: 'custom', path: ['transformation_id'], message: 'give code or transformation_id, not both' });
    if (v.env !== undefined && v.transformation_id !== undefined)
      ctx.addIssue({ code: 'custom', path: ['env'], message: 'a saved transformation runs with its own env; send code and env to try other values' });
    if (v.event_id !== undefined && v.request_id !== undefined)
      ctx.addIssue({ code: 'custom', path: ['request_id'], message: 'give event_id or request_id, not both' });
    if (v.request !== undefined && (v.event_id !== undefined || v.request_id !== undefined))
      ctx.addIssue({ code: 'custom', path: ['request'], message: 'give a request sample or the event_id/request_id to read it from, not both' });
  });
export type RunInT = z.output<typeof RunIn>;

const MAX_EXECUTIONS_KEPT = 1000;

const codeHash = (code: string) => createHash('sha256').update(code).digest('hex');

export function transformationOut(deps: Pick<Deps, 'box'>, row: TransformationRow): TransformationOut {
  return {
    id: row.id,
    team_id: row.workspace_id,
    name: row.name,
    code: row.code,
    env: deps.box.openJson<Record<string, string>>(row.env_enc),
    code_hash: row.code_hash,
    created_at: row.created_at,
    updated_at: row.updated_at,
    deleted_at: row.deleted_at,
  };
}

type ExecutionSummary = Omit<TransformationExecutionRow, 'original' | 'transformed'> & Partial<Pick<TransformationExecutionRow, 'original' | 'transformed'>>;

function executionOut(row: ExecutionSummary): ExecutionOut {
  return {
    id: row.id,
    team_id: row.workspace_id,
    transformation_id: row.transformation_id,
    status: row.status,
    error_code: row.error_code,
    error_message: row.error_message,
    event_id: row.event_id,
    request_id: row.request_id,
    connection_id: row.connection_id,
    logs: row.logs as SandboxLog[],
    duration_ms: row.duration_ms,
    created_at: row.created_at,
    ...('original' in row ? { original: row.original, transformed: row.transformed } : {}),
  };
}

const duplicate = (name: string) => conflict(`A transformation named "${name}" already exists.`, { name });

export function transformationsService(deps: Deps) {
  const { db } = deps;

  const find = async (ws: string, id: string) => {
    const row = await db
      .selectFrom('transformations')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw notFound('Transformation', id);
    return row;
  };

  async function create(ws: string, input: TransformationInT): Promise<TransformationOut> {
    try {
      const row = await db
        .insertInto('transformations')
        .values({
          id: newId('trs'),
          workspace_id: ws,
          name: input.name,
          code: input.code,
          code_hash: codeHash(input.code),
          env_enc: deps.box.sealJson(input.env ?? {}),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return transformationOut(deps, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(input.name);
      throw err;
    }
  }

  async function update(ws: string, id: string, patch: TransformationPatchT): Promise<TransformationOut> {
    await find(ws, id);
    try {
      const row = await db
        .updateTable('transformations')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.code !== undefined ? { code: patch.code, code_hash: codeHash(patch.code) } : {}),
          ...(patch.env !== undefined ? { env_enc: deps.box.sealJson(patch.env) } : {}),
          updated_at: new Date(),
        })
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return transformationOut(deps, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(patch.name ?? '');
      throw err;
    }
  }

  /** By name; variables left out keep their stored values (an inline rule may rely on variables set through the API). */
  async function upsert(ws: string, input: TransformationInT): Promise<{ created: boolean; model: TransformationOut }> {
    for (let tries = 0; ; tries++) {
      const existing = await db
        .selectFrom('transformations')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('name', '=', input.name)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (existing) return { created: false, model: await update(ws, existing.id, input) };
      try {
        return { created: true, model: await create(ws, input) };
      } catch (err) {
        // Two upserts of one new name at once: the loser updates what the winner made.
        if (!(err instanceof AppError && err.status === 409) || tries > 0) throw err;
      }
    }
  }

  /** The sample a run starts from: given, defaulted, or read from a stored event or request. */
  async function sampleOf(
    ws: string,
    input: RunInT,
  ): Promise<{ request: SandboxRequest; eventId: string | null; requestId: string | null; connectionId: string | null }> {
    let eventId: string | null = null;
    let requestId = input.request_id ?? null;
    let connectionId = input.connection_id ?? null;
    if (input.event_id) {
      const ev = await db
        .selectFrom('events')
        .select(['id', 'request_id', 'connection_id'])
        .where('workspace_id', '=', ws)
        .where('id', '=', input.event_id)
        .executeTakeFirst();
      if (!ev) throw notFound('Event', input.event_id);
      eventId = ev.id;
      requestId = ev.request_id;
      connectionId ??= ev.connection_id;
    }
    if (connectionId && !(await db.selectFrom('connections').select('id').where('workspace_id', '=', ws).where('id', '=', connectionId).executeTakeFirst())) {
      throw notFound('Connection', connectionId);
    }
    if (!requestId && !input.request && connectionId) {
      // The connection's latest input, as GET /connections/:id/latest-input shows it.
      const latest = await db
        .selectFrom('requests')
        .innerJoin('connections', 'connections.source_id', 'requests.source_id')
        .select('requests.id')
        .where('connections.id', '=', connectionId)
        .where('requests.status', '=', 'accepted')
        .orderBy('requests.id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!latest) throw notFound('Input for connection', connectionId);
      requestId = latest.id;
    }
    if (requestId) {
      const req = await db
        .selectFrom('requests')
        .innerJoin('sources', 'sources.id', 'requests.source_id')
        .select(['requests.id', 'requests.headers', 'requests.query', 'requests.path', 'requests.body', 'requests.content_type', 'sources.type as source_type'])
        .where('requests.workspace_id', '=', ws)
        .where('requests.id', '=', requestId)
        .executeTakeFirst();
      if (!req) throw notFound('Request', requestId);
      // Stored before ingest refused deep JSON: the sandbox would refuse it too, and the answer (which echoes it) could not be serialised.
      if (isDeepJsonBody(req.body, req.content_type)) throw payloadTooDeep(`The body of request ${requestId}`);
      const body = decodeBody(req.body, req.content_type);
      // A published event's transformation sees its data, as at delivery.
      if (req.source_type === APPLICATION_SOURCE_TYPE && isPlainObject(body) && isPlainObject(body.data)) {
        return { request: { headers: {}, body: body.data, query: {}, path: '/' }, eventId, requestId, connectionId };
      }
      return { request: { headers: req.headers, body, query: req.query, path: req.path }, eventId, requestId, connectionId };
    }
    const given = input.request ?? {};
    return {
      request: { headers: given.headers ?? {}, body: given.body === undefined ? {} : given.body, query: given.query ?? {}, path: given.path ?? '/' },
      eventId,
      requestId,
      connectionId,
    };
  }

  return {
    create,
    update,
    upsert,
    async list(ws: string, params: z.output<typeof TransformationsQuery>): Promise<Page<TransformationOut>> {
      let q = db.selectFrom('transformations').selectAll().where('workspace_id', '=', ws).where('deleted_at', 'is', null);
      if (params.name) q = q.where('name', '=', params.name);
      const page = await paginate(q, params, params.order_by);
      return { ...page, models: page.models.map((m) => transformationOut(deps, m)) };
    },
    async get(ws: string, id: string): Promise<TransformationOut> {
      return transformationOut(deps, await find(ws, id));
    },
    /** Refused while a connection's rule uses it: deliveries would fail from then on. */
    async remove(ws: string, id: string): Promise<void> {
      await find(ws, id);
      const users = await usedBy(deps, ws, id);
      if (users.length > 0) {
        throw new AppError(
          409,
          'TRANSFORMATION_IN_USE',
          `Transformation ${id} is used by ${users.map((c) => `connection "${c.name}" (${c.id})`).join(', ')}; remove its transformation rule first.`,
          { connections: users },
        );
      }
      // Kept (deleted_at) so that its executions stay readable until pruned; the name is free again.
      await db.updateTable('transformations').set({ deleted_at: new Date(), updated_at: new Date() }).where('id', '=', id).execute();
    },
    /** The failure of the user's code is the answer, not an error: always 200 once the input is valid. */
    async run(ws: string, input: RunInT): Promise<RunOut> {
      const saved = input.transformation_id ? await find(ws, input.transformation_id) : null;
      const sample = await sampleOf(ws, input);
      const code = saved
        ? { code: saved.code, env: deps.box.openJson<Record<string, string>>(saved.env_enc) }
        : { code: input.code as string, env: input.env ?? {} };
      const result = await runnerFor(deps)
        .run(code, sample.request, {
          team_id: ws,
          ...(sample.connectionId ? { connection_id: sample.connectionId } : {}),
          ...(sample.eventId ? { event_id: sample.eventId } : {}),
          ...(sample.requestId ? { request_id: sample.requestId } : {}),
        })
        .catch((err: unknown) => {
          if (!(err instanceof SandboxBusy)) throw err;
          throw new AppError(503, 'SANDBOX_BUSY', err.message, undefined, { 'Retry-After': String(Math.ceil(err.retryAfterMs / 1000)) });
        });
      let executionId: string | null = null;
      if (saved) {
        const row = executionRow(saved, sample.request, result, { event_id: sample.eventId, request_id: sample.requestId, connection_id: sample.connectionId });
        await db.insertInto('transformation_executions').values(row).execute();
        executionId = row.id;
      }
      return {
        ok: result.ok,
        request: result.ok ? result.request : null,
        error: result.ok ? null : result.error,
        logs: result.logs,
        duration_ms: result.duration_ms,
        input: sample.request,
        transformation_id: saved?.id ?? null,
        execution_id: executionId,
      };
    },
    async executions(ws: string, id: string, params: z.output<typeof ExecutionsQuery>): Promise<Page<ExecutionOut>> {
      await find(ws, id);
      let q = db
        .selectFrom('transformation_executions')
        .select([
          'id',
          'workspace_id',
          'transformation_id',
          'event_id',
          'request_id',
          'connection_id',
          'status',
          'error_code',
          'error_message',
          'logs',
          'duration_ms',
          'created_at',
        ])
        .where('transformation_id', '=', id)
        .where('workspace_id', '=', ws);
      if (params.status) q = q.where('status', '=', params.status);
      if (params.event_id) q = q.where('event_id', '=', params.event_id);
      if (params.request_id) q = q.where('request_id', '=', params.request_id);
      if (params.connection_id) q = q.where('connection_id', '=', params.connection_id);
      const page = await paginate(q, params, 'created_at');
      return { ...page, models: page.models.map(executionOut) };
    },
    async execution(ws: string, id: string, executionId: string): Promise<ExecutionOut> {
      await find(ws, id);
      const row = await db
        .selectFrom('transformation_executions')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('transformation_id', '=', id)
        .where('id', '=', executionId)
        .executeTakeFirst();
      if (!row) throw notFound('Transformation execution', executionId);
      return executionOut(row);
    },
  };
}

export type TransformationsService = ReturnType<typeof transformationsService>;

/** The connections whose rules name this transformation. */
export function usedBy(deps: Pick<Deps, 'db'>, ws: string, id: string): Promise<{ id: string; name: string }[]> {
  return deps.db
    .selectFrom('connections')
    .select(['id', 'name'])
    .where('workspace_id', '=', ws)
    .where(sql<boolean>`rules @> ${JSON.stringify([{ type: 'transformation', transformation_id: id }])}::jsonb`)
    .orderBy('id')
    .execute();
}

/**
 * A connection's rules as they are stored: an inline transformation is upserted by name and
 * replaced by its id (seed 002); an id must name one of the team's transformations. Ids are
 * checked before anything is written, so a refused request leaves no transformation behind.
 */
export async function resolveTransformationRules(
  deps: Deps,
  transformations: Pick<TransformationsService, 'upsert'>,
  ws: string,
  rules: Rule[],
): Promise<Rule[]> {
  const problems: { path: string; message: string; code: string }[] = [];
  for (const [i, rule] of rules.entries()) {
    if (rule.type !== 'transformation' || rule.transformation_id === undefined) continue;
    const found = await deps.db
      .selectFrom('transformations')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('id', '=', rule.transformation_id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!found) problems.push({ path: `body.rules.${i}.transformation_id`, message: `transformation ${rule.transformation_id} was not found`, code: 'custom' });
  }
  if (problems.length > 0) {
    throw new AppError(
      400,
      'VALIDATION_ERROR',
      `Invalid request body: ${problems.map((p) => `${p.path.slice('body.'.length)}: ${p.message}`).join('; ')}`,
      problems,
    );
  }
  const out: Rule[] = [];
  for (const rule of rules) {
    if (rule.type === 'transformation' && rule.transformation) {
      const { model } = await transformations.upsert(ws, rule.transformation);
      out.push({ type: 'transformation', transformation_id: model.id });
    } else {
      out.push(rule);
    }
  }
  return out;
}

/**
 * Keeps executions bounded: older than the retention, or beyond the newest 1,000 of their
 * transformation. Deleted in slices so one housekeeping pass never holds a long lock.
 */
export async function pruneExecutions(deps: Pick<Deps, 'db' | 'config'>): Promise<number> {
  const { db, config } = deps;
  let removed = 0;
  const cutoff = new Date(Date.now() - config.transformationExecutionsDays * 86_400_000);
  for (;;) {
    const { numAffectedRows } = await sql`
      DELETE FROM transformation_executions WHERE id IN (
        SELECT id FROM transformation_executions WHERE created_at < ${cutoff} LIMIT 5000)`.execute(db);
    removed += Number(numAffectedRows ?? 0);
    if (Number(numAffectedRows ?? 0) < 5000) break;
  }
  // Per transformation, the 1,001st newest run is found on the listing's index; it and older ones go.
  const { numAffectedRows } = await sql`
    DELETE FROM transformation_executions x USING (
      SELECT t.id AS transformation_id, b.created_at, b.id
      FROM transformations t
      CROSS JOIN LATERAL (
        SELECT e.created_at, e.id FROM transformation_executions e WHERE e.transformation_id = t.id
        ORDER BY e.created_at DESC, e.id DESC OFFSET ${MAX_EXECUTIONS_KEPT} LIMIT 1
      ) b
    ) cut
    WHERE x.transformation_id = cut.transformation_id AND (x.created_at, x.id) <= (cut.created_at, cut.id)`.execute(db);
  return removed + Number(numAffectedRows ?? 0);
}
