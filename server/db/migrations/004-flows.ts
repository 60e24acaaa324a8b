import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- The picture the flow editor draws; its destinations are ordinary webhooks (each node keeps its webhookId).
        CREATE TABLE flows (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          name text NOT NULL,
          graph jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX flows_workspace_idx ON flows (workspace_id, id);
      `.execute(db);
  },
} satisfies Migration;
