import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- Claims since the last recorded outcome. A delivery that kills or stalls its worker never
        -- records one, so the count climbs with every restart; at POISON_CLAIMS the event is
        -- quarantined instead of claimed again (delivery/attempt.ts). Not indexed: claims stay HOT.
        ALTER TABLE events ADD COLUMN claims smallint NOT NULL DEFAULT 0;
      `.execute(db);
  },
} satisfies Migration;
