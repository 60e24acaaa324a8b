import { defineManifest } from '../manifest.ts';
import { maskedSlackUrl, slackConnector, slackMessage } from './index.ts';
import { slackNode } from './node.ts';

export const slackManifest = defineManifest({
  connector: slackConnector,
  node: {
    spec: slackNode,
    // The URL drawn, or the one stored when the node leaves it out (it is never sent back to the editor).
    toConfig: (d, ctx) => ({ url: d.url ?? ctx.stored?.url, ...(d.title?.trim() ? { title: d.title.trim() } : {}) }),
    fromConfig: (c) => ({ title: typeof c.title === 'string' ? c.title : undefined }),
    publicData: (c) => ({ urlHint: typeof c.url === 'string' ? maskedSlackUrl(c.url) : null }),
  },
  preview: (config, m) => ({
    ok: true,
    output: slackMessage(m.payload, { eventId: m.eventId, eventType: m.eventType, title: typeof config.title === 'string' ? config.title : undefined }),
  }),
});
