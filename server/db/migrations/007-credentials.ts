import { type Migration, sql } from 'kysely';

export default {
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
} satisfies Migration;
