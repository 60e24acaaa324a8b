import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- At most this many deliveries of the destination in flight at once (null: the hub's default).
        ALTER TABLE destinations ADD COLUMN max_concurrency integer;
        -- The circuit breaker: consecutive timeouts or connection failures; while circuit_opened_at is
        -- set the destination's events wait unclaimed until circuit_probe_at, when one probe goes.
        ALTER TABLE destinations ADD COLUMN circuit_failures integer NOT NULL DEFAULT 0;
        ALTER TABLE destinations ADD COLUMN circuit_opened_at timestamptz;
        ALTER TABLE destinations ADD COLUMN circuit_probe_at timestamptz;
        ALTER TABLE destinations ADD COLUMN circuit_reason text;
        -- The claim walks a lane destination by destination (fair shares), then oldest-first within each.
        CREATE INDEX events_due_by_destination_idx ON events (lane, destination_id, next_attempt_at) WHERE status IN ('QUEUED', 'SCHEDULED');
        DROP INDEX events_due_idx;
      `.execute(db);
  },
} satisfies Migration;
