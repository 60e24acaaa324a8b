import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    // Deliberate copy: sources and destinations begin with the same columns, both being a team's
    // named resources (server/gateway/named-resource.ts); server/db/schema.ts mirrors both tables.
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
} satisfies Migration;
