import type { Request } from 'express';
import { mask } from '../core/crypto.ts';
import { AppError } from '../core/errors.ts';
import { authOf, type AuthContext } from './auth.middleware.ts';

/**
 * The one rule for secrets. Seeing a stored secret in clear (project secrets, a source's or a
 * destination's credentials) and minting, setting, rotating or revoking a workspace credential
 * (API keys, the project key, the workspace signing secret) need the `write` scope and, for a
 * person, the owner or admin role: a read-only key could otherwise read a read+write credential,
 * and a plain member could keep one that outlives their membership. API keys with `write` pass:
 * only owners and admins make them, and a key stops working when its maker stops being an owner
 * or admin (auth.middleware). A webhook's own signing secret is that webhook's configuration, an
 * ordinary write: shown to whoever makes or rotates it, and later only through this rule.
 */
export function mayManageSecrets(auth: AuthContext): boolean {
  return auth.scopes.includes('write') && (auth.kind !== 'session' || auth.role === 'owner' || auth.role === 'admin');
}

/** The caller, if `mayManageSecrets`; otherwise a 403 saying what was refused and why. */
export function requireSecretsManager(req: Request, doing: string): AuthContext {
  const auth = authOf(req);
  if (!auth.scopes.includes('write')) {
    throw new AppError(403, 'INSUFFICIENT_SCOPE', `This API key lacks the "write" scope needed to ${doing}; a read-only key never sees or makes credentials.`);
  }
  if (!mayManageSecrets(auth)) throw new AppError(403, 'FORBIDDEN', `Only owners and admins can ${doing}.`);
  return auth;
}

/**
 * Values the workspace's own code runs with (a transformation's `env`) are shown to any caller
 * with `write`: a writer can read them through that code anyway, and a member edits them. A
 * read-only key sees their names with masked values.
 */
export function withRuntimeValues<T extends { env: Record<string, string> }>(auth: AuthContext, model: T): T {
  if (auth.scopes.includes('write')) return model;
  return { ...model, env: Object.fromEntries(Object.keys(model.env).map((k) => [k, mask(model.env[k])])) };
}
