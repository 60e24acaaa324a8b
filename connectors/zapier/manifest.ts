import { defineManifest } from '../manifest.ts';
import { zapierConnector, zapierPayload } from './index.ts';
import { zapierNode } from './node.ts';

export const zapierManifest = defineManifest({
  connector: zapierConnector,
  node: {
    spec: zapierNode,
    // A catch hook takes any event; the subscription names the first event type feeding it.
    toConfig: (d, ctx) => ({ url: d.url, event: ctx.events[0] }),
    fromConfig: (c) => ({ url: String(c.url) }),
  },
  preview: (_config, { payload, eventId }) => ({ ok: true, output: zapierPayload(payload, eventId) }),
});
