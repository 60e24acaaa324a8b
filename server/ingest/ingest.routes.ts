import express, { Router, type Request } from 'express';
import { maskHeaders, maskQuery } from '../../connectors/shared/secret-headers.ts';
import { AppError } from '../core/errors.ts';
import { isDeepJsonBody, payloadTooDeep } from '../core/json-depth.ts';
import { newId, ID_PATTERN } from '../core/ids.ts';
import { withoutNul } from '../core/nul.ts';
import type { Deps } from '../deps.ts';
import { decodeBody } from '../gateway/body.ts';
import { payloadSummary, payloadType } from '../gateway/payload-summary.ts';
import { verifySource } from '../gateway/source-auth.ts';
import { APPLICATION_SOURCE_TYPE, refuseOutsideIngest } from '../hub/application-source.ts';
import { inProgress, type IngestWriter, type StoredRequest } from './ingest-writer.ts';
import { routeRequest } from './route-request.ts';

const INGEST_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function flatRequestHeaders(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** `POST /e/:sourceId[/any/path]`: store the request and its events, then answer. */
export function ingestRoutes(deps: Deps, writer: IngestWriter): Router {
  const r = Router();
  const raw = express.raw({ type: () => true, limit: deps.config.maxBodyBytes });

  const sourceOf = (req: Request) => req.params.sourceId as string;
  r.all(['/e/:sourceId', '/e/:sourceId/{*rest}'], inProgress(writer, sourceOf), raw, async (req, res) => {
    const sourceId = req.params.sourceId as string;
    if (!ID_PATTERN.test(sourceId) || !sourceId.startsWith('src_')) throw new AppError(404, 'SOURCE_NOT_FOUND', `No source ${sourceId}.`);
    const source = await deps.routing.get(sourceId).catch((err) => {
      throw unavailable(deps, err);
    });
    if (!source) throw new AppError(404, 'SOURCE_NOT_FOUND', `No source ${sourceId}.`);
    if (source.type === APPLICATION_SOURCE_TYPE) throw refuseOutsideIngest(sourceId);
    if (source.disabled) throw new AppError(410, 'SOURCE_DISABLED', `Source ${sourceId} is disabled and accepts no requests.`);
    const allowed = source.allowedMethods ?? [...INGEST_METHODS];
    if (!allowed.includes(req.method)) {
      throw new AppError(405, 'METHOD_NOT_ALLOWED', `This source accepts ${allowed.join(', ')}.`, undefined, { Allow: allowed.join(', ') });
    }

    const headers = flatRequestHeaders(req);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // Bodies decodeBody parses are the ones that could overflow later: refused before anything is stored.
    if (isDeepJsonBody(body, headers['content-type'])) throw payloadTooDeep();
    const rest = (req.params as { rest?: string[] }).rest;
    const stored: StoredRequest = {
      id: newId('req'),
      workspace_id: source.workspaceId,
      source_id: source.id,
      status: 'accepted',
      rejection_cause: null,
      verified: false,
      method: req.method,
      // A sender's NUL (%00 in the URL) is kept as U+FFFD: PostgreSQL stores no NUL in text or jsonb.
      path: withoutNul(rest ? `/${rest.join('/')}` : '/'),
      query: withoutNul(maskQuery(req.query as Record<string, unknown>)),
      // The log keeps no credential: verification below reads `headers`, the real ones.
      headers: withoutNul(maskHeaders(headers, source.auth?.type === 'api_key' ? [source.auth.header_key] : [])),
      content_type: headers['content-type'] ?? null,
      body,
    };

    if (source.auth) {
      const cause = verifySource(source.auth, { headers, rawBody: body });
      if (cause) {
        // Rejected requests are kept too, so a user can see why a sender is being turned away.
        await writer.write({ ...stored, status: 'rejected', rejection_cause: cause }, { events: [], ignored: [] }).catch((err) => {
          throw unavailable(deps, err);
        });
        throw new AppError(401, 'VERIFICATION_FAILED', `Request verification failed: ${cause}.`, { request_id: stored.id });
      }
      stored.verified = true;
    }

    // Filters see what is stored, so a replay of this request is routed as it was.
    const view = { body: decodeBody(body, stored.content_type), headers: stored.headers, query: stored.query, path: stored.path };
    stored.summary = payloadSummary(view.body);
    stored.event_type = payloadType(view.body, stored.headers);
    await writer.write(stored, routeRequest(view, source.routes, { arrival: true })).catch((err) => {
      throw unavailable(deps, err);
    });
    res.status(200).json({ status: 'accepted', request_id: stored.id });
  });
  return r;
}

/** Nothing is acknowledged that was not committed: a failed write is a 503 the sender retries. */
function unavailable(deps: Deps, err: unknown): AppError {
  deps.log.error({ err }, 'ingest could not store a request');
  return new AppError(503, 'SERVICE_UNAVAILABLE', 'The request could not be stored; retry it shortly.', undefined, { 'Retry-After': '5' });
}
