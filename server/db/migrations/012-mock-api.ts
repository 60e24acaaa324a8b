import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- What MOCK_API destinations received (issue 6), newest first per destination. Bounded by
        -- the housekeeping job: the last 1,000 per destination, and 7 days.
        CREATE TABLE mock_api_requests (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          destination_id text NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
          -- No foreign key: a test delivery's event is not stored, and events are pruned on their own.
          event_id text,
          method text NOT NULL,
          path text NOT NULL,
          query text NOT NULL DEFAULT '',
          headers jsonb NOT NULL,
          -- Binary bodies (or ones with a NUL, which text cannot hold) are kept as base64.
          body text NOT NULL,
          body_encoding text NOT NULL DEFAULT 'utf8' CHECK (body_encoding IN ('utf8', 'base64')),
          body_size integer NOT NULL,
          body_truncated boolean NOT NULL DEFAULT false,
          response_status integer NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX mock_api_requests_destination_idx ON mock_api_requests (destination_id, created_at DESC, id DESC);
        CREATE INDEX mock_api_requests_created_idx ON mock_api_requests (created_at);
      `.execute(db);
  },
} satisfies Migration;
