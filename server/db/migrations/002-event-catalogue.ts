import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        CREATE TABLE event_types (
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          name text NOT NULL,
          description text,
          schema jsonb,
          sample jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (workspace_id, name)
        );
        CREATE TABLE publish_keys (
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          idempotency_key text NOT NULL,
          event_id text NOT NULL,
          request_id text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (workspace_id, idempotency_key)
        );
        CREATE INDEX publish_keys_created_idx ON publish_keys (created_at);
      `.execute(db);
  },
} satisfies Migration;
