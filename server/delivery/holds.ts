import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.ts';

/** Waiting events of a destination that was disabled go on HOLD until it is enabled again. */
export async function holdDestinationEvents(db: Kysely<DB>, destinationId: string): Promise<void> {
  await db
    .updateTable('events')
    .set({ status: 'HOLD', next_attempt_at: null, updated_at: new Date() })
    .where('destination_id', '=', destinationId)
    .where('status', 'in', ['QUEUED', 'SCHEDULED'])
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', new Date())]))
    .execute();
}

export async function holdConnectionEvents(db: Kysely<DB>, connectionId: string): Promise<void> {
  await db
    .updateTable('events')
    .set({ status: 'HOLD', next_attempt_at: null, updated_at: new Date() })
    .where('connection_id', '=', connectionId)
    .where('status', 'in', ['QUEUED', 'SCHEDULED'])
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', new Date())]))
    .execute();
}

/**
 * Puts held events back in the queue, but only those whose connection and destination are both
 * active again. Returns the lanes that got work.
 */
export async function releaseHeld(db: Kysely<DB>, by: { destinationId?: string; connectionId?: string }): Promise<number[]> {
  const rows = await sql<{ lane: number }>`
    UPDATE events e SET status = 'QUEUED', next_attempt_at = now(), updated_at = now()
    FROM connections c, destinations d
    WHERE e.status = 'HOLD'
      AND c.id = e.connection_id AND d.id = e.destination_id
      AND c.paused_at IS NULL AND c.disabled_at IS NULL AND d.disabled_at IS NULL
      AND (${by.destinationId ?? null}::text IS NULL OR e.destination_id = ${by.destinationId ?? null})
      AND (${by.connectionId ?? null}::text IS NULL OR e.connection_id = ${by.connectionId ?? null})
    RETURNING e.lane`.execute(db);
  return [...new Set(rows.rows.map((r) => r.lane))];
}
