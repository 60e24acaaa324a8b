import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    await sql`
        -- The W3C traceparent of the ingest span (server/core/tracing.ts), so each delivery attempt,
        -- later and maybe in another worker, joins the request's trace. Written only while the hub
        -- exports traces: NULL otherwise, which costs a row nothing.
        ALTER TABLE requests ADD COLUMN traceparent text;

        -- Operator alerts by e-mail (server/jobs/alert-mail.job.ts). A destination the engine
        -- disables is marked in the same UPDATE; a worker mails its team's owners and clears the mark.
        ALTER TABLE destinations ADD COLUMN disable_alert_pending boolean NOT NULL DEFAULT false;
        CREATE INDEX destinations_disable_alert_idx ON destinations (id) WHERE disable_alert_pending;

        -- A bulk retry is reported once its events have all been tried; alerted_at says it was
        -- (or that it needs no mail). Operations finished before this migration are not reported.
        ALTER TABLE bulk_operations ADD COLUMN alerted_at timestamptz;
        UPDATE bulk_operations SET alerted_at = COALESCE(completed_at, now()) WHERE state IN ('completed', 'cancelled', 'failed');
        CREATE INDEX bulk_operations_alert_idx ON bulk_operations (completed_at) WHERE alerted_at IS NULL AND state = 'completed' AND NOT dry_run;
      `.execute(db);
  },
} satisfies Migration;
