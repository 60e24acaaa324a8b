import { z } from 'zod';
import { defineNode, httpUrl, savedAs } from '../node.ts';

const NEED_URL = 'paste the Slack incoming-webhook URL';

/**
 * Posts each event to a Slack channel as a Block Kit message. `url` is written, never read back:
 * once saved it stays with the destination's credentials (omitted keeps it) and the node shows
 * `urlHint`, a masked form, instead.
 */
export const SlackData = z
  .object({
    url: httpUrl(NEED_URL).optional(),
    title: z.string().trim().max(150, 'at most 150 characters (Slack cuts a header there)').optional(),
    /** Set by the server: the saved URL, masked. */
    urlHint: z.string().nullable().optional(),
    ...savedAs,
  })
  .strict()
  .refine((d) => d.url || d.destinationId, { message: NEED_URL, path: ['url'] });
export type SlackDataT = z.output<typeof SlackData>;

// A manifest, alike on purpose with every connector's node.ts (http-webhook, slack, zapier, …): see connectors/node.ts.
export const slackNode = defineNode({
  kind: 'slack',
  connector: 'slack',
  label: 'Slack',
  hint: 'Post a message to a Slack channel for each event',
  icon: '#',
  words: 'Slack step',
  madeWords: 'Slack destination',
  data: SlackData,
  defaults: () => ({}),
  // Never the URL itself: it is a credential, and the canvas is shown on screens.
  summary: (d) => (typeof d.title === 'string' && d.title.trim() ? d.title.trim() : d.url || d.urlHint ? 'a message per event' : 'paste the webhook URL'),
  name: (d) => (typeof d.title === 'string' && d.title.trim() ? d.title.trim() : null),
  writeOnly: ['url'],
  configFields: { url: 'url', title: 'title' },
  form: [
    {
      key: 'url',
      label: 'Webhook URL',
      hint: 'In Slack: create an app with Incoming Webhooks, add a webhook for the channel, and copy its URL. It is kept like a password and never shown again.',
      placeholder: 'https://hooks.slack.com/services/…',
      secret: true,
    },
    { key: 'title', label: 'Message title', hint: 'The header of each message; without one, the event type.', placeholder: 'New lead', optional: true },
  ],
});
