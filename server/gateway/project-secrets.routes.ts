import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth.middleware.ts';
import { requireSecretsManager } from '../auth/privileges.ts';
import { body } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { projectSecretsView, rotateProjectSecrets, setProjectSecrets } from './project-secrets.service.ts';

export const SecretsPut = z
  .object({
    // Other credentials are recognised by these prefixes, so a project key using one could never log in.
    api_key: z
      .string()
      .min(12)
      .max(256)
      .regex(/^(?!whs_|wh_live_)\S+$/, 'must not contain spaces or start with whs_ or wh_live_')
      .optional(),
    signing_secret: z.string().min(12).max(256).optional(),
  })
  .strict()
  .refine((v) => v.api_key !== undefined || v.signing_secret !== undefined, 'give api_key, signing_secret or both');
export const SecretsRotate = z
  .object({
    rotate: z
      .array(z.enum(['api_key', 'signing_secret']))
      .min(1)
      .optional(),
  })
  .strict();

export function projectSecretsRoutes(deps: Deps): Router {
  const r = Router();
  const reveal = (q: unknown) =>
    q === 'true' ||
    q === '1' ||
    String(q ?? '')
      .split(',')
      .includes('value');

  r.get('/project-secrets', async (req, res) => {
    const revealing = reveal(req.query.reveal ?? req.query.include);
    const ws = (revealing ? requireSecretsManager(req, 'reveal the project secrets') : authOf(req)).workspaceId;
    res.json(await projectSecretsView(deps, ws, revealing));
  });
  r.put('/project-secrets', async (req, res) => {
    const ws = requireSecretsManager(req, 'set the project secrets').workspaceId;
    await setProjectSecrets(deps, ws, body(req, SecretsPut));
    res.json(await projectSecretsView(deps, ws, true));
  });
  r.post('/project-secrets/rotate', async (req, res) => {
    const ws = requireSecretsManager(req, 'rotate the project secrets').workspaceId;
    // An empty body rotates both (seed 002).
    await rotateProjectSecrets(deps, ws, body(req, SecretsRotate).rotate ?? ['api_key', 'signing_secret']);
    res.json(await projectSecretsView(deps, ws, true));
  });
  return r;
}
