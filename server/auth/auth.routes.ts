import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { body } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import * as auth from './auth.service.ts';
import { authenticate, authOf, requireSession } from './auth.middleware.ts';

const SignupIn = z.object({
  email: z.email().max(254),
  password: z.string().min(10, 'must be at least 10 characters').max(256),
  name: z.string().trim().min(1).max(120),
  workspace: z.string().trim().min(1).max(120),
});
const LoginIn = z.object({ email: z.string().max(254), password: z.string().max(256) });
const ProfilePatch = z.object({ name: z.string().trim().min(1).max(120) });

export function authRoutes(deps: Deps): Router {
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

  // Only these routes: a router-level `use` here would authenticate every API request once more.
  const signedIn = authenticate(deps);
  r.get('/auth/me', signedIn, async (req, res) => {
    const a = authOf(req);
    if (a.kind !== 'session' || !a.userId) {
      // An API key has no user; Zapier-style clients use this route as their connection test.
      res.json({ user: null, team: { id: a.workspaceId }, key: { id: a.apiKeyId, scopes: a.scopes }, memberships: [] });
      return;
    }
    const session = await deps.db.selectFrom('sessions').select('expires_at').where('id', '=', a.sessionId as string).executeTakeFirst();
    res.json({ ...(await auth.getProfile(deps, a.userId, a.workspaceId)), session: { expires_at: session?.expires_at ?? null } });
  });
  const update: RequestHandler = async (req, res) => {
    const a = requireSession(req);
    await auth.updateProfile(deps, a.userId, body(req, ProfilePatch).name);
    res.json(await auth.getProfile(deps, a.userId, a.workspaceId));
  };
  r.patch('/auth/me', signedIn, update);
  r.put('/auth/me', signedIn, update);
  r.post('/auth/logout', signedIn, async (req, res) => {
    const a = requireSession(req);
    await auth.logout(deps, a.sessionId);
    res.json({ ok: true });
  });
  return r;
}
