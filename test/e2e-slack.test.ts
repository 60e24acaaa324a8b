// The Slack node in a real browser: drawn from its manifest (palette item, canvas summary, a form
// with no panel of its own), tested, saved, and posting a lead to a local fake of Slack. Reopened,
// the form shows the webhook URL masked, never the URL itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from './support/fakes/slack.ts';
import { waitFor } from './support/hub.ts';
import { portalStory, signUp } from './support/portal.ts';

describe('portal: a lead → Slack flow drawn on the canvas posts the lead to the channel', () => {
  const portal = portalStory();
  let slack: FakeSlack;
  const { click, fill, drag } = portal;

  beforeAll(async () => {
    slack = await startFakeSlack();
  }, 120_000);
  afterAll(async () => {
    await slack?.close();
  });

  it('draws trigger → map → Slack, tests the webhook, saves, posts a lead, and reopens with the URL masked', async () => {
    const { hub, b, canvas, page } = portal;
    const token = await signUp(page, hub.url, { click, fill });
    const api = (method: 'get' | 'post', url: string, key = token) => hub.api(method, `/api/v1${url}`, key);

    await click(page.getByRole('link', { name: 'Flows' }));
    await click(page.getByTestId('new-flow'));
    await page.waitForURL(/\/flows\/new$/);
    await fill(page.getByTestId('flow-name'), 'Leads to Slack');
    await page.getByTestId('palette-slack').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('palette-slack').textContent()).toContain('Post a message to a Slack channel');
    await canvas.leadThroughMapTo('slack');
    expect(await page.getByTestId('node-slack_1').textContent()).toContain('paste the webhook URL');

    await click(page.getByTestId('node-map_1'));
    const panel = page.getByTestId('node-panel');
    const sampleFields = panel.getByLabel('Sample fields');
    const dropZone = panel.getByLabel('Fields to send').getByRole('heading', { name: 'Fields to send' });
    await drag(sampleFields.getByRole('button', { name: 'name', exact: true }), dropZone);
    await drag(sampleFields.getByRole('button', { name: 'email', exact: true }), dropZone);
    await panel.getByTestId('mapping-1').waitFor();

    // The Slack node's form comes from its manifest: the webhook URL and an optional title.
    await click(page.getByTestId('node-slack_1'));
    await fill(page.getByTestId('slack-url'), slack.hookUrl);
    await fill(page.getByTestId('slack-title'), 'New lead');
    expect(await page.getByTestId('node-slack_1').textContent()).toContain('New lead');
    await click(page.getByTestId('test-connection'));
    await expect.poll(() => page.getByTestId('test-connection-result').textContent(), { timeout: 10_000 }).toContain('Slack knows this webhook');
    expect(slack.posted).toHaveLength(0);
    await expect.poll(() => page.locator('.flow-toolbar').textContent(), { timeout: 10_000 }).toContain('Ready to save');

    await click(page.getByTestId('save-flow'));
    await page.waitForURL(/\/flows\/flw_/, { timeout: 15_000 });
    const flowId = /\/flows\/([^/?#]+)/.exec(page.url())![1];
    const stored = await api('get', `/flows/${flowId}`);
    expect(JSON.stringify(stored.body)).not.toContain(slack.hookUrl);

    const key = await api('post', '/api-keys').send({ name: 'e2e', scopes: ['read', 'write'] });
    const published = await api('post', '/publish', key.body.key).send({
      eventType: 'lead.captured',
      data: { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123' },
      customerId: 'cus_1',
    });
    expect(published.status).toBe(202);
    const [message] = await waitFor(() => slack.posted.length > 0 && slack.posted, 15_000, 'the Slack message');
    expect(message.blocks?.slice(0, 2)).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'New lead', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: '*name:* Jane Smith\n*email:* jane@example.com' } },
    ]);

    // Reopened: the URL is not in the page, its masked form is.
    await page.reload();
    await page.getByTestId('node-slack_1').waitFor({ timeout: 15_000 });
    await click(page.getByTestId('node-slack_1'));
    expect(await page.getByTestId('slack-url').inputValue()).toBe('');
    expect(await page.getByTestId('node-panel').textContent()).toContain('••••; leave empty to keep');
    expect(await page.content()).not.toContain(slack.hookUrl);
    await b.screenshot('flow-slack-saved');
  }, 120_000);
});
