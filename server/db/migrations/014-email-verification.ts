import { type Migration, sql } from 'kysely';

export default {
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
} satisfies Migration;
