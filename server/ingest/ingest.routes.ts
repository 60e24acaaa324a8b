import type http from 'node:http';
import querystring from 'node:querystring';
import express from 'express';
import { maskHeaders, maskQuery } from '../../connectors/shared/secret-headers.ts';
import { AppError, errorAnswer } from '../core/errors.ts';
import { sendJson } from '../core/send-json.ts';
import { isDeepJsonBody, payloadTooDeep } from '../core/json-depth.ts';
import { newId, ID_PATTERN } from '../core/ids.ts';
import { errorOutcome } from '../core/prometheus.ts';
import { withoutNul } from '../core/nul.ts';
import type { Deps } from '../deps.ts';
import { decodeBody } from '../gateway/body.ts';
import { payloadSummary, payloadType } from '../gateway/payload-summary.ts';
import { verifySource } from '../gateway/source-auth.ts';
import { APPLICATION_SOURCE_TYPE } from '../gateway/source-types.ts';
import type { IngestSpan } from '../core/tracing.ts';
import { takeIn, type IngestWriter, type StoredRequest } from './ingest-writer.ts';
import { routeRequest } from './route-request.ts';

/** The application source takes events only from the publish API: a stranger who learnt its id cannot inject any. */
function refuseOutsideIngest(sourceId: string): AppError {
  return new AppError(
    403,
    'APPLICATION_SOURCE',
    `Source ${sourceId} is the workspace's built-in application source: it takes events only from POST /api/v1/publish (with an API key), not at its ingest URL.`,
  );
}

export const INGEST_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function flatRequestHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

type Ingest = http.IncomingMessage & { body?: unknown };

/**
 * `POST /e/:sourceId[/any/path]`: store the request and its events, then answer. True when the
 * request was one (it is then answered), false to leave it to the app.
 *
 * Served on the bare Node server, before Express: on this, the busiest path, Express's router,
 * response helpers and error chain cost more than everything else the request does but the
 * database (a refused request: 158 µs through Express, 23 µs without). What it gave is kept: the
 * parameters decoded as its router decodes them, the query as its "simple" parser reads it, the
 * body by the same body-parser, errors answered by the same `errorAnswer`.
 */
export function ingestEndpoint(deps: Deps, writer: IngestWriter): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const raw = express.raw({ type: () => true, limit: deps.config.maxBodyBytes });
  const readBody = (req: Ingest, res: http.ServerResponse) =>
    new Promise<void>((resolve, reject) => raw(req as express.Request, res as express.Response, (err?: unknown) => (err ? reject(err) : resolve())));
  // Null unless traces are exported: then the one cost here is testing it.
  const tracing = deps.tracing;

  return (req, res) => {
    const url = req.url ?? '';
    if (!url.startsWith('/e/')) return false;
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    // Express matched `/e/:sourceId` and `/e/:sourceId/{*rest}` loosely: one trailing slash is ignored.
    const loose = pathname.length > 3 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
    const slash = loose.indexOf('/', 3);
    const rawId = slash === -1 ? loose.slice(3) : loose.slice(3, slash);
    if (rawId === '') return false;
    let sourceId = '';
    const fail = (err: unknown) => {
      if (res.headersSent) return;
      const { status, headers, body } = errorAnswer(err, deps.log, { method: req.method, path: pathname });
      // Ingest's only 401 is a source's verification failing.
      deps.metrics.ingest(sourceId, status === 401 ? 'rejected' : errorOutcome(status));
      sendJson(res, status, body, headers);
    };
    let rest: string[] | undefined;
    try {
      sourceId = decodeParam(rawId);
      rest =
        slash === -1
          ? undefined
          : loose
              .slice(slash + 1)
              .split('/')
              .map(decodeParam);
    } catch (err) {
      fail(err);
      return true;
    }
    const query = querystring.parse(q === -1 ? '' : url.slice(q + 1));
    const span = tracing === null ? null : tracing.ingest(req, res, sourceId);
    try {
      takeIn(writer, sourceId, res);
    } catch (err) {
      fail(err);
      return true;
    }
    readBody(req, res)
      .then(() => handle(req, res, sourceId, rest, query, span))
      .catch(fail);
    return true;
  };

  async function handle(
    req: Ingest,
    res: http.ServerResponse,
    sourceId: string,
    rest: string[] | undefined,
    query: querystring.ParsedUrlQuery,
    span: IngestSpan | null,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    if (!ID_PATTERN.test(sourceId) || !sourceId.startsWith('src_')) throw new AppError(404, 'SOURCE_NOT_FOUND', `No source ${sourceId}.`);
    const source = await deps.routing.get(sourceId).catch((err) => {
      throw unavailable(deps, err);
    });
    if (!source) throw new AppError(404, 'SOURCE_NOT_FOUND', `No source ${sourceId}.`);
    if (source.type === APPLICATION_SOURCE_TYPE) throw refuseOutsideIngest(sourceId);
    if (source.disabled) throw new AppError(410, 'SOURCE_DISABLED', `Source ${sourceId} is disabled and accepts no requests.`);
    const allowed = source.allowedMethods ?? [...INGEST_METHODS];
    if (!allowed.includes(method)) {
      throw new AppError(405, 'METHOD_NOT_ALLOWED', `This source accepts ${allowed.join(', ')}.`, undefined, { Allow: allowed.join(', ') });
    }
    // Past its team's events this month: 429, nothing stored (held in memory: no query here).
    deps.eventQuotas.check(source.workspaceId);

    const headers = flatRequestHeaders(req);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // Bodies decodeBody parses are the ones that could overflow later: refused before anything is stored.
    if (isDeepJsonBody(body, headers['content-type'])) throw payloadTooDeep();
    const stored: StoredRequest = {
      id: newId('req'),
      workspace_id: source.workspaceId,
      source_id: source.id,
      status: 'accepted',
      rejection_cause: null,
      verified: false,
      method,
      // A sender's NUL (%00 in the URL) is kept as U+FFFD: PostgreSQL stores no NUL in text or jsonb.
      path: withoutNul(rest ? `/${rest.join('/')}` : '/'),
      query: withoutNul(maskQuery(query as Record<string, unknown>)),
      // The log keeps no credential: verification below reads `headers`, the real ones.
      headers: withoutNul(maskHeaders(headers, source.auth?.type === 'api_key' ? [source.auth.header_key] : [])),
      content_type: headers['content-type'] ?? null,
      body,
    };
    if (span !== null) stored.traceparent = span.traceparent;

    if (source.auth) {
      const cause = verifySource(source.auth, { headers, rawBody: body });
      if (cause) {
        // Rejected requests are kept too, so a user can see why a sender is being turned away.
        await writer.write({ ...stored, status: 'rejected', rejection_cause: cause }, { events: [], ignored: [] }).catch((err) => {
          throw unavailable(deps, err);
        });
        span?.stored(stored.id, []);
        throw new AppError(401, 'VERIFICATION_FAILED', `Request verification failed: ${cause}.`, { request_id: stored.id });
      }
      stored.verified = true;
    }

    // Filters see what is stored, so a replay of this request is routed as it was.
    const view = { body: decodeBody(body, stored.content_type), headers: stored.headers, query: stored.query, path: stored.path };
    stored.summary = payloadSummary(view.body);
    stored.event_type = payloadType(view.body, stored.headers);
    const routed = routeRequest(view, source.routes, { arrival: true });
    await writer.write(stored, routed).catch((err) => {
      throw unavailable(deps, err);
    });
    // The writer may still have dropped one as a duplicate (its deduplicate rule): its id is then
    // listed here but names no event; the trace's deliveries say which were delivered.
    span?.stored(
      stored.id,
      routed.events.map((e) => e.id),
    );
    deps.eventQuotas.taken(source.workspaceId);
    sendJson(res, 200, { status: 'accepted', request_id: stored.id });
    deps.metrics.ingest(source.id, 'accepted');
  }
}

/** As Express's router decodes a parameter: a malformed escape is the sender's mistake (400). */
function decodeParam(val: string): string {
  if (!val.includes('%')) return val;
  try {
    return decodeURIComponent(val);
  } catch {
    throw new AppError(400, 'BAD_REQUEST', `Failed to decode param '${val}'`);
  }
}

/** Nothing is acknowledged that was not committed: a failed write is a 503 the sender retries. */
function unavailable(deps: Deps, err: unknown): AppError {
  deps.log.error({ err }, 'ingest could not store a request');
  return new AppError(503, 'SERVICE_UNAVAILABLE', 'The request could not be stored; retry it shortly.', undefined, { 'Retry-After': '5' });
}
