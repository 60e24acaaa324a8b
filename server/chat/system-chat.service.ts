import { sql } from 'kysely';
import { z } from 'zod';
import { notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { isoSeconds } from '../core/time.ts';
import type { ChatbotRow, ChatbotSettings, ConversationLead, ConversationRow, LeadField } from '../db/schema.ts';
import { readSettings } from './chatbot-settings.ts';
import { type ChatDeps, conversationEvent } from './chat-deps.ts';
import { asksForHuman, escalate, type EscalationReason } from './escalation.ts';
import {
  ASK,
  detectIntent,
  extractLead,
  leadComplete,
  missingFields,
  phoneRegion,
  unreadablePhone,
  unreadablePhoneReply,
  withoutContactDetails,
} from './leads.ts';
import { llmReply } from './llm.ts';
import { firstVisitorMessage, publishOnce } from './publish-once.ts';
import { rankEntries, type RankedEntry } from './retrieval.ts';

export const MAX_MESSAGE_CHARS = 4000;

export const SystemChatIn = z
  .object({
    chatbot_key: z.string().min(1).max(100),
    visitor_id: z.string().trim().min(1).max(255),
    conversation_id: z.string().max(64).nullish(),
    message: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
    /** Where the widget is shown; passed on in conversation.started. */
    page_url: z.url().max(2000).optional(),
    /** The visitor's browser language (navigator.language, e.g. en-US): the country of phone numbers typed without +code when the chatbot sets none. */
    locale: z
      .string()
      .trim()
      .max(35)
      .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, 'must be a language tag such as en-US')
      .optional(),
  })
  .strict();
export type SystemChatInT = z.output<typeof SystemChatIn>;

export type LeadOut = { name?: string; email?: string; phone?: string; complete: boolean; asking?: LeadField };
export type SystemChatOut = {
  conversation_id: string;
  message_id: string;
  reply: string;
  sources: { id: string; question: string; score: number }[];
  lead: LeadOut;
  escalated: boolean;
};

/** How many entries an LLM reply may draw on. */
const LLM_CONTEXT_ENTRIES = 3;

const FALLBACK = 'I\'m sorry, I don\'t have an answer to that yet. I can put you in touch with a person from the team — just say "human".';
const HANDOVER = "I'm handing this conversation to a person from the team; they'll get back to you as soon as they can.";

function leadOut(settings: ChatbotSettings, lead: ConversationLead, asking: LeadField | undefined): LeadOut {
  return {
    ...(lead.name ? { name: lead.name } : {}),
    ...(lead.email ? { email: lead.email } : {}),
    ...(lead.phone ? { phone: lead.phone } : {}),
    complete: leadComplete(settings, lead),
    ...(asking ? { asking } : {}),
  };
}

/** The field the bot asked for in its last reply, read back from that reply ("couldn't read that phone number" asks for it again). */
function askedIn(lastReply: string | null | undefined): LeadField | undefined {
  if (!lastReply) return undefined;
  if (/(^|\n)I couldn't read that phone number[^\n]*$/.test(lastReply)) return 'phone';
  return (Object.keys(ASK) as LeadField[]).find((f) => lastReply.endsWith(ASK[f]));
}

/**
 * The visitor's open conversation, or a new one (announced with conversation.started). An ended
 * conversation is not reopened. An open one comes with the field the bot last asked for, read in
 * the same round trip.
 */
async function openConversation(deps: ChatDeps, bot: ChatbotRow, input: SystemChatInT): Promise<{ conv: ConversationRow; isNew: boolean; asked?: LeadField }> {
  if (input.conversation_id) {
    const found = await deps.db
      .selectFrom('conversations')
      .selectAll()
      .select((eb) =>
        eb
          .selectFrom('chat_messages as m')
          .select('m.text')
          .whereRef('m.conversation_id', '=', 'conversations.id')
          .where('m.role', '=', 'bot')
          .orderBy('m.created_at', 'desc')
          .orderBy('m.id', 'desc')
          .limit(1)
          .as('last_reply'),
      )
      .where('id', '=', input.conversation_id)
      .where('chatbot_id', '=', bot.id)
      .where('visitor_id', '=', input.visitor_id)
      .executeTakeFirst();
    if (!found) throw notFound('Conversation', input.conversation_id);
    const { last_reply, ...conv } = found;
    if (!conv.ended_at) return { conv, isNew: false, asked: askedIn(last_reply) };
  }
  const conv = await deps.db
    .insertInto('conversations')
    .values({ id: newId('conv'), chatbot_id: bot.id, workspace_id: bot.workspace_id, visitor_id: input.visitor_id, lead: JSON.stringify({}) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { conv, isNew: true };
}

/**
 * One visitor message → one bot reply. Retrieval and the optional LLM run before any write that
 * matters, and no transaction is held across them; the once-per-conversation events are claimed
 * by conditional updates (escalated_at, lead_captured_at), so concurrent messages publish once.
 */
export async function handleVisitorMessage(deps: ChatDeps, bot: ChatbotRow, input: SystemChatInT): Promise<SystemChatOut> {
  const { db } = deps;
  const settings = readSettings(bot.settings);
  const { conv, isNew, asked } = await openConversation(deps, bot, input);
  if (isNew) {
    await deps.publisher.publish(
      bot.workspace_id,
      conversationEvent('conversation.started', conv, {
        channel: 'web',
        chatbot_name: bot.name,
        visitor: { id: input.visitor_id },
        first_message: input.message,
        ...(input.page_url ? { page_url: input.page_url } : {}),
        started_at: isoSeconds(conv.started_at),
      }),
    );
  }

  const region = phoneRegion(settings, input.locale);
  const found = extractLead(input.message, region, asked);
  const learned = (Object.keys(found) as LeadField[]).filter((f) => !conv.lead[f]);
  // A number typed the local way with no country known, or mistyped: say so, rather than "no answer".
  const phoneUnread = settings.lead_capture.fields.includes('phone') && !found.phone && !conv.lead.phone && unreadablePhone(input.message, asked);
  const wantsHuman = asksForHuman(input.message, settings.escalation.keywords);
  // Contact details are no question: search with what is left of the message, if anything.
  const question = Object.keys(found).length || phoneUnread ? withoutContactDetails(input.message, found) : input.message;
  const ranked = question ? await rankEntries(deps, bot, question) : [];
  const confident = ranked.filter((r) => r.score >= settings.confidence_threshold);
  const best: RankedEntry | undefined = confident[0];
  // Giving contact details, or asking for a person, is not an unanswered question.
  const fallback = !best && !learned.length && !wantsHuman && !phoneUnread;
  const intent = detectIntent(input.message, best);

  // The visitor's message is stored by the same statement that counts it.
  const updated = await db
    .with('visitor_message', (q) =>
      q
        .insertInto('chat_messages')
        .values({ id: newId('cmsg'), conversation_id: conv.id, workspace_id: bot.workspace_id, role: 'visitor', text: input.message }),
    )
    .updateTable('conversations')
    .set({
      // Fields first given win; the intent is the latest one detected.
      lead: sql`${JSON.stringify(found)}::jsonb || lead || ${JSON.stringify(intent ? { intent } : {})}::jsonb`,
      visitor_messages: sql`visitor_messages + 1`,
      last_message_at: sql`now()`,
      fallbacks: sql`fallbacks + ${fallback ? 1 : 0}`,
      fallback_streak: fallback ? sql`fallback_streak + 1` : 0,
    })
    .where('id', '=', conv.id)
    .returningAll()
    .executeTakeFirstOrThrow();

  // An escalated conversation is not escalated again: no claim to try.
  const escalateOnce = async (reason: EscalationReason) =>
    !updated.escalated_at && (await escalate(deps, { id: conv.id, chatbot_id: bot.id, chatbot_name: bot.name, settings }, reason));
  const parts: string[] = [];
  let used: RankedEntry[] = [];
  let escalatedNow = false;
  if (wantsHuman) {
    escalatedNow = await escalateOnce('requested_human');
    parts.push(updated.escalated_at && !escalatedNow ? "A person from the team already has this conversation; they'll get back to you soon." : HANDOVER);
  } else if (best) {
    used = deps.config.llm ? confident.slice(0, LLM_CONTEXT_ENTRIES) : [best];
    const written = deps.config.llm ? await llmReply(deps.config.llm, deps.log, { chatbotName: bot.name, message: input.message, entries: used }) : null;
    if (!written) used = [best];
    parts.push(written ?? best.entry.answer);
  } else if (fallback) {
    const after = settings.escalation.after_fallbacks;
    if (after > 0 && updated.fallback_streak >= after) {
      escalatedNow = await escalateOnce('unanswered');
      parts.push(escalatedNow ? `I couldn't answer that either. ${HANDOVER}` : FALLBACK);
    } else {
      parts.push(FALLBACK);
    }
  } else if (!phoneUnread) {
    parts.push(updated.lead.name && learned.includes('name') ? `Thank you, ${updated.lead.name}!` : 'Thank you!');
  } else if (learned.length) {
    parts.push(updated.lead.name && learned.includes('name') ? `Thank you, ${updated.lead.name}.` : 'Thank you.');
  }
  if (phoneUnread) parts.push(unreadablePhoneReply(region));

  const complete = leadComplete(settings, updated.lead);
  let asking: LeadField | undefined;
  if (complete) {
    if (!updated.lead_captured_at && (await captureLead(deps, bot, updated))) {
      parts.push(`Thanks${updated.lead.name ? `, ${updated.lead.name}` : ''} — we have your details and will be in touch.`);
    }
  } else {
    // A fallback asks for contact details whatever after_messages says: someone should answer.
    const due = updated.visitor_messages >= settings.lead_capture.after_messages || fallback || wantsHuman;
    asking = due || phoneUnread ? missingFields(settings, updated.lead)[0] : undefined;
    // The phone number was just asked for again, in other words.
    if (asking && !(phoneUnread && asking === 'phone')) parts.push(ASK[asking]);
  }

  const reply = parts.join('\n\n');
  const message = await db
    .insertInto('chat_messages')
    .values({
      id: newId('cmsg'),
      conversation_id: conv.id,
      workspace_id: bot.workspace_id,
      role: 'bot',
      text: reply,
      entry_ids: used.map((u) => u.entry.id),
      query: input.message,
      fallback,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const escalated = escalatedNow || !!updated.escalated_at;
  return {
    conversation_id: conv.id,
    message_id: message.id,
    reply,
    sources: used.map((u) => ({ id: u.entry.id, question: u.entry.question, score: Math.round(u.score * 1000) / 1000 })),
    lead: leadOut(settings, updated.lead, asking),
    escalated,
  };
}

/** Publishes lead.captured once per conversation (publishOnce claims lead_captured_at). */
function captureLead(deps: ChatDeps, bot: ChatbotRow, conv: ConversationRow): Promise<boolean> {
  return publishOnce(deps, conv.id, 'lead_captured_at', firstVisitorMessage, ({ lead, extra: first, claimed_at }) =>
    conversationEvent('lead.captured', conv, {
      lead_id: `lead_${conv.id.slice('conv_'.length)}`,
      ...(lead.name ? { name: lead.name } : {}),
      ...(lead.email ? { email: lead.email } : {}),
      ...(lead.phone ? { phone: lead.phone } : {}),
      chatbot_name: bot.name,
      intent: lead.intent ?? 'general_inquiry',
      ...(first ? { message: first } : {}),
      captured_at: isoSeconds(claimed_at),
    }),
  );
}
