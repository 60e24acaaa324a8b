import { type RawBuilder, sql } from 'kysely';
import type { ConversationRow } from '../db/schema.ts';
import type { ChatDeps, ChatPublishIn } from './chat-deps.ts';

/** The conversation columns that record an event published once per conversation. */
type OnceColumn = 'escalated_at' | 'lead_captured_at';

/**
 * Publishes a once-per-conversation event: whoever sets `column` (where it is still null)
 * publishes, so concurrent triggers publish once. `extra` is read in the claiming statement (what
 * the event needs of the messages, say). A failed publish clears the claim, so the next trigger
 * tries again; the event's idempotency key keeps that to one event. Resolves false when the event
 * was already claimed.
 */
export async function publishOnce(
  deps: ChatDeps,
  conversationId: string,
  column: OnceColumn,
  extra: RawBuilder<string | null>,
  event: (claimed: ConversationRow & { claimed_at: Date; extra: string | null }) => ChatPublishIn,
): Promise<boolean> {
  const claimed = await deps.db
    .updateTable('conversations')
    .set({ [column]: sql`now()` })
    .where('id', '=', conversationId)
    .where(column, 'is', null)
    .returningAll()
    .returning(extra.as('extra'))
    .executeTakeFirst();
  if (!claimed) return false;
  try {
    await deps.publisher.publish(claimed.workspace_id, event({ ...claimed, claimed_at: claimed[column] ?? new Date() }));
  } catch (err) {
    await deps.db
      .updateTable('conversations')
      .set({ [column]: null })
      .where('id', '=', conversationId)
      .execute();
    throw err;
  }
  return true;
}

/** Visitor messages of the claimed conversation, for `extra`: the first one, or the latest `n` joined by " / ". */
export const firstVisitorMessage = sql<string | null>`(SELECT text FROM chat_messages m
  WHERE m.conversation_id = conversations.id AND m.role = 'visitor' ORDER BY m.created_at, m.id LIMIT 1)`;
export const latestVisitorMessages = (n: number) => sql<string | null>`(SELECT string_agg(r.text, ' / ' ORDER BY r.created_at, r.id) FROM
  (SELECT text, created_at, id FROM chat_messages m WHERE m.conversation_id = conversations.id AND m.role = 'visitor'
   ORDER BY m.created_at DESC, m.id DESC LIMIT ${n}) r)`;
