import { Router } from 'express';
import { z } from 'zod';
import { body, idParam } from '../core/validate.ts';
import { authOf } from './auth.middleware.ts';
import { requireSecretsManager } from './privileges.ts';
import { SCOPES } from './scopes.ts';
import type { Services } from '../services.ts';

export const ApiKeyIn = z.object({
  name: z.string().trim().min(1).max(120),
  scopes: z
    .array(z.enum(SCOPES, { message: `is not a scope; the scopes are ${SCOPES.join(', ')}` }))
    .min(1, `choose at least one of ${SCOPES.join(', ')}`)
    .transform((s) => [...new Set(s)].sort()),
});

export function apiKeyRoutes(keys: Services['apiKeys']): Router {
  const r = Router();
  r.post('/api-keys', async (req, res) => {
    const a = requireSecretsManager(req, 'create API keys');
    const input = body(req, ApiKeyIn);
    res.status(201).json(await keys.create(a.workspaceId, a.actsFor, input));
  });
  r.get('/api-keys', async (req, res) => {
    res.json(await keys.list(authOf(req).workspaceId));
  });
  r.delete('/api-keys/:id', async (req, res) => {
    const a = requireSecretsManager(req, 'revoke API keys');
    res.json(await keys.revoke(a.workspaceId, idParam(req, 'key', 'API key')));
  });
  // Rotating is revoking and minting in one step, so it takes whoever may do both.
  r.post('/api-keys/:id/rotate', async (req, res) => {
    const a = requireSecretsManager(req, 'rotate API keys');
    res.status(201).json(await keys.rotate(a.workspaceId, a.actsFor, idParam(req, 'key', 'API key')));
  });
  return r;
}
