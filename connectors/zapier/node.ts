import { z } from 'zod';
import { defineNode, httpUrl, savedAs } from '../node.ts';

/** Posts each event to a Zapier "Catch Hook" URL. */
export const ZapierData = z.object({ url: httpUrl("paste the Zap's catch hook URL"), ...savedAs }).strict();
export type ZapierDataT = z.output<typeof ZapierData>;

// A manifest, alike on purpose with every connector's node.ts (http-webhook, slack, zapier, …): see connectors/node.ts.
export const zapierNode = defineNode({
  kind: 'zapier',
  connector: 'zapier',
  label: 'Zapier',
  hint: 'Start a Zap through its catch hook URL',
  icon: '⚡',
  words: 'Zapier step',
  madeWords: 'Zapier destination',
  data: ZapierData,
  defaults: () => ({ url: '' }),
  summary: (d) => String(d.url || 'enter a URL'),
  configFields: { url: 'url' },
});
