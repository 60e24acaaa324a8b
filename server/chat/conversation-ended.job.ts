import type { Agenda } from 'agenda';
import { sql } from 'kysely';
import { isoSeconds } from '../core/time.ts';
import type { ConversationRow } from '../db/schema.ts';
import type { ChatDeps } from './chat-deps.ts';
import { conversationEvent, transcriptUrl } from './chat-deps.ts';
import { purgeRateCounters } from './rate-limit.ts';

export const CONVERSATIONS_ENDED_JOB = 'chat-conversations-ended';
const BATCH = 200;

function outcome(c: ConversationRow, answered: number): string {
  if (c.lead_captured_at) return 'lead_captured';
  if (c.escalated_at) return 'escalated';
  return answered > 0 ? 'resolved' : 'abandoned';
}

/**
 * Ends conversations idle for config.chatInactivityMs and publishes conversation.ended for each.
 * Rows are claimed with SKIP LOCKED and ended_at is set in the claim, so two workers never end one
 * conversation twice; a publish that fails reopens it for the next sweep.
 */
export async function endIdleConversations(deps: ChatDeps): Promise<{ claimed: number; failed: number }> {
  const { db } = deps;
  const idleSeconds = deps.config.chatInactivityMs / 1000;
  // What each event says of its chatbot and messages is read by the claim itself, not per row.
  const ended = await sql<ConversationRow & { chatbot_name: string; message_count: number; answered: number }>`
    UPDATE conversations c SET ended_at = now()
    FROM chatbots b
    WHERE b.id = c.chatbot_id
      AND c.id IN (SELECT o.id FROM conversations o
                   WHERE o.ended_at IS NULL AND o.last_message_at < now() - make_interval(secs => ${idleSeconds})
                   ORDER BY o.last_message_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
    RETURNING c.*, b.name AS chatbot_name,
      (SELECT count(*) FROM chat_messages m WHERE m.conversation_id = c.id)::int AS message_count,
      (SELECT count(*) FROM chat_messages m
       WHERE m.conversation_id = c.id AND m.role = 'bot' AND NOT m.fallback AND cardinality(m.entry_ids) > 0)::int AS answered`.execute(db);
  let failed = 0;
  for (const c of ended.rows) {
    try {
      const endedAt = new Date(c.ended_at ?? Date.now());
      const startedAt = new Date(c.started_at);
      await deps.publisher.publish(
        c.workspace_id,
        conversationEvent('conversation.ended', c, {
          channel: 'web',
          chatbot_name: c.chatbot_name,
          started_at: isoSeconds(startedAt),
          ended_at: isoSeconds(endedAt),
          duration_seconds: Math.max(0, Math.round((endedAt.getTime() - startedAt.getTime()) / 1000)),
          message_count: c.message_count,
          ended_by: 'timeout',
          outcome: outcome(c, c.answered),
          lead_captured: !!c.lead_captured_at,
          escalated: !!c.escalated_at,
          transcript_url: transcriptUrl(deps, c.chatbot_id, c.id),
        }),
      );
    } catch (err) {
      failed++;
      deps.log.warn({ err: (err as Error).message, conversation: c.id }, 'could not publish conversation.ended; retrying on the next sweep');
      await db.updateTable('conversations').set({ ended_at: null }).where('id', '=', c.id).execute();
    }
  }
  return { claimed: ended.rows.length, failed };
}

/** The sweep runs a few times per inactivity period (at most every minute, at least every second). */
export async function scheduleChatJobs(deps: ChatDeps, agenda: Agenda): Promise<void> {
  agenda.define(
    CONVERSATIONS_ENDED_JOB,
    async () => {
      for (;;) {
        const { claimed, failed } = await endIdleConversations(deps);
        if (claimed < BATCH || failed > 0) break;
      }
      await purgeRateCounters(deps.db);
    },
    { concurrency: 1, lockLifetime: 5 * 60_000 },
  );
  const everySeconds = Math.min(60, Math.max(1, Math.round(deps.config.chatInactivityMs / 4000)));
  await agenda.every(`${everySeconds} seconds`, CONVERSATIONS_ENDED_JOB);
}
