import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    // Deliberate copy: attempt_counts_1m_apply as 018-dashboard-metrics.ts made it, but for its join
    // to events; a function is replaced whole, and 018's SQL never changes.
    await sql`
        -- The attempt counters' trigger joined each statement's attempts to events as a hash join
        -- over a sequential scan of events (a transition table has no statistics, and neither has
        -- events until it is analysed): a batch of 50 attempts read every event row, so recording
        -- an outcome grew with the log. OFFSET 0 keeps the subquery from being pulled up into a
        -- join, which leaves one primary-key lookup per attempt as the only plan.
        CREATE OR REPLACE FUNCTION attempt_counts_1m_apply() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
        DECLARE deltas attempt_counts_1m[];
        BEGIN
          SELECT array_agg(row(workspace_id, minute, connection_id, destination_id, status, latency_bucket, n)::attempt_counts_1m) INTO deltas
          FROM (SELECT a.workspace_id, date_bin('1 minute', a.created_at, TIMESTAMPTZ 'epoch') AS minute, e.connection_id, a.destination_id, a.status,
                       attempt_latency_bucket(a.status, a.trigger, extract(epoch FROM a.created_at - e.created_at) * 1000 + a.duration_ms) AS latency_bucket,
                       count(*)::int AS n
                FROM new_rows a CROSS JOIN LATERAL (SELECT ev.connection_id, ev.created_at FROM events ev WHERE ev.id = a.event_id OFFSET 0) e
                GROUP BY 1, 2, 3, 4, 5, 6) AS d;
          IF deltas IS NOT NULL THEN
            PERFORM attempt_counts_1m_add(deltas);
          END IF;
          RETURN NULL;
        END $fn$;
        -- A claim sets only unindexed columns (lease_until, claims): with room left on the page it is
        -- a HOT update, which writes no index entry. Packed pages (fillfactor 100) made every claim
        -- write a new entry into each of events' indexes. Pages written from now on keep the room.
        ALTER TABLE events SET (fillfactor = 70);
        -- The counters' add functions were planned afresh on every call: their one statement takes
        -- the deltas array as a parameter, and a custom plan looked cheaper to the plan cache than
        -- the generic one, so it never settled on a plan. Replanning was most of a call's cost
        -- (pgbench: 265 us a call, 90 us with the generic plan), paid on every batch of requests,
        -- claims and outcomes.
        ALTER FUNCTION event_counts_1m_add(event_counts_1m[]) SET plan_cache_mode = force_generic_plan;
        ALTER FUNCTION request_counts_1m_add(request_counts_1m[]) SET plan_cache_mode = force_generic_plan;
        ALTER FUNCTION ignored_counts_1m_add(ignored_counts_1m[]) SET plan_cache_mode = force_generic_plan;
        ALTER FUNCTION attempt_counts_1m_add(attempt_counts_1m[]) SET plan_cache_mode = force_generic_plan;
        -- The delivery claim (DeliveryEngine.claim says what it does). Sent as a query it was planned
        -- on every call, and planning its dozen subqueries over events' indexes cost more than
        -- running it: 2.2 ms of PostgreSQL CPU a claim, about 105 us per delivered event. In a
        -- function with a generic plan it is planned once per connection. A plan made once must
        -- stay good as events grows from nothing to millions of rows without statistics (nothing
        -- may have analysed it), so the function allows only index scans and nested loops: a plan
        -- chosen while the table was empty scanned the whole due index on every claim later.
        -- A change to the claim is a CREATE OR REPLACE FUNCTION in a new migration.
        CREATE FUNCTION claim_due_events(p_lane int, p_limit int, p_in_flight int, p_cursor text, p_walk int,
            p_destinations text[], p_destination_loads int[], p_destination_shares int[], p_destination_share int,
            p_teams text[], p_team_loads int[], p_team_share int)
          RETURNS TABLE (id text, workspace_id text, request_id text, connection_id text, destination_id text, lane smallint,
            attempts integer, pending_trigger text, claims smallint, body bytea, content_type text, rules jsonb, paused_at timestamptz,
            connection_disabled_at timestamptz, connection_updated_at timestamptz, source_type text, request json, transformation_version text,
            destination_type text, destination_config jsonb, destination_auth_enc text, destination_disabled_at timestamptz,
            consecutive_failures integer, circuit_failures integer, signing_secret_enc text, walk_end text)
          LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan
            SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $fn$
        #variable_conflict use_column
        BEGIN
          RETURN QUERY
          WITH RECURSIVE after_cursor AS (
          (SELECT destination_id AS d FROM events WHERE lane = p_lane AND status IN ('QUEUED', 'SCHEDULED') AND destination_id > p_cursor
           ORDER BY destination_id LIMIT 1)
          UNION ALL
          SELECT (SELECT destination_id FROM events WHERE lane = p_lane AND status IN ('QUEUED', 'SCHEDULED') AND destination_id > w.d
                  ORDER BY destination_id LIMIT 1)
          FROM after_cursor w WHERE w.d IS NOT NULL
        ), up_to_cursor AS (
          (SELECT destination_id AS d FROM events WHERE lane = p_lane AND status IN ('QUEUED', 'SCHEDULED') AND destination_id <= p_cursor
           ORDER BY destination_id LIMIT 1)
          UNION ALL
          SELECT (SELECT destination_id FROM events WHERE lane = p_lane AND status IN ('QUEUED', 'SCHEDULED') AND destination_id > w.d
                    AND destination_id <= p_cursor ORDER BY destination_id LIMIT 1)
          FROM up_to_cursor w WHERE w.d IS NOT NULL
        ), waiting AS (
          SELECT d, row_number() OVER () AS walk FROM (
            SELECT d FROM (SELECT d FROM after_cursor WHERE d IS NOT NULL UNION ALL SELECT d FROM up_to_cursor WHERE d IS NOT NULL) w
            LIMIT p_walk
          ) walked
        ), room AS (
          SELECT w.d, w.walk, dst.workspace_id,
            CASE WHEN dst.circuit_opened_at IS NULL THEN LEAST(COALESCE(dst.max_concurrency, 1000), COALESCE(busy.share, p_destination_share), p_limit + p_in_flight)
                 WHEN dst.circuit_probe_at <= now() THEN 1 ELSE 0 END - COALESCE(busy.n, 0) AS n
          FROM waiting w JOIN destinations dst ON dst.id = w.d
          LEFT JOIN unnest(p_destinations, p_destination_loads, p_destination_shares) AS busy(id, n, share) ON busy.id = w.d
        ), candidates AS (
          SELECT c.id, c.bulk, c.next_attempt_at, r.d, r.walk, r.workspace_id,
            row_number() OVER (PARTITION BY r.d ORDER BY c.bulk, c.next_attempt_at) AS dn
          FROM room r CROSS JOIN LATERAL (
            SELECT * FROM (
              (SELECT e.id, false AS bulk, e.next_attempt_at FROM events e
               WHERE e.lane = p_lane AND e.destination_id = r.d AND e.status IN ('QUEUED', 'SCHEDULED') AND e.next_attempt_at <= now()
                 AND (e.lease_until IS NULL OR e.lease_until < now()) AND e.pending_trigger <> 'bulk'
               ORDER BY e.next_attempt_at LIMIT r.n)
              UNION ALL
              (SELECT e.id, true AS bulk, e.next_attempt_at FROM events e
               WHERE e.lane = p_lane AND e.destination_id = r.d AND e.status IN ('QUEUED', 'SCHEDULED') AND e.next_attempt_at <= now()
                 AND (e.lease_until IS NULL OR e.lease_until < now()) AND e.pending_trigger = 'bulk'
               ORDER BY e.next_attempt_at LIMIT r.n)
            ) both_kinds LIMIT r.n
          ) c
          WHERE r.n > 0
        ), ranked AS (
          SELECT c.id, c.bulk, c.dn, c.walk, c.workspace_id,
            row_number() OVER (PARTITION BY c.workspace_id ORDER BY c.bulk, c.dn, c.walk) AS tn
          FROM candidates c
        ), picked AS (
          SELECT r.id FROM ranked r
          LEFT JOIN unnest(p_teams, p_team_loads) AS busy(id, n) ON busy.id = r.workspace_id
          WHERE r.tn + COALESCE(busy.n, 0) <= p_team_share
          ORDER BY r.bulk, r.tn, r.dn, r.walk
          LIMIT p_limit
        ), due AS (
          -- By primary key, one probe per picked id: the CASE keeps the partial due index (whose
          -- predicate a plain status IN would match) from being scanned whole instead.
          SELECT e.id FROM events e
          WHERE e.id = ANY (ARRAY(SELECT id FROM picked))
            AND CASE WHEN e.status IN ('QUEUED', 'SCHEDULED') THEN true END AND (e.lease_until IS NULL OR e.lease_until < now())
          FOR UPDATE OF e SKIP LOCKED
        ), claimed AS (
        UPDATE events e
        SET lease_until = now() + make_interval(secs => (COALESCE((d.config->>'timeout_ms')::int, 10000) + 15000) / 1000.0),
          claims = e.claims + 1
        FROM due, requests r, connections c, destinations d, sources s
        WHERE e.id = due.id AND r.id = e.request_id AND c.id = e.connection_id AND d.id = e.destination_id AND s.id = e.source_id
        RETURNING e.id, e.workspace_id, e.request_id, e.connection_id, e.destination_id, e.lane, e.attempts, e.pending_trigger, e.claims,
          r.body, r.content_type, c.rules, c.paused_at, c.disabled_at AS connection_disabled_at, c.updated_at AS connection_updated_at,
          s.type AS source_type,
          CASE WHEN s.type <> 'APPLICATION' AND (c.rules @> '[{"type":"transform"}]' OR c.rules @> '[{"type":"transformation"}]')
            THEN json_build_object('headers', r.headers, 'query', r.query, 'path', r.path) END AS request,
          CASE WHEN c.rules @> '[{"type":"transformation"}]' THEN (SELECT t.updated_at::text FROM transformations t
            WHERE t.id = jsonb_path_query_first(c.rules, '$[*] ? (@.type == "transformation").transformation_id') #>> '{}') END AS transformation_version,
          d.type AS destination_type, d.config AS destination_config, d.auth_enc AS destination_auth_enc,
          d.disabled_at AS destination_disabled_at, d.consecutive_failures, d.circuit_failures,
          (SELECT signing_secret_enc FROM project_secrets ps WHERE ps.workspace_id = e.workspace_id) AS signing_secret_enc
        )
        SELECT claimed.*, w.walk_end FROM (SELECT d AS walk_end FROM waiting ORDER BY walk DESC LIMIT 1) w LEFT JOIN claimed ON true;
        END $fn$;
      `.execute(db);
  },
} satisfies Migration;
