import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- Limits the operator sets on a team (server/admin.ts, the operator API). NULL: no quota —
        -- the hub's WIREHUB_MAX_WEBHOOKS for webhooks, no limit on events. Events are counted from
        -- request_counts_1m (migration 013), so a quota adds nothing to ingest's writes.
        ALTER TABLE workspaces
          ADD COLUMN max_webhooks integer CHECK (max_webhooks >= 0),
          ADD COLUMN max_events_per_month bigint CHECK (max_events_per_month >= 0);
      `.execute(db);
  },
} satisfies Migration;
