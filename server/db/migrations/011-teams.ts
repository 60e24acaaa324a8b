import { type Migration, sql } from 'kysely';

export default {
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
} satisfies Migration;
