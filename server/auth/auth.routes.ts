import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { body } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import * as auth from './auth.service.ts';
import { authOf, requireSession } from './auth.middleware.ts';

const SignupIn = z.object({
  email: z.email().max(254),
  password: z.string().min(10, 'must be at least 10 characters').max(256),
  name: z.string().trim().min(1).max(120),
  workspace: z.string().trim().min(1).max(120),
});
const LoginIn = z.object({ email: z.string().max(254), password: z.string().max(256) });
const ProfilePatch = z.object({ name: z.string().trim().min(1).max(120) });

/** Routes that need no credentials: they hand them out. */
export function publicAuthRoutes(deps: Deps): Router {
  const r = Router();
  r.post('/auth/signup', async (req, res) => {
    res.status(201).json(await auth.signup(deps, body(req, SignupIn)));
  });
  r.post('/auth/login', async (req, res) => {
    res.json(await auth.login(deps, body(req, LoginIn)));
  });
  r.post('/auth/demo/login', async (_req, res) => {
    res.json(await auth.demoLogin(deps));
  });

  return r;
}

/** The caller's own account; mounted behind authentication and the rate limit like the rest of the API. */
export function accountRoutes(deps: Deps): Router {
  const r = Router();
  r.get('/auth/me', async (req, res) => {
    const a = authOf(req);
    if (a.kind !== 'session' || !a.userId) {
      // An API key has no user; Zapier-style clients use this route as their connection test.
      const [team, key] = await Promise.all([
        deps.db.selectFrom('workspaces').select('name').where('id', '=', a.workspaceId).executeTakeFirst(),
        a.apiKeyId ? deps.db.selectFrom('api_keys').select('name').where('id', '=', a.apiKeyId).executeTakeFirst() : undefined,
      ]);
      res.json({ user: null, team: { id: a.workspaceId, name: team?.name ?? null }, key: { id: a.apiKeyId, name: key?.name ?? null, scopes: a.scopes }, memberships: [] });
      return;
    }
    res.json({ ...(await auth.getProfile(deps, a.userId, a.workspaceId)), session: { expires_at: a.sessionExpiresAt } });
  });
  const update: RequestHandler = async (req, res) => {
    const a = requireSession(req);
    await auth.updateProfile(deps, a.userId, body(req, ProfilePatch).name);
    res.json(await auth.getProfile(deps, a.userId, a.workspaceId));
  };
  r.patch('/auth/me', update);
  r.put('/auth/me', update);
  r.post('/auth/logout', async (req, res) => {
    const a = requireSession(req);
    await auth.logout(deps, a.sessionId);
    res.json({ ok: true });
  });
  return r;
}
