// The flow editor in a real browser: a webhook step signed the GitHub way, chosen in its panel from
// the same presets as the Webhooks page; the flow is saved (its secret shown once), a lead is
// published, and a receiver verifies X-Hub-Signature-256 with that secret. Reopened, the step shows
// its preset; switched to a header of one's own in base64, the next delivery carries that instead.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { portalStory, signUp } from './support/portal.ts';
import { waitFor } from './support/hub.ts';
import type { Received } from './support/receiver.ts';

const lead = { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' };

const verified = (given: unknown, expected: string) => {
  const a = Buffer.from(String(given));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

describe("portal: a flow's webhook step signs with the preset chosen in its panel", () => {
  const portal = portalStory();
  const { count, click, fill, choose } = portal;

  it("GitHub-style on save, verified by the receiver; then a header of one's own in base64", async () => {
    const { hub, receiver, b, canvas, page } = portal;
    const token = await signUp(page, hub.url, { click, fill });
    const publish = async () => {
      const res = await hub.api('post', '/api/v1/publish', token).send({ eventType: 'lead.captured', data: lead });
      expect(res.status, res.text).toBe(202);
      return res.body.eventId as string;
    };
    const delivery = (eventId: string): Promise<Received> =>
      waitFor(() => receiver.received.find((r) => r.headers['webhook-id'] === eventId), 15_000, `the delivery of ${eventId}`);

    await click(page.getByRole('link', { name: 'Flows' }));
    await click(page.getByTestId('new-flow'));
    await page.waitForURL(/\/flows\/new$/);
    await fill(page.getByTestId('flow-name'), 'Leads to the GitHub-style receiver');
    const trigger = page.getByTestId('palette-trigger-lead.captured');
    await trigger.waitFor({ timeout: 15_000 });
    await canvas.dropOnCanvas(trigger, { x: 20, y: 40 });
    await canvas.dropOnCanvas(page.getByTestId('palette-webhook'), { x: 20, y: 260 });
    await canvas.connect('trigger_1', 'webhook_1');
    await expect.poll(() => page.locator('.react-flow__edge').count(), { timeout: 10_000 }).toBe(1);

    await click(page.getByTestId('node-webhook_1'));
    const panel = page.getByTestId('node-panel');
    await fill(panel.getByTestId('webhook-url'), `${receiver.url}/github`);
    expect(await panel.getByLabel('Signature preset').inputValue()).toBe('standard-webhooks');
    await choose(panel.getByLabel('Signature preset'), 'github');
    expect(await panel.getByTestId('signature-says').textContent()).toContain('X-Hub-Signature-256: sha256=');
    await b.screenshot('flow-webhook-signature-preset');

    await click(page.getByTestId('save-flow'));
    await page.waitForURL(/\/flows\/flw_/, { timeout: 15_000 });
    const flowId = /\/flows\/([^/?#]+)/.exec(page.url())![1];
    const secretShown = page.getByTestId('secret-webhook_1');
    await expect.poll(() => secretShown.textContent(), { timeout: 15_000 }).toMatch(/^whsec_/);
    const secret = ((await secretShown.textContent()) ?? '').trim();
    await click(page.getByRole('button', { name: 'Done' }));

    // What the step became: a webhook with GitHub's preset, and the receiver verifies it as GitHub's documentation says.
    const hooks = (await hub.api('get', '/api/v1/webhooks', token)).body.models as { url: string; signature: unknown; signing: string }[];
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ url: `${receiver.url}/github`, signing: 'hmac', signature: { preset: 'github' } });
    const first = await delivery(await publish());
    expect(first.url).toBe('/github');
    expect(verified(first.headers['x-hub-signature-256'], `sha256=${createHmac('sha256', secret).update(first.body).digest('hex')}`)).toBe(true);
    expect(verified(first.headers['x-hub-signature-256'], `sha256=${createHmac('sha256', 'another secret').update(first.body).digest('hex')}`)).toBe(false);
    expect(first.headers['webhook-signature']).toBeUndefined();
    expect(JSON.parse(first.body.toString())).toMatchObject({ email: 'jane@example.com', eventType: 'lead.captured' });

    // Reopened, the step shows its preset; a header of one's own in base64 replaces it on the next save.
    await page.goto(`${hub.url}/flows/${flowId}`);
    await click(page.getByTestId('node-webhook_1'));
    await expect.poll(() => panel.getByLabel('Signature preset').inputValue(), { timeout: 15_000 }).toBe('github');
    await choose(panel.getByLabel('Signature preset'), 'own');
    await fill(panel.getByLabel('Signature header name'), 'X-Acme-Signature');
    await choose(panel.getByLabel('Signature format'), 'base64');
    await click(page.getByTestId('save-flow'));
    await expect
      .poll(async () => (await hub.api('get', '/api/v1/webhooks', token)).body.models[0]?.signature, { timeout: 15_000 })
      .toEqual({ header: 'X-Acme-Signature', format: 'base64' });

    const next = await delivery(await publish());
    expect(verified(next.headers['x-acme-signature'], createHmac('sha256', secret).update(next.body).digest('base64'))).toBe(true);
    expect(next.headers['x-hub-signature-256']).toBeUndefined();
    console.log(`e2e flow signature story: ${count.clicks} clicks, ${count.drags} drags, ${count.fields} typed fields`);
  }, 120_000);
});
