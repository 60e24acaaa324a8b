// One model in the navigation, walked in a real browser: the marketer's pages stand apart from a
// "Developer" group and the account's pages; a flow drawn from an incoming webhook to a webhook
// shows on the Webhooks page as "in flow Orders" (editing it leads to the flow), the Flows list
// counts "1 webhook", the source and the destination say which flow uses them, and the built-in
// receiver for trying things reads "Test receiver", not "Mock API".
import { beforeAll, describe, expect, it } from 'vitest';
import { portalStory, signUp } from './support/portal.ts';

describe('portal: one model in the navigation', () => {
  const portal = portalStory();
  const { count, click, fill } = portal;

  beforeAll(async () => {
    await portal.page.setViewportSize({ width: 1280, height: 860 });
  }, 120_000);

  it("groups the pages, lists a flow's webhook step with the webhooks, and shows where each object is used", async () => {
    const started = Date.now();
    const { hub, receiver, b, canvas, page } = portal;
    await signUp(page, hub.url, { click, fill });
    const aside = page.locator('aside');
    const linksOf = async (nav: string) => (await aside.getByRole('navigation', { name: nav }).getByRole('link').allTextContents()).map((t) => t.trim());

    // The navigation: what a marketer uses, then the Developer group under its own heading, then the account.
    expect(await linksOf('Main')).toEqual(['Dashboard', 'Flows', 'Webhooks', 'Chatbots', 'Events log']);
    expect(await linksOf('Developer')).toEqual(['Sources', 'Destinations', 'Connections', 'Transformations', 'Event types', 'API keys', 'Project secrets']);
    expect(await linksOf('Account')).toEqual(['Settings', 'Team']);
    const heading = aside.getByRole('navigation', { name: 'Developer' }).getByRole('button', { name: /Developer/ });
    expect(await heading.getAttribute('aria-expanded')).toBe('true');
    // It folds away, and stays folded on the next visit.
    await click(heading);
    expect(await aside.getByRole('link', { name: 'Sources', exact: true }).count()).toBe(0);
    await page.reload();
    await aside.getByRole('link', { name: 'Flows', exact: true }).waitFor();
    expect(await aside.getByRole('link', { name: 'Sources', exact: true }).count()).toBe(0);
    await b.screenshot('navigation-folded');
    await click(aside.getByRole('navigation', { name: 'Developer' }).getByRole('button', { name: /Developer/ }));

    // A source for the shop (Developer → Sources); nothing uses it yet, and the row says so.
    await click(aside.getByRole('link', { name: 'Sources', exact: true }));
    await page.waitForURL(/\/sources$/);
    await click(page.getByTestId('source-new'));
    await fill(page.getByTestId('source-form').getByLabel(/Name/), 'shop');
    await click(page.getByTestId('source-create'));
    const sourceRow = page.getByTestId('source-row').filter({ hasText: 'shop' });
    await expect.poll(() => sourceRow.getByTestId('used-by').textContent(), { timeout: 10_000 }).toBe('Not used by any flow or connection yet');
    const sourceId = (await sourceRow.getAttribute('data-id')) as string;

    // The orders flow: requests to the shop → a webhook.
    await click(aside.getByRole('link', { name: 'Flows', exact: true }));
    await click(page.getByTestId('new-flow'));
    await page.waitForURL(/\/flows\/new$/);
    await fill(page.getByTestId('flow-name'), 'Orders');
    const trigger = page.getByTestId(`palette-source-${sourceId}`);
    await trigger.waitFor({ timeout: 15_000 });
    await canvas.dropOnCanvas(trigger, { x: 20, y: 40 });
    await canvas.dropOnCanvas(page.getByTestId('palette-webhook'), { x: 20, y: 260 });
    for (const id of ['trigger_1', 'webhook_1']) await page.getByTestId(`node-${id}`).waitFor();
    await canvas.connect('trigger_1', 'webhook_1');
    await expect.poll(() => page.locator('.react-flow__edge').count(), { timeout: 10_000 }).toBe(1);
    await click(page.getByTestId('node-webhook_1'));
    await fill(page.getByTestId('webhook-url'), `${receiver.url}/orders`);
    await click(page.getByTestId('save-flow'));
    await page.waitForURL(/\/flows\/flw_/, { timeout: 15_000 });
    const flowId = /\/flows\/([^/?#]+)/.exec(page.url())![1];

    // Flows: the list counts the webhook step (it said "0").
    await click(aside.getByRole('link', { name: 'Flows', exact: true }));
    await page.waitForURL(/\/flows$/);
    const flowRow = page.getByTestId(`flow-${flowId}`);
    await expect.poll(() => flowRow.getByTestId('flow-webhooks').textContent(), { timeout: 10_000 }).toBe('1 webhook');

    // Webhooks: the flow's step is there, marked with its flow; editing it leads to the flow.
    await click(aside.getByRole('link', { name: 'Webhooks', exact: true }));
    await page.waitForURL(/\/webhooks$/);
    const hookRow = page.getByTestId('webhook-row').filter({ hasText: `${receiver.url}/orders` });
    await hookRow.waitFor({ timeout: 10_000 });
    expect(await hookRow.getByTestId('webhook-flow').textContent()).toBe('in flow Orders');
    expect(await hookRow.getByTestId('webhook-sends').textContent()).toBe('requests to the source “shop”');
    await b.screenshot('navigation-webhooks');
    await click(hookRow.getByTestId('webhook-edit-in-flow'));
    await page.waitForURL(new RegExp(`/flows/${flowId}$`));
    await page.getByTestId('node-webhook_1').waitFor();

    // The source and the destination say which flow uses them; the flow's name leads to it.
    await click(aside.getByRole('link', { name: 'Sources', exact: true }));
    await expect.poll(() => sourceRow.getByTestId('used-by').textContent(), { timeout: 10_000 }).toBe('Used by: flow Orders');
    await b.screenshot('navigation-source-used-by');
    await click(aside.getByRole('link', { name: 'Destinations', exact: true }));
    await page.waitForURL(/\/destinations$/);
    const destRow = page.getByTestId('destination-row').filter({ hasText: `${receiver.url}/orders` });
    await expect.poll(() => destRow.getByTestId('used-by').textContent(), { timeout: 10_000 }).toBe('Used by: flow Orders');
    await click(destRow.getByTestId('used-by-flow'));
    await page.waitForURL(new RegExp(`/flows/${flowId}$`));

    // The receiver for trying without an endpoint is a "Test receiver" wherever it is read.
    await click(aside.getByRole('link', { name: 'Destinations', exact: true }));
    await click(page.getByRole('button', { name: 'New test receiver' }));
    const form = page.getByTestId('mock-api-form');
    expect(await form.getByRole('heading').textContent()).toBe('New test receiver');
    await fill(form.getByLabel('Name'), 'try-it');
    await click(form.getByRole('button', { name: 'Create test receiver' }));
    await expect
      .poll(() => page.getByTestId('mock-requests').getByRole('heading', { level: 2 }).textContent(), { timeout: 10_000 })
      .toContain('Test receiver “try-it”: received requests');
    const mockRow = page.getByTestId('destination-row').filter({ hasText: 'try-it' });
    await mockRow.waitFor();
    expect(await mockRow.locator('td').nth(1).textContent()).toBe('Test receiver');
    expect(await page.locator('main').textContent()).not.toMatch(/mock api/i);
    await b.screenshot('navigation-test-receiver');

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`[navigation story] ${count.clicks} clicks, ${count.drags} drags, ${count.fields} typed fields, ${seconds} s`);
  }, 180_000);
});
