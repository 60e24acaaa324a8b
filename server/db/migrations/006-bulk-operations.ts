import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        CREATE TABLE bulk_operations (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          kind text NOT NULL CHECK (kind IN ('events', 'requests')),
          state text NOT NULL CHECK (state IN ('planned', 'running', 'completed', 'cancelled', 'failed')),
          query jsonb NOT NULL,
          dry_run boolean NOT NULL DEFAULT false,
          estimated_count integer NOT NULL,
          total integer NOT NULL,
          processed_count integer NOT NULL DEFAULT 0,
          skipped_count integer NOT NULL DEFAULT 0,
          cursor text,
          sample jsonb,
          error text,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          completed_at timestamptz
        );
        CREATE INDEX bulk_operations_workspace_idx ON bulk_operations (workspace_id, kind, id);
        CREATE INDEX bulk_operations_ongoing_idx ON bulk_operations (updated_at) WHERE state IN ('planned', 'running');
        ALTER TABLE events ADD COLUMN batch_operation_id text;
        ALTER TABLE requests ADD COLUMN batch_operation_id text;
        ALTER TABLE requests ADD COLUMN retry_kind text CHECK (retry_kind IN ('single', 'bulk'));
        -- The logs' filters: status (a bulk retry of FAILED walks this in id order), time ranges
        -- (counts of the last hour), and the events a bulk operation touched.
        CREATE INDEX events_workspace_status_idx ON events (workspace_id, status, id);
        CREATE INDEX events_workspace_created_idx ON events (workspace_id, created_at);
        CREATE INDEX requests_workspace_created_idx ON requests (workspace_id, created_at);
        CREATE INDEX events_batch_operation_idx ON events (batch_operation_id, id) WHERE batch_operation_id IS NOT NULL;
        CREATE INDEX requests_batch_operation_idx ON requests (batch_operation_id, id) WHERE batch_operation_id IS NOT NULL;
        -- A running bulk retry counts its events that are due but not yet claimed, to pace itself.
        CREATE INDEX events_bulk_due_idx ON events (batch_operation_id, next_attempt_at)
          WHERE batch_operation_id IS NOT NULL AND status IN ('QUEUED', 'SCHEDULED');
      `.execute(db);
  },
} satisfies Migration;
