import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { body } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { GoogleSigningKeys } from './google-keys.ts';
import { googleLogin, GoogleVerifier } from './google-login.ts';

export const GoogleLoginIn = z.object({
  // Google ID tokens are about 1 kB; the cap only stops absurd bodies from being parsed as one.
  credential: z.string().min(1, 'is required: the ID token Google Identity Services returned').max(8192),
  team_id: z.string().trim().min(1).max(64).optional(),
});

/** Public: how one may sign in here (the portal shows the Google button only when it is on), and Google sign-in itself. */
export function googleAuthRoutes(deps: Deps): Router {
  const r = Router();
  const google = deps.config.google;
  const verifier = google ? new GoogleVerifier(google.clientId, new GoogleSigningKeys(google.certsUrl, deps.log)) : null;

  r.get('/auth/providers', (_req, res) => {
    res.set('Cache-Control', 'no-cache');
    res.json({
      password: true,
      demo: deps.config.demoEnabled,
      google: google ? { enabled: true, client_id: google.clientId } : { enabled: false, client_id: null },
      // Without SMTP nobody can prove a password account's address: it stays unverified (see README).
      email: { enabled: deps.config.smtp !== null, verification: deps.config.smtp !== null, password_reset: deps.config.smtp !== null },
    });
  });

  r.post('/auth/google/login', async (req, res) => {
    if (!verifier) throw new AppError(404, 'NOT_FOUND', 'Google sign-in is not enabled on this server (GOOGLE_CLIENT_ID is not set).');
    const input = body(req, GoogleLoginIn);
    const identity = await verifier.verify(input.credential);
    res.json(await googleLogin(deps, identity, input.team_id));
  });
  return r;
}
