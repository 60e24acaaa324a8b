import { type Kysely, type Migration, Migrator, sql } from 'kysely';

const migrations: Record<string, Migration> = {
  '001_foundation': {
    async up(db) {
      await sql`
        CREATE TABLE workspaces (
          id text PRIMARY KEY,
          name text NOT NULL,
          is_demo boolean NOT NULL DEFAULT false,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE users (
          id text PRIMARY KEY,
          email text NOT NULL UNIQUE,
          name text NOT NULL,
          password_hash text,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE memberships (
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (workspace_id, user_id)
        );
        CREATE INDEX memberships_user_idx ON memberships (user_id);
        CREATE TABLE sessions (
          id text PRIMARY KEY,
          token_hash bytea NOT NULL UNIQUE,
          user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          expires_at timestamptz NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE api_keys (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          created_by text REFERENCES users(id) ON DELETE SET NULL,
          name text NOT NULL,
          prefix text NOT NULL,
          key_hash bytea NOT NULL UNIQUE,
          scopes text[] NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_used_at timestamptz
        );
        CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id, created_at);
        CREATE TABLE project_secrets (
          workspace_id text PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
          api_key_enc text NOT NULL,
          api_key_hash bytea NOT NULL UNIQUE,
          api_key_rotated_at timestamptz NOT NULL DEFAULT now(),
          signing_secret_enc text NOT NULL,
          signing_secret_rotated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE sources (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          name text NOT NULL,
          description text,
          type text NOT NULL DEFAULT 'WEBHOOK',
          config jsonb NOT NULL DEFAULT '{}',
          auth_enc text,
          disabled_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (workspace_id, name)
        );
        CREATE TABLE destinations (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          name text NOT NULL,
          description text,
          type text NOT NULL DEFAULT 'HTTP',
          config jsonb NOT NULL DEFAULT '{}',
          auth_enc text,
          disabled_at timestamptz,
          disabled_reason text,
          consecutive_failures integer NOT NULL DEFAULT 0,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (workspace_id, name)
        );
        CREATE TABLE connections (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          name text NOT NULL,
          description text,
          source_id text NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
          destination_id text NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
          rules jsonb NOT NULL DEFAULT '[]',
          disabled_at timestamptz,
          paused_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (workspace_id, source_id, name)
        );
        CREATE INDEX connections_source_idx ON connections (source_id);
        CREATE INDEX connections_destination_idx ON connections (destination_id);
        CREATE TABLE requests (
          id text PRIMARY KEY,
          workspace_id text NOT NULL,
          source_id text NOT NULL,
          status text NOT NULL CHECK (status IN ('accepted', 'rejected')),
          rejection_cause text,
          verified boolean NOT NULL DEFAULT false,
          method text NOT NULL,
          path text NOT NULL,
          query jsonb NOT NULL DEFAULT '{}',
          headers jsonb NOT NULL DEFAULT '{}',
          content_type text,
          body bytea NOT NULL,
          events_count integer NOT NULL DEFAULT 0,
          ignored_count integer NOT NULL DEFAULT 0,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX requests_workspace_idx ON requests (workspace_id, id);
        CREATE INDEX requests_source_idx ON requests (source_id, id);
        CREATE TABLE events (
          id text PRIMARY KEY,
          workspace_id text NOT NULL,
          request_id text NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
          source_id text NOT NULL,
          connection_id text NOT NULL,
          destination_id text NOT NULL,
          lane smallint NOT NULL,
          status text NOT NULL CHECK (status IN ('QUEUED', 'SCHEDULED', 'HOLD', 'SUCCESSFUL', 'FAILED', 'CANCELLED')),
          attempts integer NOT NULL DEFAULT 0,
          next_attempt_at timestamptz,
          lease_until timestamptz,
          pending_trigger text NOT NULL DEFAULT 'initial',
          last_attempt_at timestamptz,
          response_status integer,
          error_code text,
          successful_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX events_due_idx ON events (lane, next_attempt_at) WHERE status IN ('QUEUED', 'SCHEDULED');
        CREATE INDEX events_workspace_idx ON events (workspace_id, id);
        CREATE INDEX events_request_idx ON events (request_id);
        CREATE INDEX events_destination_idx ON events (destination_id, status);
        CREATE INDEX events_connection_idx ON events (connection_id, status);
        CREATE TABLE ignored_events (
          id text PRIMARY KEY,
          workspace_id text NOT NULL,
          request_id text NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
          connection_id text NOT NULL,
          cause text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX ignored_events_request_idx ON ignored_events (request_id);
        CREATE TABLE attempts (
          id text PRIMARY KEY,
          workspace_id text NOT NULL,
          event_id text NOT NULL REFERENCES events(id) ON DELETE CASCADE,
          destination_id text NOT NULL,
          attempt_number integer NOT NULL,
          trigger text NOT NULL,
          status text NOT NULL CHECK (status IN ('SUCCESSFUL', 'FAILED')),
          request_method text NOT NULL,
          request_url text NOT NULL,
          request_headers jsonb NOT NULL,
          response_status integer,
          response_headers jsonb,
          response_body text,
          duration_ms integer NOT NULL,
          error_code text,
          error_message text,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX attempts_event_idx ON attempts (event_id, id);
        CREATE INDEX attempts_workspace_idx ON attempts (workspace_id, id);
      `.execute(db);
    },
  },
  '002_event_catalogue': {
    async up(db) {
      await sql`
        CREATE TABLE event_types (
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          name text NOT NULL,
          description text,
          schema jsonb,
          sample jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (workspace_id, name)
        );
        CREATE TABLE publish_keys (
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          idempotency_key text NOT NULL,
          event_id text NOT NULL,
          request_id text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (workspace_id, idempotency_key)
        );
        CREATE INDEX publish_keys_created_idx ON publish_keys (created_at);
      `.execute(db);
    },
  },
  '003_connectors': {
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
  },
  '004_flows': {
    async up(db) {
      await sql`
        -- The picture the flow editor draws; its destinations are ordinary webhooks (each node keeps its webhookId).
        CREATE TABLE flows (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          name text NOT NULL,
          graph jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX flows_workspace_idx ON flows (workspace_id, id);
      `.execute(db);
    },
  },
  '005_rules': {
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
  },
  '006_bulk_operations': {
    async up(db) {
      await sql`
        CREATE TABLE bulk_operations (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          kind text NOT NULL CHECK (kind IN ('events', 'requests')),
          state text NOT NULL CHECK (state IN ('planned', 'running', 'completed', 'cancelled', 'failed')),
          query jsonb NOT NULL,
          dry_run boolean NOT NULL DEFAULT false,
          estimated_count integer NOT NULL,
          total integer NOT NULL,
          processed_count integer NOT NULL DEFAULT 0,
          skipped_count integer NOT NULL DEFAULT 0,
          cursor text,
          sample jsonb,
          error text,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          completed_at timestamptz
        );
        CREATE INDEX bulk_operations_workspace_idx ON bulk_operations (workspace_id, kind, id);
        CREATE INDEX bulk_operations_ongoing_idx ON bulk_operations (updated_at) WHERE state IN ('planned', 'running');
        ALTER TABLE events ADD COLUMN batch_operation_id text;
        ALTER TABLE requests ADD COLUMN batch_operation_id text;
        ALTER TABLE requests ADD COLUMN retry_kind text CHECK (retry_kind IN ('single', 'bulk'));
        -- The logs' filters: status (a bulk retry of FAILED walks this in id order), time ranges
        -- (counts of the last hour), and the events a bulk operation touched.
        CREATE INDEX events_workspace_status_idx ON events (workspace_id, status, id);
        CREATE INDEX events_workspace_created_idx ON events (workspace_id, created_at);
        CREATE INDEX requests_workspace_created_idx ON requests (workspace_id, created_at);
        CREATE INDEX events_batch_operation_idx ON events (batch_operation_id, id) WHERE batch_operation_id IS NOT NULL;
        CREATE INDEX requests_batch_operation_idx ON requests (batch_operation_id, id) WHERE batch_operation_id IS NOT NULL;
        -- A running bulk retry counts its events that are due but not yet claimed, to pace itself.
        CREATE INDEX events_bulk_due_idx ON events (batch_operation_id, next_attempt_at)
          WHERE batch_operation_id IS NOT NULL AND status IN ('QUEUED', 'SCHEDULED');
      `.execute(db);
    },
  },
  '007_credentials': {
    async up(db) {
      await sql`
        -- A workspace's saved vendor credentials (a Google service account, CRM tokens), sealed like
        -- destination credentials; destinations that use one keep its id in config.credential_id.
        CREATE TABLE credentials (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          kind text NOT NULL CHECK (kind IN ('google-service-account', 'hubspot', 'pipedrive')),
          name text NOT NULL,
          hint text NOT NULL,
          secret_enc text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX credentials_workspace_idx ON credentials (workspace_id, kind, id);
        CREATE INDEX destinations_credential_idx ON destinations (workspace_id, (config->>'credential_id')) WHERE config ? 'credential_id';
      `.execute(db);
    },
  },
  '008_flow_stats': {
    async up(db) {
      await sql`
        -- A flow's counts (GET /flows/:id/stats) group ignored events by connection over the last
        -- hours; without this they were a sequential scan. Events need nothing new: the planner
        -- combines events_connection_idx with events_workspace_created_idx.
        CREATE INDEX ignored_events_connection_created_idx ON ignored_events (connection_id, created_at);
      `.execute(db);
    },
  },
  '009_chat': {
    async up(db) {
      await sql`
        -- Chatbots answer visitors from a knowledge base (issue 5). kb_version moves on every entry
        -- change so each API process knows when its cached search index is stale.
        CREATE TABLE chatbots (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          name text NOT NULL,
          welcome_message text NOT NULL DEFAULT '',
          public_key text NOT NULL UNIQUE,
          settings jsonb NOT NULL,
          kb_version integer NOT NULL DEFAULT 0,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX chatbots_workspace_idx ON chatbots (workspace_id, id);
        CREATE TABLE kb_entries (
          id text PRIMARY KEY,
          chatbot_id text NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          question text NOT NULL,
          answer text NOT NULL,
          tags text[] NOT NULL DEFAULT '{}',
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX kb_entries_chatbot_idx ON kb_entries (chatbot_id, id);
        CREATE TABLE conversations (
          id text PRIMARY KEY,
          chatbot_id text NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          visitor_id text NOT NULL,
          started_at timestamptz NOT NULL DEFAULT now(),
          last_message_at timestamptz NOT NULL DEFAULT now(),
          ended_at timestamptz,
          escalated_at timestamptz,
          lead jsonb NOT NULL DEFAULT '{}',
          lead_captured_at timestamptz,
          fallbacks integer NOT NULL DEFAULT 0,
          -- Fallbacks since the last answered question: escalation counts consecutive ones.
          fallback_streak integer NOT NULL DEFAULT 0,
          visitor_messages integer NOT NULL DEFAULT 0
        );
        CREATE INDEX conversations_chatbot_idx ON conversations (chatbot_id, id);
        -- The inactivity job looks for open conversations by their last message.
        CREATE INDEX conversations_open_idx ON conversations (last_message_at) WHERE ended_at IS NULL;
        CREATE INDEX conversations_leads_idx ON conversations (chatbot_id, lead_captured_at) WHERE lead_captured_at IS NOT NULL;
        CREATE TABLE chat_messages (
          id text PRIMARY KEY,
          conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          role text NOT NULL CHECK (role IN ('visitor', 'bot')),
          text text NOT NULL,
          entry_ids text[] NOT NULL DEFAULT '{}',
          query text,
          fallback boolean NOT NULL DEFAULT false,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX chat_messages_conversation_idx ON chat_messages (conversation_id, created_at, id);
        CREATE TABLE message_ratings (
          message_id text NOT NULL REFERENCES chat_messages(id) ON DELETE CASCADE,
          visitor_id text NOT NULL,
          conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          rating text NOT NULL CHECK (rating IN ('up', 'down')),
          comment text,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (message_id, visitor_id)
        );
        CREATE INDEX message_ratings_conversation_idx ON message_ratings (conversation_id);
        -- Fixed-window counters of the public chat's rate limits, shared by every API process.
        CREATE TABLE chat_rate_counters (
          key text NOT NULL,
          window_start timestamptz NOT NULL,
          count integer NOT NULL DEFAULT 0,
          PRIMARY KEY (key, window_start)
        );
        CREATE INDEX chat_rate_counters_window_idx ON chat_rate_counters (window_start);
      `.execute(db);
    },
  },
  '010_transformations': {
    async up(db) {
      await sql`
        -- User JavaScript run on a connection's requests before delivery (issue 6). The variables
        -- often hold API keys, so they are sealed like other secrets (env_enc); a deleted one keeps
        -- its row so that executions and old rules still name it, and frees its name.
        CREATE TABLE transformations (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          name text NOT NULL,
          code text NOT NULL,
          env_enc text NOT NULL,
          code_hash text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          deleted_at timestamptz
        );
        CREATE UNIQUE INDEX transformations_name_idx ON transformations (workspace_id, name) WHERE deleted_at IS NULL;
        CREATE INDEX transformations_workspace_idx ON transformations (workspace_id, created_at, id) WHERE deleted_at IS NULL;
        -- One row per run (deliveries and API runs of a saved transformation), newest first per
        -- transformation; pruned by age and count by the housekeeping job.
        CREATE TABLE transformation_executions (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          transformation_id text NOT NULL REFERENCES transformations(id) ON DELETE CASCADE,
          event_id text,
          request_id text,
          connection_id text,
          status text NOT NULL CHECK (status IN ('ok', 'failed')),
          error_code text,
          error_message text,
          logs jsonb NOT NULL DEFAULT '[]',
          original jsonb,
          transformed jsonb,
          duration_ms integer NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX transformation_executions_list_idx ON transformation_executions (transformation_id, created_at DESC, id DESC);
        CREATE INDEX transformation_executions_event_idx ON transformation_executions (transformation_id, event_id) WHERE event_id IS NOT NULL;
        CREATE INDEX transformation_executions_created_idx ON transformation_executions (created_at);
      `.execute(db);
    },
  },
  '011_teams': {
    async up(db) {
      await sql`
        -- Google sign-in: the account's stable Google id ("sub"; an e-mail address can change hands).
        ALTER TABLE users ADD COLUMN google_sub text UNIQUE, ADD COLUMN picture_url text;
        -- One-time links that add someone to a team; only the token's hash is kept.
        CREATE TABLE team_invites (
          id text PRIMARY KEY,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          email text NOT NULL,
          role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
          token_hash bytea NOT NULL UNIQUE,
          invited_by text REFERENCES users(id) ON DELETE SET NULL,
          expires_at timestamptz NOT NULL,
          accepted_at timestamptz,
          accepted_by text REFERENCES users(id) ON DELETE SET NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX team_invites_workspace_idx ON team_invites (workspace_id, created_at);
      `.execute(db);
    },
  },
  '012_mock_api': {
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
  },
  '013_metrics_rollup': {
    async up(db) {
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
  },
  '014_email_verification': {
    async up(db) {
      await sql`
        -- When the owner of the address proved it (mail link, password reset by mail or Google).
        -- NULL: whoever signed up typed the address; a verified Google sign-in may claim the account.
        ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
        UPDATE users SET email_verified_at = updated_at WHERE google_sub IS NOT NULL;
        -- Single-use links sent by mail; only the token's hash is kept, and the address it went to,
        -- so a link stops working if the account's address is no longer that one.
        CREATE TABLE email_tokens (
          id text PRIMARY KEY,
          user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          purpose text NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
          email text NOT NULL,
          token_hash bytea NOT NULL UNIQUE,
          expires_at timestamptz NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose, created_at);
      `.execute(db);
    },
  },
  '015_poison_events': {
    async up(db) {
      await sql`
        -- Claims since the last recorded outcome. A delivery that kills or stalls its worker never
        -- records one, so the count climbs with every restart; at POISON_CLAIMS the event is
        -- quarantined instead of claimed again (delivery-engine.ts). Not indexed: claims stay HOT.
        ALTER TABLE events ADD COLUMN claims smallint NOT NULL DEFAULT 0;
      `.execute(db);
    },
  },
  '016_destination_isolation': {
    async up(db) {
      await sql`
        -- At most this many deliveries of the destination in flight at once (null: the hub's default).
        ALTER TABLE destinations ADD COLUMN max_concurrency integer;
        -- The circuit breaker: consecutive timeouts or connection failures; while circuit_opened_at is
        -- set the destination's events wait unclaimed until circuit_probe_at, when one probe goes.
        ALTER TABLE destinations ADD COLUMN circuit_failures integer NOT NULL DEFAULT 0;
        ALTER TABLE destinations ADD COLUMN circuit_opened_at timestamptz;
        ALTER TABLE destinations ADD COLUMN circuit_probe_at timestamptz;
        ALTER TABLE destinations ADD COLUMN circuit_reason text;
        -- The claim walks a lane destination by destination (fair shares), then oldest-first within each.
        CREATE INDEX events_due_by_destination_idx ON events (lane, destination_id, next_attempt_at) WHERE status IN ('QUEUED', 'SCHEDULED');
        DROP INDEX events_due_idx;
      `.execute(db);
    },
  },
  '017_log_summaries': {
    async up(db) {
      await sql`
        -- What the logs' rows show without reading a body: a one-line summary of the payload from
        -- well-known fields (payload-summary.ts) and its event type, both computed once at ingest.
        -- Requests stored before stay null (the row then shows only its ids).
        ALTER TABLE requests ADD COLUMN summary text;
        ALTER TABLE requests ADD COLUMN event_type text;
      `.execute(db);
    },
  },
  '018_dashboard_metrics': {
    async up(db) {
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
  },
  '019_google_oauth': {
    async up(db) {
      await sql`
        -- A Google account a team signed in with for Google Sheets: its refresh token, sealed, in secret_enc.
        ALTER TABLE credentials DROP CONSTRAINT credentials_kind_check;
        ALTER TABLE credentials ADD CONSTRAINT credentials_kind_check CHECK (kind IN ('google-service-account', 'google-oauth', 'hubspot', 'pipedrive'));
        -- One "Sign in with Google" under way: used once (deleted when Google sends the browser back),
        -- good for the session that started it, in the browser that started it (browser_hash: its cookie).
        CREATE TABLE oauth_states (
          state_hash bytea PRIMARY KEY,
          session_id text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
          workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          browser_hash bytea NOT NULL,
          code_verifier_enc text NOT NULL,
          expires_at timestamptz NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX oauth_states_expiry_idx ON oauth_states (expires_at);
      `.execute(db);
    },
  },
  '020_ignored_step': {
    async up(db) {
      await sql`
        -- The flow step (node id) whose rule turned the request away: a filter rule or a deduplicate
        -- rule a flow wrote carries its node's id (rules.ts, \`step\`). NULL: a rule made by hand, a
        -- published event of a type the connection does not take, or an older row.
        ALTER TABLE ignored_events ADD COLUMN step text;
      `.execute(db);
    },
  },
  '021_delivery_write_costs': {
    async up(db) {
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
  },
  '022_team_retention': {
    async up(db) {
      await sql`
        -- Days a team keeps its log, fewer than the hub's WIREHUB_RETENTION_DAYS; NULL: the hub's.
        -- The upper bound is the hub's setting, checked by the API (it can change between starts).
        ALTER TABLE workspaces ADD COLUMN retention_days integer CHECK (retention_days >= 1);
      `.execute(db);
    },
  },
  '023_pruning_keeps_counts': {
    async up(db) {
      await sql`
        -- Retention deletes the log past its days (prune-log.job.ts), and the charts must not lose
        -- them: the per-minute counts are the aggregate kept after the rows are gone (longer, see
        -- prune-log.job.ts). So the counters' DELETE triggers skip the pruner's deletes, which it
        -- marks with the transaction-local setting wirehub.pruning = on. Every other delete (an
        -- event a transformation filtered out becomes an ignored one) is counted as before. The
        -- INSERT and UPDATE triggers, the hot path, are untouched. (attempt_counts_1m counts only
        -- inserts: pruned attempts stay counted there too, whatever migration 018 foresaw.)
        DROP TRIGGER event_counts_1m_delete ON events;
        CREATE TRIGGER event_counts_1m_delete AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
          WHEN (current_setting('wirehub.pruning', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION event_counts_1m_apply();
        DROP TRIGGER request_counts_1m_delete ON requests;
        CREATE TRIGGER request_counts_1m_delete AFTER DELETE ON requests REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
          WHEN (current_setting('wirehub.pruning', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION request_counts_1m_apply();
        DROP TRIGGER ignored_counts_1m_request_delete ON requests;
        CREATE TRIGGER ignored_counts_1m_request_delete BEFORE DELETE ON requests FOR EACH ROW
          WHEN (current_setting('wirehub.pruning', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION ignored_counts_1m_forget_request();
        DROP TRIGGER ignored_counts_1m_delete ON ignored_events;
        CREATE TRIGGER ignored_counts_1m_delete AFTER DELETE ON ignored_events REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
          WHEN (current_setting('wirehub.pruning', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION ignored_counts_1m_apply();
      `.execute(db);
    },
  },
};

export async function migrateToLatest(db: Kysely<any>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'wirehub_migrations',
    migrationLockTableName: 'wirehub_migrations_lock',
    // Without it Kysely looks for its tables in every schema and may find another app's.
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
