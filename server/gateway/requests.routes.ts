import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth.middleware.ts';
import { AppError } from '../core/errors.ts';
import { paginate, listParams } from '../core/pagination.ts';
import { idParam, query } from '../core/validate.ts';
import type { RequestRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { bodyForReading } from './body.ts';
import { eventOut, EVENT_COLUMNS } from './events.routes.ts';
import { applyRequestFilters, requestFilterQuery, statusParam, toRequestFilter } from './log-filters.ts';
import { sourceNames } from './log-labels.ts';
import { requestOutcomes } from './log-rows.ts';
import { missingFromLog } from './log-retention.ts';
import { requestStory } from './request-outcome.ts';
import { planReplay, writeReplays } from './request-replay.ts';

const RequestsQuery = requestFilterQuery({
  limit: listParams.limit,
  next: listParams.next,
  prev: listParams.prev,
  cursor: listParams.cursor,
  dir: listParams.dir,
  include: z.string().max(50).optional(),
});
const CountQuery = requestFilterQuery({});

type RequestSummary = Omit<RequestRow, 'body'> & { body?: Buffer };

function requestOut(row: RequestSummary, withData: boolean) {
  return {
    id: row.id,
    team_id: row.workspace_id,
    source_id: row.source_id,
    status: row.status,
    rejection_cause: row.rejection_cause,
    verified: row.verified,
    events_count: row.events_count,
    ignored_count: row.ignored_count,
    is_retry: row.retry_kind !== null,
    retry_kind: row.retry_kind,
    batch_operation_id: row.batch_operation_id,
    created_at: row.created_at,
    event_type: row.event_type,
    summary: row.summary,
    ...(withData && row.body
      ? { data: { method: row.method, path: row.path, query: row.query, headers: row.headers, body: bodyForReading(row.body, row.content_type) } }
      : {}),
  };
}

const SUMMARY = ['id', 'workspace_id', 'source_id', 'status', 'rejection_cause', 'verified', 'method', 'path', 'query', 'headers', 'content_type', 'events_count', 'ignored_count', 'retry_kind', 'batch_operation_id', 'created_at', 'summary', 'event_type'] as const;

export function requestsRoutes(deps: Deps): Router {
  const r = Router();
  const { db } = deps;
  const find = async (ws: string, id: string) => {
    const row = await db.selectFrom('requests').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    // 404, or 410 for one deleted after the team's retention (log-retention.ts).
    if (!row) throw await missingFromLog(db, deps.config.retentionDays, ws, 'Request', id);
    return row;
  };

  r.get('/requests', async (req, res) => {
    const p = query(req, RequestsQuery);
    const withData = p.include === 'data';
    let q = applyRequestFilters(db.selectFrom('requests').select(SUMMARY), authOf(req).workspaceId, toRequestFilter(p));
    if (withData) q = q.select('body') as typeof q;
    const page = await paginate(q, { ...p, order_by: 'created_at' }, 'id');
    const ws = authOf(req).workspaceId;
    // What became of each (delivered, filtered by which flow, duplicate…) and its source's name, for the log's rows.
    const [outcomes, sources] = await Promise.all([requestOutcomes(db, ws, page.models), sourceNames(db, ws, page.models.map((m) => m.source_id))]);
    res.json({ ...page, models: page.models.map((m) => ({ ...requestOut(m, withData), source_name: sources.get(m.source_id) ?? null, outcome: outcomes.get(m.id) })) });
  });

  r.get('/requests/count', async (req, res) => {
    const f = toRequestFilter(query(req, CountQuery));
    const row = await applyRequestFilters(db.selectFrom('requests').select((eb) => eb.fn.countAll<string>().as('n')), authOf(req).workspaceId, f).executeTakeFirstOrThrow();
    res.json({ count: Number(row.n) });
  });

  r.get('/requests/:id', async (req, res) => {
    const ws = authOf(req).workspaceId;
    const row = await find(ws, idParam(req, 'req', 'Request'));
    const [outcomes, sources] = await Promise.all([requestOutcomes(db, ws, [row]), sourceNames(db, ws, [row.source_id])]);
    res.json({ ...requestOut(row, true), source_name: sources.get(row.source_id) ?? null, outcome: outcomes.get(row.id) });
  });

  /** What became of the request on each flow or connection, in sentences (request-outcome.ts). */
  r.get('/requests/:id/outcome', async (req, res) => {
    const ws = authOf(req).workspaceId;
    const row = await find(ws, idParam(req, 'req', 'Request'));
    res.json(await requestStory(db, ws, deps.config.retrySchedule, row));
  });

  r.get('/requests/:id/events', async (req, res) => {
    const ws = authOf(req).workspaceId;
    const id = idParam(req, 'req', 'Request');
    await find(ws, id);
    const { status } = query(req, z.object({ status: statusParam.optional() }));
    let q = db.selectFrom('events').select(EVENT_COLUMNS).where('workspace_id', '=', ws).where('request_id', '=', id);
    if (status) q = q.where('status', 'in', status);
    const models = (await q.orderBy('id').execute()).map((e) => eventOut(e));
    res.json({ models, count: models.length });
  });

  r.get('/requests/:id/ignored_events', async (req, res) => {
    const ws = authOf(req).workspaceId;
    const id = idParam(req, 'req', 'Request');
    await find(ws, id);
    const rows = await db.selectFrom('ignored_events').selectAll().where('workspace_id', '=', ws).where('request_id', '=', id).orderBy('id').execute();
    const models = rows.map((g) => ({ id: g.id, team_id: g.workspace_id, request_id: g.request_id, connection_id: g.connection_id, cause: g.cause, created_at: g.created_at }));
    res.json({ models, count: models.length });
  });

  r.post('/requests/:id/retry', async (req, res) => {
    const ws = authOf(req).workspaceId;
    const row = await find(ws, idParam(req, 'req', 'Request'));
    if (row.status !== 'accepted') throw new AppError(409, 'RETRY_CONFLICT', 'A rejected request cannot be replayed: it failed verification.');
    // A replay routes the stored request through the connections as they are now.
    const planned = await planReplay(deps, row);
    if (!planned) throw new AppError(409, 'RETRY_CONFLICT', 'The source of this request no longer exists.');
    const { eventIds: ids, replayed } = await db.transaction().execute((trx) => writeReplays(trx, [planned], { kind: 'single' }));
    // Retention deleted it between the read above and the replay's lock on it.
    if (!replayed.length) throw await missingFromLog(db, deps.config.retentionDays, ws, 'Request', row.id);
    deps.wake([...new Set(planned.routed.events.map((e) => e.lane))]);
    const created = ids.length ? await db.selectFrom('events').select(EVENT_COLUMNS).where('id', 'in', ids).execute() : [];
    const updated = await find(ws, row.id);
    res.status(202).json({ request: requestOut(updated, false), events: created.map((e) => eventOut(e)), ignored_count: planned.routed.ignored.length });
  });
  return r;
}
