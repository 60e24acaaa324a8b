import { mask, newSigningSecret, randomToken, sha256 } from '../core/crypto.ts';
import { conflict } from '../core/errors.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { Kysely, Transaction } from 'kysely';
import type { SecretBox } from '../core/crypto.ts';
import type { DB } from '../db/schema.ts';
import type { Deps } from '../deps.ts';

const newApiKey = () => `wh_proj_${randomToken(30)}`;

/** Project secrets are made lazily: the first delivery or the first GET creates them. */
export async function ensureProjectSecrets(deps: Pick<Deps, 'db' | 'box'>, workspaceId: string) {
  const existing = await deps.db.selectFrom('project_secrets').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst();
  const row =
    existing ??
    (await (async () => {
      const apiKey = newApiKey();
      await deps.db
        .insertInto('project_secrets')
        .values({
          workspace_id: workspaceId,
          api_key_enc: deps.box.seal(apiKey),
          api_key_hash: sha256(apiKey),
          signing_secret_enc: deps.box.seal(newSigningSecret()),
        })
        .onConflict((oc) => oc.column('workspace_id').doNothing())
        .execute();
      return deps.db.selectFrom('project_secrets').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
    })());
  return {
    apiKey: deps.box.open(row.api_key_enc),
    apiKeyRotatedAt: row.api_key_rotated_at,
    signingSecret: deps.box.open(row.signing_secret_enc),
    signingSecretRotatedAt: row.signing_secret_rotated_at,
  };
}

/** The project key's row in GET /api-keys; an id of the API-key shape, so DELETE /api-keys/:id takes it. */
export const PROJECT_KEY_ID = `key_${'project'.padEnd(26, '0')}`;

/** The project key as GET /api-keys lists it, or null before the workspace's secrets exist. */
export async function projectKeyEntry(deps: Pick<Deps, 'db' | 'box'>, workspaceId: string) {
  const row = await deps.db
    .selectFrom('project_secrets')
    .select(['api_key_enc', 'api_key_rotated_at'])
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!row) return null;
  const value = deps.box.open(row.api_key_enc);
  return {
    id: PROJECT_KEY_ID,
    kind: 'project_key' as const,
    name: 'Project API key',
    // A generated key shows its prefix like any API key; a chosen one may be short enough for 12 characters to be all of it.
    prefix: value.startsWith('wh_proj_') ? value.slice(0, 12) : 'custom',
    scopes: ['read', 'write'],
    created_by: null,
    created_at: row.api_key_rotated_at,
    last_used_at: null,
  };
}

/**
 * Replaces the project key with a fresh one that nobody has seen yet (revoking it: the row must stay,
 * it holds the signing secret). In the caller's transaction when given one. The new key, for a
 * caller that shows it once; null when the workspace has no project secrets yet.
 */
export async function rotateProjectKey(db: Kysely<DB> | Transaction<DB>, box: SecretBox, workspaceId: string): Promise<string | null> {
  const apiKey = newApiKey();
  const r = await db
    .updateTable('project_secrets')
    .set({ api_key_enc: box.seal(apiKey), api_key_hash: sha256(apiKey), api_key_rotated_at: new Date() })
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n ? apiKey : null;
}

/** The project secrets as GET /project-secrets answers: masked, and their values too when `reveal`. */
export async function projectSecretsView(deps: Pick<Deps, 'db' | 'box'>, ws: string, reveal: boolean) {
  const s = await ensureProjectSecrets(deps, ws);
  const one = (value: string, at: Date) => ({ ...(reveal ? { value } : {}), masked_value: mask(value), last_rotated_at: at });
  return { team_id: ws, api_key: one(s.apiKey, s.apiKeyRotatedAt), signing_secret: one(s.signingSecret, s.signingSecretRotatedAt) };
}

/** Sets the secrets given (made first if the workspace has none yet). */
export async function setProjectSecrets(deps: Pick<Deps, 'db' | 'box'>, ws: string, values: { api_key?: string; signing_secret?: string }): Promise<void> {
  await ensureProjectSecrets(deps, ws);
  const now = new Date();
  await deps.db
    .updateTable('project_secrets')
    .set({
      ...(values.api_key ? { api_key_enc: deps.box.seal(values.api_key), api_key_hash: sha256(values.api_key), api_key_rotated_at: now } : {}),
      ...(values.signing_secret ? { signing_secret_enc: deps.box.seal(values.signing_secret), signing_secret_rotated_at: now } : {}),
    })
    .where('workspace_id', '=', ws)
    .execute()
    .catch((err) => {
      // Project API keys may be chosen by the caller; one already opening another workspace cannot be reused.
      if (isUniqueViolation(err)) throw conflict('This API key is already in use; choose another.', [{ path: 'api_key', message: 'is already in use' }]);
      throw err;
    });
}

/** Replaces the named secrets with fresh random ones. */
export function rotateProjectSecrets(deps: Pick<Deps, 'db' | 'box'>, ws: string, which: ('api_key' | 'signing_secret')[]): Promise<void> {
  return setProjectSecrets(deps, ws, {
    ...(which.includes('api_key') ? { api_key: newApiKey() } : {}),
    ...(which.includes('signing_secret') ? { signing_secret: newSigningSecret() } : {}),
  });
}
