import { z } from 'zod';
import { defineNode, hostOf, httpUrl } from '../node.ts';
import { SignatureSchema } from './signature.ts';

export const WebhookData = z
  .object({
    url: httpUrl('enter the URL to deliver to'),
    signing: z.enum(['hmac', 'shared-secret']).default('hmac'),
    /** The headers carrying the signature and event type (signature.ts); absent: what `signing` says. Dropped when it disagrees with `signing`. */
    signature: SignatureSchema.optional(),
    /** Sent verbatim as Authorization. Never stored in the graph: null clears it, omitted keeps it. */
    authorization: z
      .string()
      .max(4096)
      .regex(/^[^\r\n]*$/, 'must not contain line breaks')
      .nullable()
      .optional(),
    /** Set by the server: the webhook this node became, and the masked Authorization. */
    webhookId: z.string().optional(),
    connectionId: z.string().optional(),
    destinationId: z.string().optional(),
    authorizationHint: z.string().nullable().optional(),
  })
  .strict();
export type WebhookDataT = z.output<typeof WebhookData>;

/**
 * POSTs each event to a URL, signed. Fed by published events it is one of the hub's webhooks
 * (GET /webhooks); fed by an inbound source, a plain HTTP destination. A manifest, alike on
 * purpose with every connector's node.ts (slack, zapier, …): see connectors/node.ts.
 */
export const webhookNode = defineNode({
  kind: 'webhook',
  connector: 'http-webhook',
  label: 'Webhook',
  hint: 'POST each event to a URL, signed',
  icon: '↗',
  words: 'webhook step',
  madeWords: 'webhook',
  data: WebhookData,
  defaults: () => ({ url: '', signing: 'hmac' }),
  summary: (d) => String(d.url || 'enter a URL'),
  name: (d) => hostOf(d.url),
  writeOnly: ['authorization'],
  configFields: { url: 'url' },
});
