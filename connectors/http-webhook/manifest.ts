import { defineManifest, type NodeManifest } from '../manifest.ts';
import { httpConnector } from './index.ts';
import { webhookNode, type WebhookData } from './node.ts';
import { SignatureSchema, signingOf, withSigning } from './signature.ts';

/**
 * A webhook node keeps what its destination stores (its signing secret, its Authorization, its
 * signature headers unless the node names others or another signing mode) under the URL and signing drawn; an Authorization given replaces the stored one, null clears it. Saving one
 * fed by published events makes a hub webhook (server/flows/flow-sync.ts), which the server owns.
 */
export const webhookNodeManifest: NodeManifest<typeof WebhookData> = {
  spec: webhookNode,
  toConfig: (d, ctx) =>
    withSigning(
      {
        ...ctx.stored,
        url: d.url,
        ...(d.signature ? { signature: d.signature } : {}),
        ...(d.authorization !== undefined ? { auth: d.authorization ? { type: 'custom', value: d.authorization } : { type: 'none' } } : {}),
      },
      d.signing,
    ),
  fromConfig: (c) => {
    const signature = SignatureSchema.safeParse(c.signature);
    if (signature.success) return { url: String(c.url), signing: signingOf(signature.data), signature: signature.data };
    return { url: String(c.url), signing: c.signing === 'shared-secret' ? 'shared-secret' : 'hmac' };
  },
};

export const httpManifest = defineManifest({ connector: httpConnector, node: webhookNodeManifest });
