import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- User JavaScript run on a connection's requests before delivery (issue 6). The variables
        -- often hold API keys, so they are sealed like other secrets (env_enc); a deleted one keeps
        -- its row so that executions and old rules still name it, and frees its name.
        CREATE TABLE transformations (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          name text NOT NULL,
          code text NOT NULL,
          env_enc text NOT NULL,
          code_hash text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          deleted_at timestamptz
        );
        CREATE UNIQUE INDEX transformations_name_idx ON transformations (workspace_id, name) WHERE deleted_at IS NULL;
        CREATE INDEX transformations_workspace_idx ON transformations (workspace_id, created_at, id) WHERE deleted_at IS NULL;
        -- One row per run (deliveries and API runs of a saved transformation), newest first per
        -- transformation; pruned by age and count by the housekeeping job.
        CREATE TABLE transformation_executions (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          transformation_id text NOT NULL REFERENCES transformations(id) ON DELETE CASCADE,
          event_id text,
          request_id text,
          connection_id text,
          status text NOT NULL CHECK (status IN ('ok', 'failed')),
          error_code text,
          error_message text,
          logs jsonb NOT NULL DEFAULT '[]',
          original jsonb,
          transformed jsonb,
          duration_ms integer NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX transformation_executions_list_idx ON transformation_executions (transformation_id, created_at DESC, id DESC);
        CREATE INDEX transformation_executions_event_idx ON transformation_executions (transformation_id, event_id) WHERE event_id IS NOT NULL;
        CREATE INDEX transformation_executions_created_idx ON transformation_executions (created_at);
      `.execute(db);
  },
} satisfies Migration;
