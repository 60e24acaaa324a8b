import { Router, type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { body } from '../core/validate.ts';
import type { ChatDeps } from '../chat/chat-deps.ts';
import type { Deps } from '../deps.ts';
import * as auth from './auth.service.ts';
import type { DemoServices } from './demo-workspace.ts';
import { authOf, requireSession } from './auth.middleware.ts';
import * as links from './email-links.service.ts';

export const SignupIn = z.object({
  email: z.email().max(254),
  password: z.string().min(10, 'must be at least 10 characters').max(256),
  name: z.string().trim().min(1).max(120),
  workspace: z.string().trim().min(1).max(120),
});
export const LoginIn = z.object({ email: z.string().max(254), password: z.string().max(256) });
export const LinkTokenIn = z.object({ token: z.string().min(1, 'is required: the token at the end of the link in the mail').max(256) });
export const ResetIn = z.object({ email: z.email().max(254) });
export const ResetConfirmIn = LinkTokenIn.extend({ password: SignupIn.shape.password });
export const ProfilePatch = z.object({ name: z.string().trim().min(1).max(120) });

const limiter = (perQuarterHour: number, message: string) =>
  rateLimit({ windowMs: 15 * 60_000, limit: perQuarterHour, handler: (_q, res) => void res.status(429).json({ error: { code: 'RATE_LIMITED', message } }) });

/** Routes that need no credentials: they hand them out. */
/** The demo login fills the demo workspace by chatting with its bot: it needs the chat's publisher. */
export function publicAuthRoutes(deps: ChatDeps, demo: DemoServices): Router {
  const r = Router();
  r.post('/auth/signup', async (req, res) => {
    res.status(201).json(await auth.signup(deps, body(req, SignupIn)));
  });
  r.post('/auth/login', async (req, res) => {
    res.json(await auth.login(deps, body(req, LoginIn)));
  });
  r.post('/auth/demo/login', async (_req, res) => {
    res.json(await auth.demoLogin(deps, demo));
  });

  // Per client address, on top of the per-account cap on mails: asking costs the asker nothing.
  const resetLimit = limiter(10, 'Too many password resets asked from this address; wait a quarter of an hour.');
  // The link's token cannot be guessed; this bounds the password hashing strangers can make us do.
  const confirmLimit = limiter(30, 'Too many password changes from this address; wait a quarter of an hour.');
  r.post('/auth/password-reset', resetLimit, (req, res) => {
    links.requestPasswordReset(deps, body(req, ResetIn).email);
    res.status(202).json({ message: 'If an account uses this address, a link to choose a new password is on its way; it works for an hour.' });
  });
  r.post('/auth/password-reset/confirm', confirmLimit, async (req, res) => {
    const input = body(req, ResetConfirmIn);
    res.json(await links.confirmPasswordReset(deps, input.token, input.password));
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
      res.json(await auth.keyProfile(deps, a));
      return;
    }
    const profile = await auth.getProfile(deps, a.userId, a.workspaceId);
    res.json({ ...profile, email_verification: links.verificationState(deps, profile.user.email_verified_at), session: { expires_at: a.sessionExpiresAt } });
  });
  // Behind a session: the link proves the mailbox, the session proves the password, and only both
  // together show that whoever chose the password owns the address.
  r.post('/auth/verify-email', async (req, res) => {
    res.json(await links.verifyEmail(deps, requireSession(req).userId, body(req, LinkTokenIn).token));
  });
  r.post('/auth/verify-email/resend', async (req, res) => {
    res.status(202).json(await links.resendVerification(deps, requireSession(req).userId));
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
