import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- Days a team keeps its log, fewer than the hub's WIREHUB_RETENTION_DAYS; NULL: the hub's.
        -- The upper bound is the hub's setting, checked by the API (it can change between starts).
        ALTER TABLE workspaces ADD COLUMN retention_days integer CHECK (retention_days >= 1);
      `.execute(db);
  },
} satisfies Migration;
