import { sql } from 'kysely';
import { isoSeconds } from '../core/time.ts';
import { newId } from '../core/ids.ts';
import type { ConversationRow } from '../db/schema.ts';
import { readSettings } from './chatbot-settings.ts';
import { type ChatDeps, transcriptUrl } from './chat-deps.ts';

/** requested_human: a keyword; unanswered: repeated fallbacks; negative_feedback: a thumbs-down. */
export type EscalationReason = 'requested_human' | 'unanswered' | 'negative_feedback';

const PRIORITY: Record<EscalationReason, 'high' | 'normal'> = { requested_human: 'high', unanswered: 'normal', negative_feedback: 'normal' };

/**
 * Hands the conversation to a human: publishes escalation.created, once per conversation whoever
 * calls (the escalated_at claim is atomic). A thumbs-down escalates only if the chatbot's
 * escalation.on_thumbs_down is on. Resolves true when this call escalated.
 */
export async function escalate(deps: ChatDeps, conversation: Pick<ConversationRow, 'id'>, reason: EscalationReason): Promise<boolean> {
  const { db } = deps;
  const bot = await db
    .selectFrom('conversations as c')
    .innerJoin('chatbots as b', 'b.id', 'c.chatbot_id')
    .select(['b.id', 'b.name', 'b.settings', 'c.escalated_at'])
    .where('c.id', '=', conversation.id)
    .executeTakeFirst();
  if (!bot || bot.escalated_at) return false;
  if (reason === 'negative_feedback' && !readSettings(bot.settings).escalation.on_thumbs_down) return false;

  const claimed = await db
    .updateTable('conversations')
    .set({ escalated_at: sql`now()` })
    .where('id', '=', conversation.id)
    .where('escalated_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!claimed) return false;

  const recent = await db
    .selectFrom('chat_messages')
    .select('text')
    .where('conversation_id', '=', claimed.id)
    .where('role', '=', 'visitor')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(3)
    .execute();
  const summary = recent
    .reverse()
    .map((m) => m.text)
    .join(' / ')
    .slice(0, 1000);
  try {
    await deps.publisher.publish(claimed.workspace_id, {
      eventType: 'escalation.created',
      customerId: claimed.workspace_id,
      chatbotId: bot.id,
      conversationId: claimed.id,
      idempotencyKey: `escalation.created:${claimed.id}`,
      data: {
        escalation_id: newId('esc'),
        reason,
        priority: PRIORITY[reason],
        summary,
        chatbot_name: bot.name,
        visitor: { id: claimed.visitor_id, name: claimed.lead.name ?? null, email: claimed.lead.email ?? null, phone: claimed.lead.phone ?? null },
        transcript_url: transcriptUrl(deps, bot.id, claimed.id),
        created_at: isoSeconds(claimed.escalated_at ?? new Date()),
      },
    });
  } catch (err) {
    // Not published: let the next trigger try again (the idempotency key keeps it to one event).
    await db.updateTable('conversations').set({ escalated_at: null }).where('id', '=', claimed.id).execute();
    throw err;
  }
  return true;
}

/** A keyword as a whole word: "agent" matches "an agent, please" but not "reagent" or "agents". */
export function asksForHuman(message: string, keywords: string[]): boolean {
  const text = message.toLowerCase();
  return keywords.some((k) => new RegExp(`(^|[^\\p{L}\\p{N}])${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}\\p{N}])`, 'u').test(text));
}
