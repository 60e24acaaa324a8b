import { sql } from 'kysely';
import { z } from 'zod';
import { countRatingByVisitor } from './rate-limit.ts';
import { AppError, notFound } from '../core/errors.ts';
import { isoSeconds } from '../core/time.ts';
import type { ChatbotSettings } from '../db/schema.ts';
import { readSettings } from './chatbot-settings.ts';
import type { ChatDeps } from './chat-deps.ts';
import { escalate } from './escalation.ts';

export const RateIn = z
  .object({
    message_id: z.string().trim().min(1).max(64),
    rating: z.enum(['up', 'down']),
    comment: z.string().trim().max(2000).nullish(),
    visitor_id: z.string().trim().min(1).max(255),
  })
  .strict();
export type RateInT = z.output<typeof RateIn>;
export type RateOut = { message_id: string; rating: 'up' | 'down'; updated: boolean };

/** The conversation being rated, with what the public endpoint needs of its chatbot. */
export type RatedConversation = {
  id: string;
  workspace_id: string;
  chatbot_id: string;
  chatbot_name: string;
  /** The one visitor whose conversation it is: the only one who may rate its replies. */
  visitor_id: string;
  settings: ChatbotSettings;
};

export async function conversationForRating(deps: Pick<ChatDeps, 'db'>, conversationId: string): Promise<RatedConversation> {
  const row = await deps.db
    .selectFrom('conversations as c')
    .innerJoin('chatbots as b', 'b.id', 'c.chatbot_id')
    .select(['c.id', 'c.workspace_id', 'c.chatbot_id', 'c.visitor_id', 'b.name as chatbot_name', 'b.settings'])
    .where('c.id', '=', conversationId)
    .executeTakeFirst();
  if (!row) throw notFound('Conversation', conversationId);
  return { ...row, settings: readSettings(row.settings) };
}

/**
 * One rating per message per visitor: a second call replaces it (rating and comment) and says
 * `updated: true`. A new or changed rating publishes message.rated; a thumbs-down hands the
 * conversation to a person when the chatbot's escalation.on_thumbs_down is on (once per
 * conversation, whoever triggers it). The rating is what feedbackFactors learns from.
 */
export async function rateMessage(deps: ChatDeps, conv: RatedConversation, input: RateInT): Promise<RateOut> {
  const { db } = deps;
  // Anyone who learns a conversation's id could otherwise vote as many made-up visitors as they
  // like, publish message.rated for each and skew the ranking. 403 rather than 404: the widget
  // that sends a stale visitor id should be told why, and the conversation id is no secret to it.
  if (input.visitor_id !== conv.visitor_id) {
    throw new AppError(403, 'NOT_YOUR_CONVERSATION', 'Only the visitor who had this conversation can rate its replies.', [
      { path: 'body.visitor_id', message: "is not this conversation's visitor" },
    ]);
  }
  // Counted only for the conversation's own visitor: a forged visitor id stores no counter rows.
  await countRatingByVisitor(db, { id: conv.chatbot_id, settings: conv.settings }, input.visitor_id);
  const message = await db
    .selectFrom('chat_messages')
    .select(['id', 'conversation_id', 'role', 'text', 'query'])
    .where('id', '=', input.message_id)
    .executeTakeFirst();
  // A message of another conversation is as unknown here as one that does not exist.
  if (!message || message.conversation_id !== conv.id) {
    throw new AppError(404, 'NOT_FOUND', `Message ${input.message_id} was not found in conversation ${conv.id}`, [
      { path: 'body.message_id', message: 'no such message in this conversation' },
    ]);
  }
  if (message.role !== 'bot') {
    throw new AppError(422, 'NOT_RATABLE', "Only the chatbot's replies can be rated; this is the visitor's own message.", [
      { path: 'body.message_id', message: 'is a visitor message, not a reply of the chatbot' },
    ]);
  }

  const comment = input.comment || null;
  const before = await db
    .selectFrom('message_ratings')
    .select(['rating', 'comment'])
    .where('message_id', '=', message.id)
    .where('visitor_id', '=', input.visitor_id)
    .executeTakeFirst();
  const saved = await db
    .insertInto('message_ratings')
    .values({ message_id: message.id, visitor_id: input.visitor_id, conversation_id: conv.id, workspace_id: conv.workspace_id, rating: input.rating, comment })
    .onConflict((oc) => oc.columns(['message_id', 'visitor_id']).doUpdateSet({ rating: input.rating, comment, updated_at: sql`now()` }))
    // xmax is set on a row version written by ON CONFLICT DO UPDATE: the one reliable "was it there"
    // when two first clicks race (both read no row above).
    .returning(['updated_at', sql<boolean>`xmax <> 0`.as('updated')])
    .executeTakeFirstOrThrow();

  if (!before || before.rating !== input.rating || before.comment !== comment) {
    await deps.publisher.publish(conv.workspace_id, {
      eventType: 'message.rated',
      customerId: conv.workspace_id,
      chatbotId: conv.chatbot_id,
      conversationId: conv.id,
      // Every change of a rating is news of its own; nothing here retries a publish.
      idempotencyKey: undefined,
      data: {
        message_id: message.id,
        rating: input.rating,
        ...(comment ? { comment } : {}),
        ...(message.query ? { question: message.query } : {}),
        answer: message.text,
        chatbot_name: conv.chatbot_name,
        rated_at: isoSeconds(saved.updated_at),
      },
    });
  }
  if (input.rating === 'down') await escalate(deps, conv, 'negative_feedback');
  return { message_id: message.id, rating: input.rating, updated: saved.updated };
}
