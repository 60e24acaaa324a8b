import { type Migration, sql } from 'kysely';

export default {
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
} satisfies Migration;
