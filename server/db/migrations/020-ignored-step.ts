import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- The flow step (node id) whose rule turned the request away: a filter rule or a deduplicate
        -- rule a flow wrote carries its node's id (rules.ts, \`step\`). NULL: a rule made by hand, a
        -- published event of a type the connection does not take, or an older row.
        ALTER TABLE ignored_events ADD COLUMN step text;
      `.execute(db);
  },
} satisfies Migration;
