import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- A flow's counts (GET /flows/:id/stats) group ignored events by connection over the last
        -- hours; without this they were a sequential scan. Events need nothing new: the planner
        -- combines events_connection_idx with events_workspace_created_idx.
        CREATE INDEX ignored_events_connection_created_idx ON ignored_events (connection_id, created_at);
      `.execute(db);
  },
} satisfies Migration;
