import { type Migration, sql } from 'kysely';

export default {
  async up(db) {
    // chatbots, kb_entries and conversations share the columns every team-owned table has (id,
    // workspace_id, created_at, updated_at): alike by design, as in 001-foundation.ts, not copies to factor.
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
} satisfies Migration;
