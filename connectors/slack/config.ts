import { z } from 'zod';

/**
 * A Slack incoming webhook: the URL Slack hands out is itself the credential (anyone holding it can
 * post to the channel), so it is a secret field, stored encrypted and never shown again.
 */
export const SlackConfigSchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: (iss) => (iss.input === undefined ? 'paste the Slack incoming-webhook URL' : 'must be an http:// or https:// URL') })
      .max(2048),
    /** The message's header; without one, the event type. Slack cuts a header at 150 characters. */
    title: z.string().trim().min(1).max(150).optional(),
    timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
  })
  .strict();

export type SlackConfig = z.output<typeof SlackConfigSchema>;
