import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth.middleware.ts';
import { AppError, notFound } from '../core/errors.ts';
import { paginate, listParams } from '../core/pagination.ts';
import { timeParam } from '../core/time.ts';
import { idParam, query } from '../core/validate.ts';
import type { RequestRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { routeRequest } from '../ingest/route-request.ts';
import { decodeBody } from './body.ts';
import { eventOut, EVENT_COLUMNS, statusParam } from './events.routes.ts';

const RequestsQuery = z.object({
  limit: listParams.limit,
  next: listParams.next,
  prev: listParams.prev,
  cursor: listParams.cursor,
  dir: listParams.dir,
  status: z.enum(['accepted', 'rejected']).optional(),
  verified: z.enum(['true', 'false']).optional(),
  source_id: z.string().max(64).optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  include: z.string().max(50).optional(),
});

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
    created_at: row.created_at,
    ...(withData && row.body
      ? { data: { method: row.method, path: row.path, query: row.query, headers: row.headers, body: decodeBody(row.body, row.content_type) } }
      : {}),
  };
}

const SUMMARY = ['id', 'workspace_id', 'source_id', 'status', 'rejection_cause', 'verified', 'method', 'path', 'query', 'headers', 'content_type', 'events_count', 'ignored_count', 'created_at'] as const;

export function requestsRoutes(deps: Deps): Router {
  const r = Router();
  const { db } = deps;
  const find = async (ws: string, id: string) => {
    const row = await db.selectFrom('requests').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Request', id);
    return row;
  };

  r.get('/requests', async (req, res) => {
    const p = query(req, RequestsQuery);
    const withData = p.include === 'data';
    let q = db.selectFrom('requests').select(SUMMARY).where('workspace_id', '=', authOf(req).workspaceId);
    if (withData) q = q.select('body') as typeof q;
    if (p.status) q = q.where('status', '=', p.status);
    if (p.verified) q = q.where('verified', '=', p.verified === 'true');
    if (p.source_id) q = q.where('source_id', '=', p.source_id);
    if (p.from) q = q.where('created_at', '>=', p.from);
    if (p.to) q = q.where('created_at', '<=', p.to);
    const page = await paginate(q, { ...p, order_by: 'created_at' }, 'id');
    res.json({ ...page, models: page.models.map((m) => requestOut(m, withData)) });
  });

  r.get('/requests/:id', async (req, res) => {
    res.json(requestOut(await find(authOf(req).workspaceId, idParam(req, 'req', 'Request')), true));
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
    const source = await deps.routing.get(row.source_id);
    if (!source) throw new AppError(409, 'RETRY_CONFLICT', 'The source of this request no longer exists.');
    const view = { body: decodeBody(row.body, row.content_type), headers: row.headers, query: row.query, path: row.path };
    const { events, ignored } = routeRequest(view, source.routes);
    await db.transaction().execute(async (trx) => {
      if (events.length) {
        await trx
          .insertInto('events')
          .values(events.map((e) => ({ ...e, workspace_id: ws, request_id: row.id, source_id: row.source_id, pending_trigger: 'manual' as const, next_attempt_at: e.status === 'QUEUED' ? new Date() : null })))
          .execute();
      }
      if (ignored.length) await trx.insertInto('ignored_events').values(ignored.map((g) => ({ ...g, workspace_id: ws, request_id: row.id }))).execute();
      await trx
        .updateTable('requests')
        .set((eb) => ({ events_count: eb('events_count', '+', events.length), ignored_count: eb('ignored_count', '+', ignored.length) }))
        .where('id', '=', row.id)
        .execute();
    });
    deps.wake([...new Set(events.map((e) => e.lane))]);
    const created = await db.selectFrom('events').select(EVENT_COLUMNS).where('id', 'in', events.length ? events.map((e) => e.id) : ['']).execute();
    res.status(202).json({ request: requestOut(row, false), events: created.map((e) => eventOut(e)), ignored_count: ignored.length });
  });
  return r;
}
