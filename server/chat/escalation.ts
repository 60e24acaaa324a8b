import { isoSeconds } from '../core/time.ts';
import { newId } from '../core/ids.ts';
import type { ChatbotSettings } from '../db/schema.ts';
import { type ChatDeps, conversationEvent, transcriptUrl } from './chat-deps.ts';
import { latestVisitorMessages, publishOnce } from './publish-once.ts';

/** requested_human: a keyword; unanswered: repeated fallbacks; negative_feedback: a thumbs-down. */
export type EscalationReason = 'requested_human' | 'unanswered' | 'negative_feedback';

const PRIORITY: Record<EscalationReason, 'high' | 'normal'> = { requested_human: 'high', unanswered: 'normal', negative_feedback: 'normal' };

/** The conversation to escalate, with what escalation.created says of its chatbot. */
export type EscalatedConversation = { id: string; chatbot_id: string; chatbot_name: string; settings: ChatbotSettings };

/**
 * Hands the conversation to a human: publishes escalation.created, once per conversation whoever
 * calls (publishOnce claims escalated_at). A thumbs-down escalates only if the chatbot's
 * escalation.on_thumbs_down is on. Resolves true when this call escalated.
 */
export async function escalate(deps: ChatDeps, conv: EscalatedConversation, reason: EscalationReason): Promise<boolean> {
  if (reason === 'negative_feedback' && !conv.settings.escalation.on_thumbs_down) return false;
  return publishOnce(deps, conv.id, 'escalated_at', latestVisitorMessages(3), (claimed) =>
    conversationEvent('escalation.created', claimed, {
      escalation_id: newId('esc'),
      reason,
      priority: PRIORITY[reason],
      summary: (claimed.extra ?? '').slice(0, 1000),
      chatbot_name: conv.chatbot_name,
      visitor: { id: claimed.visitor_id, name: claimed.lead.name ?? null, email: claimed.lead.email ?? null, phone: claimed.lead.phone ?? null },
      transcript_url: transcriptUrl(deps, conv.chatbot_id, claimed.id),
      created_at: isoSeconds(claimed.claimed_at),
    }),
  );
}

/** A keyword as a whole word: "agent" matches "an agent, please" but not "reagent" or "agents". */
export function asksForHuman(message: string, keywords: string[]): boolean {
  const text = message.toLowerCase();
  return keywords.some((k) => new RegExp(`(^|[^\\p{L}\\p{N}])${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}\\p{N}])`, 'u').test(text));
}
