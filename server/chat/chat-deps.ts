import type { Deps } from '../deps.ts';
import type { PublishInT, PublishOut } from '../publish/publish.service.ts';

/** A publish with the optional ids left out rather than spelt `undefined`. */
export type ChatPublishIn = Pick<PublishInT, 'eventType' | 'data'> & Partial<Pick<PublishInT, 'customerId' | 'chatbotId' | 'conversationId' | 'idempotencyKey'>>;
/** The chat publishes its events (lead.captured, escalation.created, …) like any publisher. */
export type ChatPublisher = { publish(workspaceId: string, input: ChatPublishIn): Promise<PublishOut> };
export type ChatDeps = Deps & { publisher: ChatPublisher };

/** Where the portal shows a conversation (the events' transcript_url). */
export const transcriptUrl = (deps: Deps, chatbotId: string, conversationId: string) =>
  `${deps.config.publicUrl}/chatbots/${chatbotId}/conversations/${conversationId}`;
