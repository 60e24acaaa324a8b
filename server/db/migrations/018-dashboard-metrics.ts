import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    // Deliberate copies: attempt_counts_1m_add has the shape of event_counts_1m_add in
    // 013-metrics-rollup.ts; 021-delivery-write-costs.ts replaces attempt_counts_1m_apply below
    // with a copy that differs only in its join to events. A past migration's SQL never changes.
    await sql`
        -- Per-minute counts of delivery attempts behind the dashboard (issue 14): failures per
        -- destination and delivery latency percentiles over 1 h, 24 h or 7 d read these, never the
        -- attempts log. latency_bucket is a log-scale histogram bin of the time from the event's
        -- arrival to the end of a successful automatic attempt (its first or a scheduled retry):
        -- bin b holds [2^(b/8), 2^((b+1)/8)) ms, so a percentile read from the bins is within 9 %.
        -- -1 marks the attempts the histogram leaves out: failures, and manual or bulk retries (a
        -- retry pressed days later says nothing about how fast deliveries are).
        -- Attempts are only ever inserted (an event and its attempts are kept), so only inserts
        -- are counted; a retention job that deletes attempts must subtract them here.
        CREATE TABLE attempt_counts_1m (
          workspace_id text NOT NULL,
          minute timestamptz NOT NULL,
          connection_id text NOT NULL,
          destination_id text NOT NULL,
          status text NOT NULL,
          latency_bucket smallint NOT NULL,
          n integer NOT NULL
        );
        CREATE INDEX attempt_counts_1m_key_idx ON attempt_counts_1m (workspace_id, minute, connection_id, destination_id, status, latency_bucket);
        -- A failing destination's last error: its newest failed attempt.
        CREATE INDEX attempts_failed_destination_idx ON attempts (destination_id, created_at DESC) WHERE status = 'FAILED';

        -- As event_counts_1m_add (migration 013): a writer never waits for another here.
        CREATE FUNCTION attempt_counts_1m_add(deltas attempt_counts_1m[]) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
        BEGIN
          WITH delta AS (SELECT * FROM unnest(deltas)),
          added AS (
            UPDATE attempt_counts_1m c SET n = c.n + delta.n
            FROM delta CROSS JOIN LATERAL (
              SELECT x.ctid AS free FROM attempt_counts_1m x
              WHERE x.workspace_id = delta.workspace_id AND x.minute = delta.minute AND x.connection_id = delta.connection_id
                AND x.destination_id = delta.destination_id AND x.status = delta.status AND x.latency_bucket = delta.latency_bucket
              LIMIT 1 FOR UPDATE SKIP LOCKED) AS unheld
            WHERE c.ctid = unheld.free
            RETURNING c.workspace_id, c.minute, c.connection_id, c.destination_id, c.status, c.latency_bucket)
          INSERT INTO attempt_counts_1m
          SELECT * FROM delta
          WHERE NOT EXISTS (SELECT FROM added a WHERE (a.workspace_id, a.minute, a.connection_id, a.destination_id, a.status, a.latency_bucket)
                                                     = (delta.workspace_id, delta.minute, delta.connection_id, delta.destination_id, delta.status, delta.latency_bucket));
        END $fn$;

        CREATE FUNCTION attempt_latency_bucket(status text, trigger text, ms double precision) RETURNS smallint LANGUAGE sql IMMUTABLE AS $fn$
          SELECT CASE WHEN status = 'SUCCESSFUL' AND trigger IN ('initial', 'automatic')
                      THEN floor(8 * ln(greatest(ms, 1)) / ln(2))::smallint ELSE -1::smallint END
        $fn$;

        -- One pass over the statement's attempts, each joined to its event (by primary key) for
        -- the connection and the arrival time.
        CREATE FUNCTION attempt_counts_1m_apply() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
        DECLARE deltas attempt_counts_1m[];
        BEGIN
          SELECT array_agg(row(workspace_id, minute, connection_id, destination_id, status, latency_bucket, n)::attempt_counts_1m) INTO deltas
          FROM (SELECT a.workspace_id, date_bin('1 minute', a.created_at, TIMESTAMPTZ 'epoch') AS minute, e.connection_id, a.destination_id, a.status,
                       attempt_latency_bucket(a.status, a.trigger, extract(epoch FROM a.created_at - e.created_at) * 1000 + a.duration_ms) AS latency_bucket,
                       count(*)::int AS n
                FROM new_rows a JOIN events e ON e.id = a.event_id
                GROUP BY 1, 2, 3, 4, 5, 6) AS d;
          IF deltas IS NOT NULL THEN
            PERFORM attempt_counts_1m_add(deltas);
          END IF;
          RETURN NULL;
        END $fn$;
        CREATE TRIGGER attempt_counts_1m_insert AFTER INSERT ON attempts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attempt_counts_1m_apply();

        INSERT INTO attempt_counts_1m (workspace_id, minute, connection_id, destination_id, status, latency_bucket, n)
        SELECT a.workspace_id, date_bin('1 minute', a.created_at, TIMESTAMPTZ 'epoch'), e.connection_id, a.destination_id, a.status,
               attempt_latency_bucket(a.status, a.trigger, extract(epoch FROM a.created_at - e.created_at) * 1000 + a.duration_ms), count(*)
        FROM attempts a JOIN events e ON e.id = a.event_id GROUP BY 1, 2, 3, 4, 5, 6;
      `.execute(db);
  },
} satisfies Migration;
