import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- Deduplicate rules: one row per key seen on a connection within its window. An expired row
        -- is taken over in place by the next event with that key; housekeeping deletes the rest.
        CREATE TABLE dedupe_keys (
          connection_id text NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
          key text NOT NULL,
          expires_at timestamptz NOT NULL,
          PRIMARY KEY (connection_id, key)
        );
        CREATE INDEX dedupe_keys_expires_idx ON dedupe_keys (expires_at);
      `.execute(db);
  },
} satisfies Migration;
