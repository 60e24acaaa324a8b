import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    // Deliberate copies: the three *_counts_1m_add functions share one shape, one per counter table
    // (PL/pgSQL has no function generic over row types); 018-dashboard-metrics.ts repeats it for
    // attempt_counts_1m. A past migration's SQL never changes, so none of them is factored out.
    await sql`
        -- Per-minute counts behind GET /metrics/* (issue 6): a 24 h chart reads 1,440 minutes of
        -- these instead of every request and event of the day. Kept exact by statement-level
        -- triggers on the logs (one pass over each statement's rows, whatever their number; the
        -- ingest writer and the delivery engine write in batches). Only what the metrics filter
        -- on is kept; an event's lease is not (it changes on every claim and expires with time), so
        -- processing vs queued is split at query time. A key's count is the sum of its rows: it
        -- may have a few (see *_add below). Rows whose count falls to 0 stay.
        CREATE TABLE event_counts_1m (
          workspace_id text NOT NULL,
          minute timestamptz NOT NULL,
          connection_id text NOT NULL,
          destination_id text NOT NULL,
          source_id text NOT NULL,
          status text NOT NULL,
          n integer NOT NULL
        );
        CREATE INDEX event_counts_1m_key_idx ON event_counts_1m (workspace_id, minute, connection_id, destination_id, source_id, status);
        CREATE TABLE request_counts_1m (
          workspace_id text NOT NULL,
          minute timestamptz NOT NULL,
          source_id text NOT NULL,
          status text NOT NULL,
          verified boolean NOT NULL,
          n integer NOT NULL
        );
        CREATE INDEX request_counts_1m_key_idx ON request_counts_1m (workspace_id, minute, source_id, status, verified);
        -- An ignored event's source is its request's (a connection's source can be changed later).
        CREATE TABLE ignored_counts_1m (
          workspace_id text NOT NULL,
          minute timestamptz NOT NULL,
          connection_id text NOT NULL,
          source_id text NOT NULL,
          n integer NOT NULL
        );
        CREATE INDEX ignored_counts_1m_key_idx ON ignored_counts_1m (workspace_id, minute, connection_id, source_id);
        -- The partial minutes at either end of a chart's range are read from the logs; events and
        -- requests have their (workspace_id, created_at) index already.
        CREATE INDEX ignored_events_workspace_created_idx ON ignored_events (workspace_id, created_at);

        -- Each key's change is added to one of its rows that no other transaction holds, or to a
        -- new row when every one is held. So a writer never waits for another here: the counters
        -- add no lock waits, and no deadlocks, to the ingest, delivery, bulk and replay
        -- transactions that fire them, whatever the order of their statements. A key gets a
        -- second row only when two transactions change it at once (the current minute under load).
        CREATE FUNCTION event_counts_1m_add(deltas event_counts_1m[]) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
        BEGIN
          WITH delta AS (SELECT * FROM unnest(deltas)),
          added AS (
            UPDATE event_counts_1m c SET n = c.n + delta.n
            FROM delta CROSS JOIN LATERAL (
              SELECT x.ctid AS free FROM event_counts_1m x
              WHERE x.workspace_id = delta.workspace_id AND x.minute = delta.minute AND x.connection_id = delta.connection_id
                AND x.destination_id = delta.destination_id AND x.source_id = delta.source_id AND x.status = delta.status
              LIMIT 1 FOR UPDATE SKIP LOCKED) AS unheld
            WHERE c.ctid = unheld.free
            RETURNING c.workspace_id, c.minute, c.connection_id, c.destination_id, c.source_id, c.status)
          INSERT INTO event_counts_1m
          SELECT * FROM delta
          WHERE NOT EXISTS (SELECT FROM added a WHERE (a.workspace_id, a.minute, a.connection_id, a.destination_id, a.source_id, a.status)
                                                     = (delta.workspace_id, delta.minute, delta.connection_id, delta.destination_id, delta.source_id, delta.status));
        END $fn$;
        CREATE FUNCTION request_counts_1m_add(deltas request_counts_1m[]) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
        BEGIN
          WITH delta AS (SELECT * FROM unnest(deltas)),
          added AS (
            UPDATE request_counts_1m c SET n = c.n + delta.n
            FROM delta CROSS JOIN LATERAL (
              SELECT x.ctid AS free FROM request_counts_1m x
              WHERE x.workspace_id = delta.workspace_id AND x.minute = delta.minute AND x.source_id = delta.source_id
                AND x.status = delta.status AND x.verified = delta.verified
              LIMIT 1 FOR UPDATE SKIP LOCKED) AS unheld
            WHERE c.ctid = unheld.free
            RETURNING c.workspace_id, c.minute, c.source_id, c.status, c.verified)
          INSERT INTO request_counts_1m
          SELECT * FROM delta
          WHERE NOT EXISTS (SELECT FROM added a WHERE (a.workspace_id, a.minute, a.source_id, a.status, a.verified)
                                                     = (delta.workspace_id, delta.minute, delta.source_id, delta.status, delta.verified));
        END $fn$;
        CREATE FUNCTION ignored_counts_1m_add(deltas ignored_counts_1m[]) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
        BEGIN
          WITH delta AS (SELECT * FROM unnest(deltas)),
          added AS (
            UPDATE ignored_counts_1m c SET n = c.n + delta.n
            FROM delta CROSS JOIN LATERAL (
              SELECT x.ctid AS free FROM ignored_counts_1m x
              WHERE x.workspace_id = delta.workspace_id AND x.minute = delta.minute AND x.connection_id = delta.connection_id
                AND x.source_id = delta.source_id
              LIMIT 1 FOR UPDATE SKIP LOCKED) AS unheld
            WHERE c.ctid = unheld.free
            RETURNING c.workspace_id, c.minute, c.connection_id, c.source_id)
          INSERT INTO ignored_counts_1m
          SELECT * FROM delta
          WHERE NOT EXISTS (SELECT FROM added a WHERE (a.workspace_id, a.minute, a.connection_id, a.source_id)
                                                     = (delta.workspace_id, delta.minute, delta.connection_id, delta.source_id));
        END $fn$;

        -- The triggers: each sums its statement's rows by key (an UPDATE: new rows minus old rows,
        -- keeping only keys whose count changed, so a claim, which sets lease_until, costs a pass
        -- over its rows and no write). Transition tables rule out UPDATE OF column lists and
        -- multi-event triggers, hence one trigger per event.
        CREATE FUNCTION event_counts_1m_apply() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
        DECLARE deltas event_counts_1m[];
        BEGIN
          IF TG_OP = 'INSERT' THEN
            SELECT array_agg(row(workspace_id, minute, connection_id, destination_id, source_id, status, n)::event_counts_1m) INTO deltas
            FROM (SELECT workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch') AS minute, connection_id, destination_id, source_id, status, count(*)::int AS n
                  FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6) AS d;
          ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(row(workspace_id, minute, connection_id, destination_id, source_id, status, n)::event_counts_1m) INTO deltas
            FROM (SELECT workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch') AS minute, connection_id, destination_id, source_id, status, -count(*)::int AS n
                  FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6) AS d;
          ELSE
            SELECT array_agg(row(workspace_id, minute, connection_id, destination_id, source_id, status, n)::event_counts_1m) INTO deltas
            FROM (SELECT workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch') AS minute, connection_id, destination_id, source_id, status, sum(d)::int AS n
                  FROM (SELECT workspace_id, created_at, connection_id, destination_id, source_id, status, -1 AS d FROM old_rows
                        UNION ALL
                        SELECT workspace_id, created_at, connection_id, destination_id, source_id, status, 1 FROM new_rows) AS changed
                  GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(d) <> 0) AS d;
          END IF;
          IF deltas IS NOT NULL THEN
            PERFORM event_counts_1m_add(deltas);
          END IF;
          RETURN NULL;
        END $fn$;

        CREATE FUNCTION request_counts_1m_apply() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
        DECLARE
          deltas request_counts_1m[];
          moved ignored_counts_1m[];
        BEGIN
          IF TG_OP = 'INSERT' THEN
            SELECT array_agg(row(workspace_id, minute, source_id, status, verified, n)::request_counts_1m) INTO deltas
            FROM (SELECT workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch') AS minute, source_id, status, verified, count(*)::int AS n
                  FROM new_rows GROUP BY 1, 2, 3, 4, 5) AS d;
          ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(row(workspace_id, minute, source_id, status, verified, n)::request_counts_1m) INTO deltas
            FROM (SELECT workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch') AS minute, source_id, status, verified, -count(*)::int AS n
                  FROM old_rows GROUP BY 1, 2, 3, 4, 5) AS d;
          ELSE
            -- A replay updates its requests' counters and retry marks: no key changes, nothing written.
            SELECT array_agg(row(workspace_id, minute, source_id, status, verified, n)::request_counts_1m) INTO deltas
            FROM (SELECT workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch') AS minute, source_id, status, verified, sum(d)::int AS n
                  FROM (SELECT workspace_id, created_at, source_id, status, verified, -1 AS d FROM old_rows
                        UNION ALL
                        SELECT workspace_id, created_at, source_id, status, verified, 1 FROM new_rows) AS changed
                  GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0) AS d;
            -- Ignored events count under their request's source: they follow it if it changes.
            SELECT array_agg(row(workspace_id, minute, connection_id, source_id, n)::ignored_counts_1m) INTO moved
            FROM (SELECT i.workspace_id, date_bin('1 minute', i.created_at, TIMESTAMPTZ 'epoch') AS minute, i.connection_id, s.source_id, sum(s.d)::int AS n
                  FROM (SELECT o.id, o.source_id, -1 AS d FROM old_rows o JOIN new_rows n ON n.id = o.id AND n.source_id <> o.source_id
                        UNION ALL
                        SELECT n.id, n.source_id, 1 FROM old_rows o JOIN new_rows n ON n.id = o.id AND n.source_id <> o.source_id) AS s
                  JOIN ignored_events i ON i.request_id = s.id
                  GROUP BY 1, 2, 3, 4 HAVING sum(s.d) <> 0) AS d;
            IF moved IS NOT NULL THEN
              PERFORM ignored_counts_1m_add(moved);
            END IF;
          END IF;
          IF deltas IS NOT NULL THEN
            PERFORM request_counts_1m_add(deltas);
          END IF;
          RETURN NULL;
        END $fn$;

        -- Deleting a request deletes its ignored events by cascade, after the request is gone and
        -- with it the source they count under: they are uncounted here, before, one request at a
        -- time (only deletions pay for it), and the ignored_events trigger skips them.
        CREATE FUNCTION ignored_counts_1m_forget_request() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
        DECLARE deltas ignored_counts_1m[];
        BEGIN
          SELECT array_agg(row(workspace_id, minute, connection_id, OLD.source_id, n)::ignored_counts_1m) INTO deltas
          FROM (SELECT workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch') AS minute, connection_id, -count(*)::int AS n
                FROM ignored_events WHERE request_id = OLD.id GROUP BY 1, 2, 3) AS d;
          IF deltas IS NOT NULL THEN
            PERFORM ignored_counts_1m_add(deltas);
          END IF;
          RETURN OLD;
        END $fn$;

        CREATE FUNCTION ignored_counts_1m_apply() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
        DECLARE deltas ignored_counts_1m[];
        BEGIN
          IF TG_OP = 'INSERT' THEN
            SELECT array_agg(row(workspace_id, minute, connection_id, source_id, n)::ignored_counts_1m) INTO deltas
            FROM (SELECT i.workspace_id, date_bin('1 minute', i.created_at, TIMESTAMPTZ 'epoch') AS minute, i.connection_id, r.source_id, count(*)::int AS n
                  FROM new_rows i JOIN requests r ON r.id = i.request_id GROUP BY 1, 2, 3, 4) AS d;
          ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(row(workspace_id, minute, connection_id, source_id, n)::ignored_counts_1m) INTO deltas
            FROM (SELECT i.workspace_id, date_bin('1 minute', i.created_at, TIMESTAMPTZ 'epoch') AS minute, i.connection_id, r.source_id, -count(*)::int AS n
                  FROM old_rows i JOIN requests r ON r.id = i.request_id GROUP BY 1, 2, 3, 4) AS d;
          ELSE
            SELECT array_agg(row(workspace_id, minute, connection_id, source_id, n)::ignored_counts_1m) INTO deltas
            FROM (SELECT i.workspace_id, date_bin('1 minute', i.created_at, TIMESTAMPTZ 'epoch') AS minute, i.connection_id, r.source_id, sum(i.d)::int AS n
                  FROM (SELECT workspace_id, created_at, connection_id, request_id, -1 AS d FROM old_rows
                        UNION ALL
                        SELECT workspace_id, created_at, connection_id, request_id, 1 FROM new_rows) AS i
                  JOIN requests r ON r.id = i.request_id
                  GROUP BY 1, 2, 3, 4 HAVING sum(i.d) <> 0) AS d;
          END IF;
          IF deltas IS NOT NULL THEN
            PERFORM ignored_counts_1m_add(deltas);
          END IF;
          RETURN NULL;
        END $fn$;

        CREATE TRIGGER event_counts_1m_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_counts_1m_apply();
        CREATE TRIGGER event_counts_1m_update AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_counts_1m_apply();
        CREATE TRIGGER event_counts_1m_delete AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION event_counts_1m_apply();
        CREATE TRIGGER request_counts_1m_insert AFTER INSERT ON requests REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION request_counts_1m_apply();
        CREATE TRIGGER request_counts_1m_update AFTER UPDATE ON requests REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION request_counts_1m_apply();
        CREATE TRIGGER request_counts_1m_delete AFTER DELETE ON requests REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION request_counts_1m_apply();
        CREATE TRIGGER ignored_counts_1m_request_delete BEFORE DELETE ON requests FOR EACH ROW EXECUTE FUNCTION ignored_counts_1m_forget_request();
        CREATE TRIGGER ignored_counts_1m_insert AFTER INSERT ON ignored_events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ignored_counts_1m_apply();
        CREATE TRIGGER ignored_counts_1m_update AFTER UPDATE ON ignored_events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ignored_counts_1m_apply();
        CREATE TRIGGER ignored_counts_1m_delete AFTER DELETE ON ignored_events REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ignored_counts_1m_apply();

        -- The existing logs, counted once. The triggers above already hold their tables' locks, so
        -- no write can slip between this count and the first trigger's.
        INSERT INTO event_counts_1m (workspace_id, minute, connection_id, destination_id, source_id, status, n)
        SELECT workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch'), connection_id, destination_id, source_id, status, count(*)
        FROM events GROUP BY 1, 2, 3, 4, 5, 6;
        INSERT INTO request_counts_1m (workspace_id, minute, source_id, status, verified, n)
        SELECT workspace_id, date_bin('1 minute', created_at, TIMESTAMPTZ 'epoch'), source_id, status, verified, count(*)
        FROM requests GROUP BY 1, 2, 3, 4, 5;
        INSERT INTO ignored_counts_1m (workspace_id, minute, connection_id, source_id, n)
        SELECT i.workspace_id, date_bin('1 minute', i.created_at, TIMESTAMPTZ 'epoch'), i.connection_id, r.source_id, count(*)
        FROM ignored_events i JOIN requests r ON r.id = i.request_id GROUP BY 1, 2, 3, 4;
      `.execute(db);
  },
} satisfies Migration;
