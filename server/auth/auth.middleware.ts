import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { sql } from 'kysely';
import { AppError } from '../core/errors.ts';
import { sendJson } from '../core/send-json.ts';
import { sha256 } from '../core/crypto.ts';
import type { Deps } from '../deps.ts';
import type { Role } from '../db/schema.ts';
import { isScope, requireScope, type Scope } from './scopes.ts';

export type { Scope } from './scopes.ts';

export type AuthContext = {
  kind: 'session' | 'api_key' | 'project_key';
  userId: string | null;
  sessionId: string | null;
  sessionExpiresAt: Date | null;
  apiKeyId: string | null;
  /** The person the credential speaks for: a session's user, an API key's maker; none for the project key. */
  actsFor: string | null;
  workspaceId: string;
  role: Role | null;
  scopes: Scope[];
};

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      auth?: AuthContext;
    }
  }
}

export function authOf(req: Request): AuthContext {
  if (!req.auth) throw new AppError(401, 'UNAUTHORIZED', 'Authentication is required.');
  return req.auth;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = BEARER.exec(header);
  if (!m) throw new AppError(401, 'UNAUTHORIZED', 'Use the header "Authorization: Bearer <API key or session token>".');
  return m[1];
}

/** Resolves the caller and the workspace the request runs against (x-team-id, team_id, own). */
export function authenticate(deps: Deps): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const teamQuery = typeof req.query.team_id === 'string' ? req.query.team_id : undefined;
    req.auth = await authContext(deps, req.get('authorization'), req.get('x-team-id') || teamQuery || null);
    next();
  };
}

/** Who an `Authorization` header speaks for, in the workspace `requested` (or its own); throws 401/403. */
export async function authContext(deps: Deps, authorization: string | undefined, requested: string | null): Promise<AuthContext> {
  const token = bearer(authorization);
  if (!token) throw new AppError(401, 'UNAUTHORIZED', 'Missing credentials: send "Authorization: Bearer <API key>".');
  if (token.length > 200) throw new AppError(401, 'UNAUTHORIZED', 'The API key or session token is invalid.');
  const hash = sha256(token);
  const now = new Date();

  if (token.startsWith('whs_')) {
    // One query: the session, and the caller's role in the requested (or its own) workspace.
    const session = await deps.db
      .selectFrom('sessions')
      .leftJoin('memberships', (j) =>
        j.onRef('memberships.user_id', '=', 'sessions.user_id').on('memberships.workspace_id', '=', requested ?? sql.ref('sessions.workspace_id')),
      )
      .select(['sessions.id', 'sessions.user_id', 'sessions.workspace_id', 'sessions.expires_at', 'memberships.role'])
      .where('sessions.token_hash', '=', hash)
      .executeTakeFirst();
    if (!session || session.expires_at <= now) throw new AppError(401, 'UNAUTHORIZED', 'The session has expired or was logged out; log in again.');
    const workspaceId = requested ?? session.workspace_id;
    if (!session.role) throw new AppError(403, 'FORBIDDEN', `You are not a member of workspace ${workspaceId}.`);
    return {
      kind: 'session',
      userId: session.user_id,
      sessionId: session.id,
      sessionExpiresAt: session.expires_at,
      apiKeyId: null,
      actsFor: session.user_id,
      workspaceId,
      role: session.role,
      scopes: ['read', 'write'],
    };
  }

  if (token.startsWith('wh_live_')) {
    // With its maker's role in the key's workspace: a key lives only as long as its maker may make keys.
    const key = await deps.apiKeys.get(hash);
    if (!key) throw new AppError(401, 'UNAUTHORIZED', 'The API key is invalid or was revoked.');
    if (key.created_by && key.role !== 'owner' && key.role !== 'admin') {
      throw new AppError(401, 'UNAUTHORIZED', 'This API key no longer works: the person who made it is no longer an owner or admin of its team.');
    }
    if (requested && requested !== key.workspace_id) throw new AppError(403, 'FORBIDDEN', `This API key cannot access workspace ${requested}.`);
    if (!key.last_used_at || now.getTime() - key.last_used_at.getTime() > 60_000) {
      // Recording every single use would add a write to each API call; a minute's precision is enough.
      // The cached record is the one every call within the cache's second reads: mark it too.
      key.last_used_at = now;
      deps.db
        .updateTable('api_keys')
        .set({ last_used_at: now })
        .where('id', '=', key.id)
        .execute()
        .catch(() => {});
    }
    return {
      kind: 'api_key',
      userId: null,
      sessionId: null,
      sessionExpiresAt: null,
      apiKeyId: key.id,
      actsFor: key.created_by,
      workspaceId: key.workspace_id,
      role: null,
      scopes: key.scopes.filter(isScope),
    };
  }

  {
    // Project API keys may be caller-provided (PUT /project-secrets), so they have no fixed prefix.
    const secret = await deps.db.selectFrom('project_secrets').select('workspace_id').where('api_key_hash', '=', hash).executeTakeFirst();
    if (!secret) throw new AppError(401, 'UNAUTHORIZED', 'The API key or session token is invalid.');
    if (requested && requested !== secret.workspace_id) throw new AppError(403, 'FORBIDDEN', `This API key cannot access workspace ${requested}.`);
    return {
      kind: 'project_key',
      userId: null,
      sessionId: null,
      sessionExpiresAt: null,
      apiKeyId: null,
      actsFor: null,
      workspaceId: secret.workspace_id,
      role: null,
      scopes: ['read', 'write'],
    };
  }
}

/** Reads need `read`, anything that changes state `write`, or the route's resource scope (scopes.ts). */
export const requireScopeByMethod: RequestHandler = (req, _res, next) => {
  requireScope(authOf(req).scopes, req.method, req.path);
  next();
};

/** The same check for a route Express serves under several paths (POST /publish): `route` is the one the scopes name. */
export function requireScopeFor(route: string): RequestHandler {
  return (req, _res, next) => {
    requireScope(authOf(req).scopes, req.method, route, req.path);
    next();
  };
}

export function requireSession(req: Request): AuthContext & { userId: string; sessionId: string } {
  const auth = authOf(req);
  if (auth.kind !== 'session' || !auth.userId || !auth.sessionId) {
    throw new AppError(403, 'FORBIDDEN', 'This action needs a user session, not an API key.');
  }
  return auth as AuthContext & { userId: string; sessionId: string };
}

/**
 * Per credential; in front of it a looser per-address limit, so that inventing a new (invalid)
 * token for every request does not buy a fresh allowance each time.
 */
export function apiRateLimit(perMinute: number): RequestHandler[] {
  const perAddress = rateLimit({
    windowMs: 60_000,
    limit: perMinute * 10,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
    handler: (_req, res, _next, options) => {
      // sendJson, not res.json: the limiter also runs in front of POST /publish, served without Express.
      sendJson(res, 429, { error: { code: 'RATE_LIMITED', message: `Too many requests from this address: at most ${options.limit} per minute.` } });
    },
  });
  return [
    perAddress,
    rateLimit({
      windowMs: 60_000,
      limit: perMinute,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      // The token itself, not the header's text: "bearer", "BEARER" or extra spaces name the same
      // credential and must not each get a fresh allowance. A header that names no token is refused
      // by authenticate; until then it counts against its address.
      keyGenerator: (req) => {
        const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
        return token ? `key:${sha256(token).toString('base64')}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
      },
      handler: (_req, res, _next, options) => {
        sendJson(res, 429, {
          error: {
            code: 'RATE_LIMITED',
            message: `Too many requests: at most ${options.limit} per minute. Retry after the number of seconds in Retry-After.`,
          },
        });
      },
    }),
  ];
}
