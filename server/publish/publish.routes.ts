import type http from 'node:http';
import querystring from 'node:querystring';
import express, { type RequestHandler } from 'express';
import { authContext, authOf, type AuthContext } from '../auth/auth.middleware.ts';
import { requireScope } from '../auth/scopes.ts';
import { AppError, errorAnswer } from '../core/errors.ts';
import { refuseNulIn } from '../core/nul.ts';
import { errorOutcome, type HubMetrics } from '../core/prometheus.ts';
import { sendJson } from '../core/send-json.ts';
import { body, parse } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { takeIn, type IngestWriter } from '../ingest/ingest-writer.ts';
import { PublishIn, type PublishService } from './publish.service.ts';

/**
 * `POST /publish` (scope `write` or `publish`): the workspace's own application events enter the gateway here.
 * A handler, not a router: app.ts mounts it behind the API's guard, for the spellings of the path
 * that `publishEndpoint` leaves to Express.
 */
export function publishHandler(deps: Pick<Deps, 'eventQuotas'>, svc: PublishService): RequestHandler {
  return async (req, res) => {
    const ws = authOf(req).workspaceId;
    deps.eventQuotas.check(ws);
    const { eventId, replayed } = await svc.publish(ws, body(req, PublishIn));
    if (!replayed) deps.eventQuotas.taken(ws);
    // As Stripe does: a repeated idempotency key says that this answer is the first publish's.
    if (replayed) res.set('Idempotent-Replayed', 'true');
    res.status(202).json({ eventId });
  };
}

type Bare = http.IncomingMessage & { body?: unknown; ip?: string };

export type PublishChain = {
  /** The exact paths served here (Express matches other spellings: a trailing slash, capitals). */
  paths: readonly string[];
  /** Express's app: its `trust proxy` setting decides a caller's address, as `req.ip` would. */
  app: express.Express;
  /** What the API's guard runs on every request, in its order: the same instances, so a key has one budget. */
  rateLimits: RequestHandler[];
  /** The API's JSON body parser (its limit and its refusal of deep JSON). */
  parseJson: RequestHandler;
};

/**
 * `POST /publish` served on the bare Node server, before Express: true when the request was one
 * (it is then answered). The steps are the Express chain's (app.ts: overload, JSON only, parse,
 * NUL, rate limits, authentication, scope, quota, publish), run on the plain request: Express's routing
 * and its request and response objects cost about half of an accepted request's CPU (ingest: 316–361
 * → 147–181 µs when it moved off Express).
 */
export function publishEndpoint(
  deps: Deps,
  writer: IngestWriter,
  svc: PublishService,
  chain: PublishChain,
): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const ipOf = Object.getOwnPropertyDescriptor(express.request, 'ip')?.get;
  if (!ipOf) throw new Error('express.request has no ip getter');

  return (req: Bare, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    if (!chain.paths.includes(pathname)) return false;
    serve(req, res, pathname, q === -1 ? '' : url.slice(q + 1)).catch((err: unknown) => {
      if (res.headersSent) return;
      const { status, headers, body: answer } = errorAnswer(err, deps.log, { method: req.method, path: pathname });
      deps.metrics.publish(errorOutcome(status));
      sendJson(res, status, answer, headers);
    });
    return true;
  };

  async function serve(req: Bare, res: http.ServerResponse, pathname: string, search: string): Promise<void> {
    takeIn(writer, `publish ${req.headers.authorization ?? ''}`, res);
    const contentType = req.headers['content-type'];
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !isJsonType(contentType))
      throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON with Content-Type: application/json.');
    await run(chain.parseJson, req, res);
    const query = querystring.parse(search);
    refuseNulIn(pathname, query, req.body, ['data']);
    req.ip = ipOf!.call({ app: chain.app, headers: req.headers, socket: req.socket }) as string | undefined;
    for (const limit of chain.rateLimits) {
      if (await run(limit, req, res)) continue;
      // The limit answered (429) itself.
      deps.metrics.publish(errorOutcome(res.statusCode));
      return;
    }
    const teamId = req.headers['x-team-id'];
    const auth: AuthContext = await authContext(
      deps,
      req.headers.authorization,
      (typeof teamId === 'string' && teamId) || (typeof query.team_id === 'string' ? query.team_id : null) || null,
    );
    requireScope(auth.scopes, 'POST', '/publish', pathname);
    deps.eventQuotas.check(auth.workspaceId);
    const { eventId, replayed } = await svc.publish(auth.workspaceId, parse(PublishIn, req.body === undefined ? {} : req.body, 'body'));
    if (!replayed) deps.eventQuotas.taken(auth.workspaceId);
    sendJson(res, 202, { eventId }, replayed ? { 'Idempotent-Replayed': 'true' } : undefined);
    deps.metrics.publish(replayed ? 'replayed' : 'accepted');
  }
}

/**
 * Counts the publishes Express serves (the spellings of the path `publishEndpoint` leaves to it)
 * by their answer, as `publishEndpoint` counts its own: first in that chain.
 */
export function countPublishes(metrics: HubMetrics): RequestHandler {
  return (_req, res, next) => {
    res.once('finish', () => {
      if (res.statusCode === 202) metrics.publish(res.get('Idempotent-Replayed') ? 'replayed' : 'accepted');
      else metrics.publish(errorOutcome(res.statusCode));
    });
    next();
  };
}

/** `application/json` and `application/*+json`, as Express's `req.is` reads the header. */
function isJsonType(header: string | undefined): boolean {
  const type = (header ?? '').split(';', 1)[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json') && !type.slice(12, -5).includes('/'));
}

/**
 * Runs a connect-style middleware on the plain request: true when it called next, false when it
 * answered instead. The parser calls next once the body is read; a rate limit returns a promise,
 * settled after it has called next or answered 429.
 */
function run(mw: RequestHandler, req: Bare, res: http.ServerResponse): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let nexted = false;
    const next = (err?: unknown) => {
      nexted = true;
      if (err) reject(err);
      else resolve(true);
    };
    const settled = () => {
      if (nexted) return;
      if (res.writableEnded) resolve(false);
      else reject(new Error('a middleware neither answered nor called next'));
    };
    const returned: unknown = mw(req as express.Request, res as express.Response, next);
    if (returned instanceof Promise) returned.then(settled, reject);
    else if (res.writableEnded && !nexted) resolve(false);
  });
}
