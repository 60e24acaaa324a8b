import type { Kysely } from 'kysely';
import type { DB, Role } from '../db/schema.ts';
import { TtlCache } from '../core/ttl-cache.ts';

/** An API key as authentication reads it, with its maker's role in the key's workspace. */
export type KeyRecord = {
  id: string;
  workspace_id: string;
  scopes: string[];
  last_used_at: Date | null;
  created_by: string | null;
  role: Role | null;
};

/**
 * API keys resolved in the last second, by the hash of the key. Publishing and the REST API look a
 * key up on every call, and that one query was the largest part of a publish's cost. Writes in
 * this process that revoke or weaken a key (deleting it, its maker leaving or losing the admin
 * role, the maker's account deleted) call invalidate(); another process sees such a change within
 * the TTL, as it does a routing change (routing-cache.ts). Unknown keys are never cached, so
 * guessing fills nothing (core/ttl-cache.ts).
 */
export class ApiKeyCache extends TtlCache<KeyRecord | undefined> {
  constructor(private readonly db: Kysely<DB>) {
    super({ ttlMs: 1000, maxEntries: 10_000, keepMisses: false });
  }

  get(hash: Buffer): Promise<KeyRecord | undefined> {
    return this.through(hash.toString('base64'), () => this.load(hash));
  }

  private load(hash: Buffer): Promise<KeyRecord | undefined> {
    return this.db
      .selectFrom('api_keys')
      .leftJoin('memberships', (j) =>
        j.onRef('memberships.user_id', '=', 'api_keys.created_by').onRef('memberships.workspace_id', '=', 'api_keys.workspace_id'),
      )
      .select(['api_keys.id', 'api_keys.workspace_id', 'api_keys.scopes', 'api_keys.last_used_at', 'api_keys.created_by', 'memberships.role'])
      .where('api_keys.key_hash', '=', hash)
      .executeTakeFirst();
  }
}
