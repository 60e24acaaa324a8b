import { sql, type Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { AttemptTrigger, DB } from '../db/schema.ts';
import type { Rule } from '../gateway/rules.ts';

/** Destinations one claim looks at; a lane with more waiting takes turns through them (ClaimRoom.cursor). */
const WALK_DESTINATIONS = 256;

/** What the lane already has in flight, so a claim keeps each destination and team within its share. */
export type ClaimRoom = {
  inFlight: number;
  destinations: string[];
  destinationLoads: number[];
  /** The share each of those destinations has earned (LaneRunner.shares); others get the default. */
  destinationShares: number[];
  teams: string[];
  teamLoads: number[];
  /** The walk over the lane's destinations starts after this id and wraps round: pass the last claim's walkEnd. */
  cursor: string;
};
export const NO_LOAD: ClaimRoom = { inFlight: 0, destinations: [], destinationLoads: [], destinationShares: [], teams: [], teamLoads: [], cursor: '' };

/** One claimed event with everything needed to deliver it, read in the same statement that leases it. */
export type ClaimedEvent = {
  id: string;
  workspace_id: string;
  request_id: string;
  connection_id: string;
  connection_updated_at: Date;
  source_type: string;
  request: { headers: Record<string, string>; query: Record<string, unknown>; path: string } | null;
  /** The connection's transformation's updated_at (text), when it has a transformation rule. */
  transformation_version: string | null;
  destination_id: string;
  lane: number;
  attempts: number;
  /** Claims since the last recorded outcome, this one included. */
  claims: number;
  pending_trigger: AttemptTrigger;
  body: Buffer;
  content_type: string | null;
  rules: Rule[];
  paused_at: Date | null;
  connection_disabled_at: Date | null;
  destination_type: string;
  destination_config: Record<string, unknown>;
  destination_auth_enc: string | null;
  destination_disabled_at: Date | null;
  consecutive_failures: number;
  circuit_failures: number;
  signing_secret_enc: string | null;
  /** Its request's traceparent, read after the claim only while traces are exported (DeliveryEngine.claim). */
  traceparent?: string | null;
};

/**
 * Leases up to `limit` due events of a lane, shared fairly: the lane is walked destination by
 * destination (a loose index scan from `cursor`, so a lane with thousands of waiting destinations
 * costs a bounded walk per claim and every destination has its turn), each destination gives at
 * most its room (its share of slots less what it has in flight; none while its circuit is open,
 * one probe once it is due), and the batch is filled team by team, round-robin, each team within
 * its share. Oldest-first over the whole lane put every fresh event behind one destination's
 * backlog, and one receiver that never answers held every slot of the lane.
 *
 * Within a destination fresh work goes first: events a bulk operation queued (pending_trigger
 * 'bulk') go only into room the others leave (a lazy UNION ALL: the bulk branch is not read when
 * fresh events fill the room; the bulk's pacing keeps its due rows to a few hundred).
 */
export async function claimDueEvents(
  db: Kysely<DB>,
  config: Pick<Config, 'destinationConcurrency' | 'teamConcurrency'>,
  lane: number,
  limit: number,
  room: ClaimRoom,
): Promise<{ events: ClaimedEvent[]; walkEnd: string }> {
  // The statement is the function claim_due_events (migration 021), planned once per connection.
  const { rows } = await sql<ClaimedEvent & { walk_end: string }>`
      SELECT * FROM claim_due_events(${lane}, ${limit}, ${room.inFlight}, ${room.cursor}, ${WALK_DESTINATIONS},
        ${room.destinations}::text[], ${room.destinationLoads}::int[], ${room.destinationShares}::int[], ${config.destinationConcurrency},
        ${room.teams}::text[], ${room.teamLoads}::int[], ${config.teamConcurrency})`.execute(db);
  const walkEnd = rows[0]?.walk_end ?? '';
  return { events: rows.filter((r) => r.id !== null), walkEnd };
}
