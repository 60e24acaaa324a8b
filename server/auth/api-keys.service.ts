import type { Kysely } from 'kysely';
import { AppError, notFound } from '../core/errors.ts';
import { randomToken, sha256 } from '../core/crypto.ts';
import { newId } from '../core/ids.ts';
import type { Deps } from '../deps.ts';
import type { DB } from '../db/schema.ts';
import { projectKeyEntry, PROJECT_KEY_ID, rotateProjectKey } from '../gateway/project-secrets.service.ts';
import type { Scope } from './scopes.ts';

const PUBLIC_COLUMNS = ['id', 'name', 'prefix', 'scopes', 'created_by', 'created_at', 'last_used_at'] as const;

export type ApiKeyInput = { name: string; scopes: Scope[] };

const NO_MAKER = 'API keys are made by a person: log in, or use an API key an owner or admin made (not the project key).';

/** A fresh key's row; the full key exists only in the answer that returns it, we keep its hash. */
async function insertKey(db: Kysely<DB>, ws: string, maker: string, input: { name: string; scopes: string[] }) {
  const key = `wh_live_${randomToken(30)}`;
  const row = await db
    .insertInto('api_keys')
    .values({ id: newId('key'), workspace_id: ws, created_by: maker, name: input.name, prefix: key.slice(0, 12), key_hash: sha256(key), scopes: input.scopes })
    .returning(PUBLIC_COLUMNS)
    .executeTakeFirstOrThrow();
  return { ...row, kind: 'api_key' as const, key };
}

/** A team's API keys: its people's keys, and the project key listed (and revoked) with them. */
export function apiKeysService(deps: Pick<Deps, 'db' | 'box' | 'apiKeys'>) {
  return {
    /** `maker`: the person the key answers to (a key made by a key, that key's maker); null for the project key. */
    async create(ws: string, maker: string | null, input: ApiKeyInput) {
      // A key answers to the person who made it, so it cannot outlive their role. The project key
      // speaks for nobody: a key it made would answer to no one and outlive everything, a revealed
      // project key included.
      if (!maker) throw new AppError(403, 'FORBIDDEN', NO_MAKER);
      return insertKey(deps.db, ws, maker, input);
    },

    async list(ws: string) {
      const keys = await deps.db.selectFrom('api_keys').select(PUBLIC_COLUMNS).where('workspace_id', '=', ws).orderBy('created_at', 'desc').execute();
      // The project key opens the workspace like any read+write key, so it is listed (and revoked) with them.
      const project = await projectKeyEntry(deps, ws);
      const models = [...(project ? [project] : []), ...keys.map((k) => ({ ...k, kind: 'api_key' as const }))];
      return { models, count: models.length };
    },

    /** Revoking the project key rotates it. */
    async revoke(ws: string, id: string): Promise<{ id: string; deleted: true }> {
      if (id === PROJECT_KEY_ID) {
        if (!(await rotateProjectKey(deps.db, deps.box, ws))) throw notFound('API key', id);
        return { id, deleted: true };
      }
      const gone = deps.apiKeys.changed(
        await deps.db.deleteFrom('api_keys').where('id', '=', id).where('workspace_id', '=', ws).returning('id').executeTakeFirst(),
      );
      if (!gone) throw notFound('API key', id);
      return { id, deleted: true };
    },

    /**
     * A new key with the old one's name and scopes, in the answer only; the old one stops in the
     * same transaction (and, through the cache, at once in this process). The new key answers to
     * whoever rotated it, as a key they made would: they are the one who now holds it. The project
     * key is rotated in place and keeps its id.
     */
    async rotate(ws: string, maker: string | null, id: string) {
      if (id === PROJECT_KEY_ID) {
        const key = await rotateProjectKey(deps.db, deps.box, ws);
        const entry = key ? await projectKeyEntry(deps, ws) : null;
        if (!key || !entry) throw notFound('API key', id);
        return { ...entry, key, replaces: id };
      }
      if (!maker) throw new AppError(403, 'FORBIDDEN', NO_MAKER);
      const made = await deps.db.transaction().execute(async (trx) => {
        const old = await trx.deleteFrom('api_keys').where('id', '=', id).where('workspace_id', '=', ws).returning(['name', 'scopes']).executeTakeFirst();
        if (!old) throw notFound('API key', id);
        return insertKey(trx, ws, maker, old);
      });
      return { ...deps.apiKeys.changed(made), replaces: id };
    },
  };
}
