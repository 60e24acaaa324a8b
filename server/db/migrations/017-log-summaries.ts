import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- What the logs' rows show without reading a body: a one-line summary of the payload from
        -- well-known fields (payload-summary.ts) and its event type, both computed once at ingest.
        -- Requests stored before stay null (the row then shows only its ids).
        ALTER TABLE requests ADD COLUMN summary text;
        ALTER TABLE requests ADD COLUMN event_type text;
      `.execute(db);
  },
} satisfies Migration;
