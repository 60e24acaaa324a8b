import type { Deps } from '../deps.ts';
import type { PublishInT, PublishOut } from '../publish/publish.service.ts';

/** A publish with the optional ids left out rather than spelt `undefined`. */
export type ChatPublishIn = Pick<PublishInT, 'eventType' | 'data'> &
  Partial<Pick<PublishInT, 'customerId' | 'chatbotId' | 'conversationId' | 'idempotencyKey'>>;
/** The chat publishes its events (lead.captured, escalation.created, …) like any publisher. */
export type ChatPublisher = { publish(workspaceId: string, input: ChatPublishIn): Promise<PublishOut> };
export type ChatDeps = Deps & { publisher: ChatPublisher };

/**
 * An event about one conversation, for the team that owns the chatbot. The chatbot's owner is the
 * hub's customer (seed 004's cus_…): the workspace. Keyed by type and conversation, so each type is
 * published once per conversation however often it is retried.
 */
export const conversationEvent = (
  eventType: string,
  conv: { workspace_id: string; chatbot_id: string; id: string },
  data: ChatPublishIn['data'],
): ChatPublishIn => ({
  eventType,
  customerId: conv.workspace_id,
  chatbotId: conv.chatbot_id,
  conversationId: conv.id,
  idempotencyKey: `${eventType}:${conv.id}`,
  data,
});

/** Where the portal shows a conversation (the events' transcript_url). */
export const transcriptUrl = (deps: Deps, chatbotId: string, conversationId: string) =>
  `${deps.config.publicUrl}/chatbots/${chatbotId}/conversations/${conversationId}`;
