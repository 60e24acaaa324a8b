import type { Kysely } from 'kysely';
import { conflict } from '../core/errors.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { DB } from '../db/schema.ts';

/**
 * Sources and destinations are unique by name within a team, and a PUT upserts by that name; both
 * services write through these two so the conflict and the upsert read the same.
 */

/** Runs a write; the unique index on (team, name) refusing it is a 409 naming the clash. */
export async function uniquelyNamed<T>(what: 'source' | 'destination', name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`A ${what} named "${name}" already exists.`, { name });
    throw err;
  }
}

/** Updates the team's row of that name, or creates one when there is none. */
export async function upsertByName<Out>(
  db: Kysely<DB>,
  table: 'sources' | 'destinations',
  ws: string,
  name: string,
  write: { create: () => Promise<Out>; update: (id: string) => Promise<Out> },
): Promise<{ created: boolean; model: Out }> {
  const existing = await db.selectFrom(table).select('id').where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirst();
  if (!existing) return { created: true, model: await write.create() };
  return { created: false, model: await write.update(existing.id) };
}
