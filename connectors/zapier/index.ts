import { z } from 'zod';
import { HttpConfigSchema } from '../http-webhook/config.ts';
import { signatureHeaders } from '../http-webhook/index.ts';
import { httpCall } from '../shared/http-call.ts';
import type { Connector } from '../types.ts';

/** A Zapier REST-hook subscription: where Zapier asked us to POST one event type. */
export const ZapierConfigSchema = z
  .object({
    url: HttpConfigSchema.shape.url,
    event: z.string().min(1).max(255),
    timeout_ms: HttpConfigSchema.shape.timeout_ms,
  })
  .strict();

/**
 * Zapier's REST-hook contract: POST the event as one flat JSON object with an `id` (Zapier
 * de-duplicates on it), and a 410 Gone from the target means the Zap was turned off: remove the
 * subscription rather than retry or disable.
 */
export const zapierConnector: Connector<typeof ZapierConfigSchema> = {
  id: 'zapier',
  displayName: 'Zapier subscription',
  configSchema: ZapierConfigSchema,
  secretFields: [],
  onGone: 'remove',
  targetUrls: (config) => [{ path: 'url', url: config.url }],
  async deliver(ctx, config, message) {
    const payload = zapierPayload(message.payload, message.eventId);
    const body = Buffer.from(JSON.stringify(payload));
    const headers = {
      'content-type': 'application/json',
      'user-agent': ctx.userAgent,
      ...(message.eventType ? { 'x-wirehub-event': message.eventType } : {}),
      ...signatureHeaders({ ...message, body }),
    };
    return httpCall(ctx, { method: 'POST', url: config.url, headers, body, timeoutMs: config.timeout_ms, recordBody: true });
  },
  async testConnection() {
    // Zapier's hook URLs accept only POSTs of real events; Zapier itself tests the subscription.
    return { ok: true, message: 'Zapier manages this subscription; it is tested from the Zap editor.', warnings: [] };
  },
};

/**
 * `id` must be the event's id: Zapier drops a second delivery with an id it has seen, so a
 * contact's or deal's own `id` (the same on every update) moves to `record_id`.
 */
export function zapierPayload(payload: unknown, eventId: string): Record<string, unknown> {
  const flat = payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : { body: payload };
  const { id, ...rest } = flat;
  return id !== undefined && id !== eventId ? { ...rest, record_id: id, id: eventId } : { ...rest, id: eventId };
}
