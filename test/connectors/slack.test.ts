// The Slack connector against a local fake of Slack's incoming webhooks: the Block Kit message it
// posts, and what each of Slack's answers means for the delivery (the shared contract is in
// contract.test.ts).
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackConfigSchema } from '../../connectors/slack/config.ts';
import { maskedSlackUrl, slackConnector, slackMessage } from '../../connectors/slack/index.ts';
import type { DeliveryContext, DeliveryResult } from '../../connectors/types.ts';
import { leadMessage } from '../support/fakes/crm.ts';
import { startFakeSlack, type FakeSlack } from '../support/fakes/slack.ts';

const dispatcher = new Agent();
const ctx: DeliveryContext = { dispatcher, allowPrivateDestinations: true, userAgent: 'Wirehub/test' };
let slack: FakeSlack;
const config = (extra: Record<string, unknown> = {}) => SlackConfigSchema.parse({ url: slack.hookUrl, ...extra });
const deliver = (extra: Record<string, unknown> = {}, message = leadMessage()) => slackConnector.deliver(ctx, config(extra), message);

beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack.close();
  await dispatcher.close();
});
beforeEach(() => {
  slack.setMode('ok');
  slack.posted.length = 0;
});

function failure(result: DeliveryResult) {
  if (result.ok) throw new Error(`expected a failure, got ${result.status}`);
  return result;
}

describe('slack: the message', () => {
  it('posts a header (the title, else the event type), the mapped fields as mrkdwn lines, the event in the context, and a text fallback', async () => {
    const result = await deliver({ title: 'New lead' });
    expect(result).toMatchObject({ ok: true, status: 200 });
    const [posted] = slack.posted;
    expect(posted.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'New lead', emoji: true } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: [
            '*name:* Jane Smith',
            '*email:* jane@example.com',
            '*phone:* +15555550123',
            '*chatbot_name:* Acme Plumbing Bot',
            '*intent:* request_quote',
          ].join('\n'),
        },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: '`lead.captured` · event `msg_x`' }] },
    ]);
    expect(posted.text).toBe(
      'New lead: name: Jane Smith, email: jane@example.com, phone: +15555550123, chatbot_name: Acme Plumbing Bot, intent: request_quote',
    );
    // The body sent is recorded with the attempt, the webhook's token is not.
    expect(JSON.parse(result.request.body ?? '')).toEqual(posted);
    expect(result.request.url).toBe(maskedSlackUrl(slack.hookUrl));
    expect(result.request.url).not.toContain('Xk9d2PqL7sVbN3mR8tYw4ZaE');
  });

  it('heads the message with the event type without a title, reads the nested envelope, and escapes what Slack would take as markup', () => {
    const nested = {
      event: 'lead.captured',
      timestamp: '2026-05-03T14:22:08Z',
      workspace_id: 'ws_1',
      id: 'evt_1',
      data: { name: '<!channel> & co', n: 3, tags: ['a', 'b'] },
    };
    const m = slackMessage(nested, { eventId: 'evt_1' });
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'lead.captured', emoji: true } });
    expect(m.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '*name:* &lt;!channel&gt; &amp; co\n*n:* 3\n*tags:* ["a","b"]' } });
    // A source's request that is not an object, and one with no fields at all.
    expect(slackMessage('plain text', { eventId: 'evt_2' }).blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '*body:* plain text' } });
    expect(slackMessage({}, { eventId: 'evt_3' })).toMatchObject({
      text: 'Incoming request',
      blocks: [{ text: { text: 'Incoming request' } }, { text: { text: '_(no fields)_' } }, {}],
    });
  });

  it("keeps within Slack's limits: a long title is cut at 150 characters, fields past 3,000 characters are counted", async () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`field_${i}`, 'x'.repeat(200)]));
    const m = slackMessage(many, { eventId: 'evt_1', title: 'T'.repeat(400) });
    const header = m.blocks[0] as { text: { text: string } };
    const section = m.blocks[1] as { text: { text: string } };
    expect(header.text.text).toHaveLength(150);
    expect(section.text.text.length).toBeLessThanOrEqual(3000);
    expect(section.text.text).toMatch(/_… and \d+ more fields_$/);
    expect(m.text.length).toBeLessThanOrEqual(300);
    expect((await deliver({}, { ...leadMessage(), payload: many, body: Buffer.from(JSON.stringify(many)) })).ok).toBe(true);
  });
});

describe('slack: its answers', () => {
  it("retries a 429 after Slack's Retry-After and a 500, with Slack's error in the message", async () => {
    slack.setMode('rate-limited');
    expect(failure(await deliver())).toMatchObject({ retryable: true, status: 429, retryAfterMs: 3000, error: 'Slack answered 429 rate_limited' });
    slack.setMode('server-error');
    expect(failure(await deliver())).toMatchObject({ retryable: true, status: 500, errorCode: 'HTTP_STATUS', error: 'Slack answered 500 rollup_error' });
  });

  it('does not retry what sending again cannot mend: a refused payload, a revoked or removed webhook', async () => {
    const broken = await slackConnector.deliver(ctx, config(), { ...leadMessage(), payload: undefined });
    expect(broken.ok).toBe(true); // a body Slack can read is always sent, whatever the event's own body
    slack.setMode('auth');
    expect(failure(await deliver())).toMatchObject({
      retryable: false,
      status: 403,
      errorCode: 'AUTH',
      error: expect.stringMatching(/^Slack answered 403 invalid_token: the webhook was revoked/),
    });
    slack.setMode('not-found');
    const gone = failure(await deliver());
    expect(gone).toMatchObject({
      retryable: false,
      status: 404,
      errorCode: 'CONFIG',
      error: expect.stringMatching(/^Slack answered 404 no_service: the webhook was removed/),
    });
    expect(gone.gone).toBeFalsy();
  });

  it('takes 410 channel_is_archived as gone (the destination is disabled), and says how to mend it', async () => {
    const archived = await startFakeSlack();
    try {
      archived.archive();
      const result = failure(await slackConnector.deliver(ctx, SlackConfigSchema.parse({ url: archived.hookUrl }), leadMessage()));
      expect(result).toMatchObject({
        retryable: false,
        gone: true,
        status: 410,
        error: expect.stringContaining('channel_is_archived: the channel was archived'),
      });
      const test = await slackConnector.testConnection(ctx, SlackConfigSchema.parse({ url: archived.hookUrl }));
      expect(test).toMatchObject({
        ok: false,
        message: expect.stringContaining('channel_is_archived'),
        details: { status: 410, slack_error: 'channel_is_archived' },
      });
    } finally {
      await archived.close();
    }
  });

  it('tests the webhook with an empty message, which Slack refuses without posting anything', async () => {
    expect(await slackConnector.testConnection(ctx, config())).toMatchObject({ ok: true, details: { status: 400 } });
    expect(slack.posted).toEqual([]);
    expect(slack.received.at(-1)?.body.toString()).toBe('{}');
    slack.setMode('not-found');
    expect(await slackConnector.testConnection(ctx, config())).toMatchObject({ ok: false, message: expect.stringContaining('no_service') });
  });

  it('refuses a private address before connecting, like every connector', async () => {
    const result = failure(await slackConnector.deliver({ ...ctx, allowPrivateDestinations: false }, config(), leadMessage()));
    expect(result).toMatchObject({ retryable: false, errorCode: 'PRIVATE_ADDRESS' });
    expect(result.request.url).toBe(maskedSlackUrl(slack.hookUrl));
  });

  it("masks the webhook's token and any query wherever the URL is shown", () => {
    expect(maskedSlackUrl('https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstuvwx?x=1')).toBe(
      'https://hooks.slack.com/services/T0001/B0001/••••',
    );
    expect(maskedSlackUrl('not a url')).toBe('••••');
  });
});
