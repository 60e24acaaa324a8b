import { Router } from 'express';
import { z } from 'zod';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { randomToken, sha256 } from '../core/crypto.ts';
import { body, idParam } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { authOf } from './auth.middleware.ts';

const ApiKeyIn = z.object({
  name: z.string().trim().min(1).max(120),
  scopes: z
    .array(z.enum(['read', 'write']))
    .min(1, 'choose at least one of read, write')
    .transform((s) => [...new Set(s)].sort()),
});

const PUBLIC_COLUMNS = ['id', 'name', 'prefix', 'scopes', 'created_at', 'last_used_at'] as const;

export function apiKeyRoutes(deps: Deps): Router {
  const r = Router();
  r.post('/api-keys', async (req, res) => {
    const a = authOf(req);
    if (a.kind === 'session' && a.role === 'member') throw new AppError(403, 'FORBIDDEN', 'Only owners and admins can create API keys.');
    const input = body(req, ApiKeyIn);
    const key = `wh_live_${randomToken(30)}`;
    const row = await deps.db
      .insertInto('api_keys')
      .values({
        id: newId('key'),
        workspace_id: a.workspaceId,
        created_by: a.userId,
        name: input.name,
        prefix: key.slice(0, 12),
        key_hash: sha256(key),
        scopes: input.scopes,
      })
      .returning(PUBLIC_COLUMNS)
      .executeTakeFirstOrThrow();
    // The full key exists only in this response; we keep its hash.
    res.status(201).json({ ...row, key });
  });
  r.get('/api-keys', async (req, res) => {
    const models = await deps.db
      .selectFrom('api_keys')
      .select(PUBLIC_COLUMNS)
      .where('workspace_id', '=', authOf(req).workspaceId)
      .orderBy('created_at', 'desc')
      .execute();
    res.json({ models, count: models.length });
  });
  r.delete('/api-keys/:id', async (req, res) => {
    const a = authOf(req);
    if (a.kind === 'session' && a.role === 'member') throw new AppError(403, 'FORBIDDEN', 'Only owners and admins can revoke API keys.');
    const id = idParam(req, 'key', 'API key');
    const gone = await deps.db.deleteFrom('api_keys').where('id', '=', id).where('workspace_id', '=', a.workspaceId).returning('id').executeTakeFirst();
    if (!gone) throw notFound('API key', id);
    res.json({ id, deleted: true });
  });
  return r;
}
