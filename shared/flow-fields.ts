/**
 * What every delivery carries besides a destination's fields, for the map panel and the checks on
 * save; the fields each connector's node takes are its own (connectors/<x>/node.ts). Shared with
 * the portal (no server imports): Vite bundles this file.
 */
export type { DestinationField, DestinationFields } from '../connectors/node.ts';

/** Keys every delivery carries next to the mapped fields, so a column may name them without a mapping. */
export const ENVELOPE_FIELDS: Record<'flat' | 'nested', readonly string[]> = {
  flat: ['eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId'],
  nested: ['event', 'timestamp', 'workspace_id', 'id'],
};
