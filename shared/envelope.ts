import { z } from 'zod';

/** What every destination receives as the body of a published event (the stable envelope's source). */
export type PublishedEvent = {
  eventType: string;
  eventId: string;
  eventTimestamp: string;
  customerId: string;
  chatbotId?: string;
  conversationId?: string;
  data: Record<string, unknown>;
};

export const EnvelopeKind = z.enum(['flat', 'nested']);
export type EnvelopeKindT = z.output<typeof EnvelopeKind>;

/** Keys the flat envelope owns (seed 004): a mapping may not write them. */
export const FLAT_ENVELOPE_KEYS = ['eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId'] as const;

/**
 * The stable envelope around a destination's mapped fields. Flat (seed 004): the mapped fields,
 * then the event's identifiers, which always win. Nested (seed 003): identifiers at the top, the
 * mapped fields under `data`.
 */
export function wrap(kind: EnvelopeKindT, event: PublishedEvent, workspaceId: string, fields: Record<string, unknown>): Record<string, unknown> {
  if (kind === 'nested') {
    return { event: event.eventType, timestamp: event.eventTimestamp, workspace_id: workspaceId, id: event.eventId, data: fields };
  }
  return {
    ...fields,
    eventType: event.eventType,
    eventTimestamp: event.eventTimestamp,
    eventId: event.eventId,
    customerId: event.customerId,
    ...(event.chatbotId ? { chatbotId: event.chatbotId } : {}),
    ...(event.conversationId ? { conversationId: event.conversationId } : {}),
  };
}

export function envelopeConflicts(kind: EnvelopeKindT, targets: string[]): string[] {
  return kind === 'flat' ? targets.filter((t) => (FLAT_ENVELOPE_KEYS as readonly string[]).includes(t)) : [];
}

export function isPublishedEvent(v: unknown): v is PublishedEvent {
  const e = v as PublishedEvent | null;
  return typeof e === 'object' && e !== null && typeof e.eventType === 'string' && typeof e.eventId === 'string' && typeof e.data === 'object';
}
