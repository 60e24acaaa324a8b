import { defineManifest, type NodeManifest } from '../manifest.ts';
import { httpConnector } from './index.ts';
import { webhookNode, type WebhookData } from './node.ts';

/**
 * A webhook node keeps what its destination stores (its signing secret, its Authorization) under the
 * URL and signing drawn; an Authorization given replaces the stored one, null clears it. Saving one
 * fed by published events makes a hub webhook (server/hub/flow-sync.ts), which the server owns.
 */
export const webhookNodeManifest: NodeManifest<typeof WebhookData> = {
  spec: webhookNode,
  toConfig: (d, ctx) => ({
    ...ctx.stored,
    url: d.url,
    signing: d.signing,
    ...(d.authorization !== undefined ? { auth: d.authorization ? { type: 'custom', value: d.authorization } : { type: 'none' } } : {}),
  }),
  fromConfig: (c) => ({ url: String(c.url), signing: c.signing === 'shared-secret' ? 'shared-secret' : 'hmac' }),
};

export const httpManifest = defineManifest({ connector: httpConnector, node: webhookNodeManifest });
