import { Router } from 'express';
import { z } from 'zod';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { randomToken, sha256 } from '../core/crypto.ts';
import { body, idParam } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { projectKeyEntry, PROJECT_KEY_ID, rotateProjectKey } from '../gateway/project-secrets.service.ts';
import { authOf } from './auth.middleware.ts';
import { requireSecretsManager } from './privileges.ts';

const ApiKeyIn = z.object({
  name: z.string().trim().min(1).max(120),
  scopes: z
    .array(z.enum(['read', 'write']))
    .min(1, 'choose at least one of read, write')
    .transform((s) => [...new Set(s)].sort()),
});

const PUBLIC_COLUMNS = ['id', 'name', 'prefix', 'scopes', 'created_by', 'created_at', 'last_used_at'] as const;

export function apiKeyRoutes(deps: Deps): Router {
  const r = Router();
  r.post('/api-keys', async (req, res) => {
    const a = requireSecretsManager(req, 'create API keys');
    const input = body(req, ApiKeyIn);
    // A key answers to the person who made it (a key made by a key, to that key's maker), so it cannot
    // outlive their role. The project key speaks for nobody: a key it made would answer to no one and
    // outlive everything, a revealed project key included.
    const maker = a.actsFor;
    if (!maker) throw new AppError(403, 'FORBIDDEN', 'API keys are made by a person: log in, or use an API key an owner or admin made (not the project key).');
    const key = `wh_live_${randomToken(30)}`;
    const row = await deps.db
      .insertInto('api_keys')
      .values({
        id: newId('key'),
        workspace_id: a.workspaceId,
        created_by: maker,
        name: input.name,
        prefix: key.slice(0, 12),
        key_hash: sha256(key),
        scopes: input.scopes,
      })
      .returning(PUBLIC_COLUMNS)
      .executeTakeFirstOrThrow();
    // The full key exists only in this response; we keep its hash.
    res.status(201).json({ ...row, kind: 'api_key', key });
  });
  r.get('/api-keys', async (req, res) => {
    const ws = authOf(req).workspaceId;
    const keys = await deps.db.selectFrom('api_keys').select(PUBLIC_COLUMNS).where('workspace_id', '=', ws).orderBy('created_at', 'desc').execute();
    // The project key opens the workspace like any read+write key, so it is listed (and revoked) with them.
    const project = await projectKeyEntry(deps, ws);
    const models = [...(project ? [project] : []), ...keys.map((k) => ({ ...k, kind: 'api_key' as const }))];
    res.json({ models, count: models.length });
  });
  r.delete('/api-keys/:id', async (req, res) => {
    const a = requireSecretsManager(req, 'revoke API keys');
    const id = idParam(req, 'key', 'API key');
    if (id === PROJECT_KEY_ID) {
      if (!(await rotateProjectKey(deps.db, deps.box, a.workspaceId))) throw notFound('API key', id);
      return void res.json({ id, deleted: true });
    }
    const gone = deps.apiKeys.changed(await deps.db.deleteFrom('api_keys').where('id', '=', id).where('workspace_id', '=', a.workspaceId).returning('id').executeTakeFirst());
    if (!gone) throw notFound('API key', id);
    res.json({ id, deleted: true });
  });
  return r;
}
