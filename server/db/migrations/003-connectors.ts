import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- The body actually sent, when a mapping or a connector made it differ from the request's.
        ALTER TABLE attempts ADD COLUMN request_body text;
        -- The vendor's id of what a delivery created, so a replay can update it instead.
        ALTER TABLE attempts ADD COLUMN record_id text;
        ALTER TABLE destinations ADD COLUMN warning text;
        -- Zapier's samples: the latest published events of one type.
        CREATE INDEX requests_source_path_idx ON requests (source_id, path, id);
      `.execute(db);
  },
} satisfies Migration;
