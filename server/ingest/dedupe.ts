import { type Kysely, sql, type Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';

/** An event that may only be created if no other event of its connection holds the key. */
/** `step`: the flow step of the rule, recorded on the ignored event of a duplicate. */
export type DedupeClaim = { connection_id: string; key: string; window_ms: number; step?: string | null };

/**
 * Takes the keys of a batch of new events, atomically: returns the indexes of `claims` that are
 * duplicates. The first claim of a key in the batch competes for it; later ones in the same batch
 * are duplicates whatever happens. A key is won by inserting it, or by taking over a row whose
 * window has ended; a row another transaction is writing makes this one wait for its outcome,
 * so concurrent ingests (one process or many) agree on exactly one winner. Keys are written in a
 * fixed order so that two batches sharing keys cannot deadlock.
 */
export async function claimDedupeKeys(trx: Transaction<DB>, claims: (DedupeClaim | null)[]): Promise<Set<number>> {
  const duplicates = new Set<number>();
  const first = new Map<string, number>();
  claims.forEach((c, i) => {
    if (!c) return;
    const id = `${c.connection_id}\u0000${c.key}`;
    if (first.has(id)) duplicates.add(i);
    else first.set(id, i);
  });
  if (first.size === 0) return duplicates;
  const contenders = [...first.values()]
    .map((i) => claims[i] as DedupeClaim)
    .sort((a, b) => (a.connection_id < b.connection_id ? -1 : a.connection_id > b.connection_id ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const col = <V>(f: (c: DedupeClaim) => V) => contenders.map(f);
  const { rows } = await sql<{ connection_id: string; key: string }>`
    INSERT INTO dedupe_keys (connection_id, key, expires_at)
    SELECT conn, key, now() + make_interval(secs => window_ms / 1000.0)
    FROM unnest(${col((c) => c.connection_id)}::text[], ${col((c) => c.key)}::text[], ${col((c) => c.window_ms)}::int[]) WITH ORDINALITY AS t(conn, key, window_ms, n)
    ORDER BY n
    ON CONFLICT (connection_id, key) DO UPDATE SET expires_at = EXCLUDED.expires_at
      WHERE dedupe_keys.expires_at <= now()
    RETURNING connection_id, key`.execute(trx);
  const won = new Set(rows.map((r) => `${r.connection_id}\u0000${r.key}`));
  for (const [id, i] of first) if (!won.has(id)) duplicates.add(i);
  return duplicates;
}

/** Expired keys only take space (a new event takes one over in place); dropped in bounded batches. */
export async function purgeExpiredDedupeKeys(db: Kysely<DB>): Promise<void> {
  await sql`DELETE FROM dedupe_keys WHERE expires_at < now() AND (connection_id, key) IN (
              SELECT connection_id, key FROM dedupe_keys WHERE expires_at < now() LIMIT 10000)`.execute(db);
}
