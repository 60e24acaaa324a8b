// The portal's day-to-day pages in a real browser: sources, destinations and connections made
// through the API show up with what a user needs (ingest URL, target, rules, status); disabling a
// destination and pausing a connection from the page is what the API then reports; a destination
// paused by Wirehub (its circuit open) reads apart from a disabled one, with the next probe; the event type
// catalogue shows schemas and samples, and declaring a custom type puts the API's errors next to
// the field they are about.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBrowser } from './support/browser.ts';
import { closePortal, signUp, startPortal } from './support/portal.ts';
import type { TestHub } from './support/hub.ts';
import type { startReceiver } from './support/receiver.ts';

const T = { timeout: 10_000 };
const nav = (page: Page, name: string) => page.locator('aside').getByRole('link', { name, exact: true }).click();

describe('portal: sources, destinations, connections and event types', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let b: TestBrowser;
  let token: string;
  let key: string;
  const api = (method: 'get' | 'post' | 'delete', url: string) => hub.api(method, `/api/v1${url}`, key);

  beforeAll(async () => {
    ({ hub, receiver, b } = await startPortal());
    // The size these pages are promised to be readable at.
    await b.page.setViewportSize({ width: 1280, height: 800 });
    token = await signUp(b.page, hub.url, { click: (l) => l.click(), fill: (l, t) => l.fill(t) });
    const made = await hub.api('post', '/api/v1/api-keys', token).send({ name: 'pages', scopes: ['read', 'write'] });
    expect(made.status).toBe(201);
    key = made.body.key;
  }, 120_000);
  afterAll(() => closePortal({ hub, receiver, b }));

  it('lists what the API made, and disabling, pausing and deleting from the page is what the API reports', async () => {
    const { page } = b;

    // Before anything exists, each tab says what to do next.
    await nav(page, 'Connections');
    await page.waitForURL(/\/connections$/);
    await page.getByTestId('connections-empty').waitFor();
    expect(await page.getByTestId('connections-empty').getByRole('link', { name: 'Build a flow' }).count()).toBe(1);

    const src = await api('post', '/sources').send({ name: 'shop' });
    const des = await api('post', '/destinations').send({ name: 'crm', config: { url: `${receiver.url}/crm` } });
    expect([src.status, des.status]).toEqual([201, 201]);
    const conn = await api('post', '/connections').send({
      name: 'paid',
      source_id: src.body.id,
      destination_id: des.body.id,
      rules: [
        { type: 'filter', body: { type: 'order.paid' } },
        { type: 'retry', strategy: 'linear', count: 3, interval: 60_000 },
      ],
    });
    expect(conn.status).toBe(201);

    // Sources: the source with its ingest URL and a copy button.
    await nav(page, 'Sources');
    await page.waitForURL(/\/sources$/);
    const srcRow = page.getByTestId('source-row').filter({ hasText: 'shop' });
    await srcRow.waitFor();
    expect(await srcRow.getByTestId('source-url').textContent()).toBe(src.body.url);
    expect(src.body.url).toMatch(new RegExp(`/e/${src.body.id}$`));
    expect(await srcRow.getByTestId('status').textContent()).toBe('enabled');
    expect(await srcRow.getByTestId('source-copy-url').isVisible()).toBe(true);
    // The URL on the page is the one that takes requests.
    const ingest = await hub.api('post', `/e/${src.body.id}`).send({ type: 'order.paid', amount: 42 });
    expect(ingest.status).toBe(200);
    await b.screenshot('pages-sources');

    // Destinations: what it writes to; disable it from the page.
    await page.getByTestId('tab-destinations').click();
    await page.waitForURL(/\/destinations$/);
    const desRow = page.getByTestId('destination-row').filter({ hasText: 'crm' });
    await desRow.waitFor();
    expect(await desRow.getByTestId('destination-target').textContent()).toBe(`POST ${receiver.url}/crm`);
    expect(await desRow.getByTestId('status').textContent()).toBe('enabled');
    await desRow.getByTestId('destination-disable').click();
    await expect.poll(() => desRow.getByTestId('status').textContent(), T).toContain('disabled');
    expect(await desRow.getByTestId('status').textContent()).toContain('disabled by a user');
    const disabled = await api('get', `/destinations/${des.body.id}`);
    expect(disabled.body.disabled_at).not.toBeNull();
    expect(disabled.body.disabled_reason).toBe('disabled by a user');
    // A disabled destination points at its events.
    expect(await desRow.getByTestId('destination-failing').getAttribute('href')).toBe(`/events?destination_id=${des.body.id}`);
    expect(await desRow.getByTestId('destination-enable').isVisible()).toBe(true);
    await b.screenshot('pages-destinations');

    // Deleting it asks first, naming the connection that goes with it; Cancel keeps everything.
    await desRow.getByTestId('destination-delete').click();
    const confirm = page.getByTestId('confirm-delete');
    await expect.poll(() => confirm.getByTestId('confirm-also').textContent(), T).toContain('shop -> paid');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-delete-no');
    await b.screenshot('pages-destination-confirm-delete');
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'detached' });
    expect((await api('get', `/destinations/${des.body.id}`)).status).toBe(200);

    // Connections: route and rules in words; pause it from the page.
    await page.getByTestId('tab-connections').click();
    await page.waitForURL(/\/connections$/);
    const connRow = page.getByTestId('connection-row').filter({ hasText: 'paid' });
    await connRow.waitFor();
    expect(await connRow.getByTestId('connection-route').textContent()).toContain('shop → crm');
    expect(await connRow.getByTestId('connection-route').textContent()).toContain('its destination is disabled');
    const rules = (await connRow.getByTestId('connection-rules').textContent()) ?? '';
    expect(rules).toContain('Only when body {"type":"order.paid"}');
    expect(rules).toContain('Retry 3× (linear, every 1 min)');
    expect(await connRow.getByTestId('status').textContent()).toBe('active');
    await connRow.getByTestId('connection-pause').click();
    await expect.poll(() => connRow.getByTestId('status').textContent(), T).toBe('paused');
    const paused = await api('get', `/connections/${conn.body.id}`);
    expect(paused.body.paused_at).not.toBeNull();
    expect(paused.body.disabled_at).toBeNull();
    expect(await connRow.getByTestId('connection-unpause').isVisible()).toBe(true);
    await b.screenshot('pages-connections');

    // A source's "Connections" link filters this tab to it.
    await nav(page, 'Sources');
    await page.getByTestId('source-row').filter({ hasText: 'shop' }).getByTestId('source-connections').click();
    await page.waitForURL(new RegExp(`/connections\\?source_id=${src.body.id}$`));
    await page.getByTestId('connections-filter').waitFor();
    await page.getByTestId('connection-row').filter({ hasText: 'paid' }).waitFor();
    expect(await page.getByTestId('connection-row').count()).toBe(1);
    expect(await page.getByTestId('connections-filter').textContent()).toContain('source “shop”');

    // Deleting the source from the page removes its connection too.
    await nav(page, 'Sources');
    await page.getByTestId('source-row').filter({ hasText: 'shop' }).getByTestId('source-delete').click();
    await expect.poll(() => page.getByTestId('confirm-delete').getByTestId('confirm-also').textContent(), T).toContain('paid');
    await page.getByTestId('confirm-delete-yes').click();
    await page.getByTestId('sources-empty').waitFor();
    expect((await api('get', `/sources/${src.body.id}`)).status).toBe(404);
    expect((await api('get', `/connections/${conn.body.id}`)).status).toBe(404);
  }, 120_000);

  it('shows a destination paused by Wirehub, apart from disabled, with why and when it is tried again', async () => {
    const { page } = b;
    // A webhook made in the page with its own limit on deliveries at once.
    await nav(page, 'Webhooks');
    await page.waitForURL(/\/webhooks$/);
    await page.getByRole('button', { name: 'New webhook' }).click();
    await page.getByLabel('Name').fill('slow-hook');
    await page.getByLabel('Endpoint URL').fill(`${receiver.url}/slow-hook`);
    await page.getByLabel('Deliveries at once').fill('3');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const hookRow = page.getByTestId('webhook-row').filter({ hasText: 'slow-hook' });
    await hookRow.waitFor();
    const hook = (await api('get', '/webhooks')).body.models.find((w: { name: string }) => w.name === 'slow-hook');
    expect(hook).toMatchObject({ max_concurrency: 3, circuit: { state: 'closed' } });
    expect(await hookRow.getByTestId('status').textContent()).toBe('active');

    const des = await api('post', '/destinations').send({ name: 'slow-crm', config: { url: `${receiver.url}/slow-crm` } });
    expect(des.status).toBe(201);
    const conn = await api('post', '/connections').send({
      name: 'to-slow',
      source_id: (await api('post', '/sources').send({ name: 'slow-shop' })).body.id,
      destination_id: des.body.id,
    });
    expect(conn.status).toBe(201);

    // The circuit as the delivery engine leaves it after 12 timeouts, next probe in 20 minutes.
    const probe = new Date(Date.now() + 20 * 60_000);
    await hub.deps.db
      .updateTable('destinations')
      .set({ circuit_failures: 12, circuit_opened_at: new Date(), circuit_probe_at: probe, circuit_reason: '12 timeouts in a row' })
      .where('id', 'in', [des.body.id, hook.destination_id])
      .execute();
    // The time in the viewer's own clock.
    const hhmm = await page.evaluate((iso) => {
      const at = new Date(iso);
      return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
    }, probe.toISOString());
    const sameDay = await page.evaluate((iso) => new Date(iso).toDateString() === new Date().toDateString(), probe.toISOString());
    // Past midnight the probe is shown with its date, so only the words before the time are certain.
    const sentence = sameDay ? `12 timeouts in a row — next probe ${hhmm}` : `12 timeouts in a row — next probe`;

    await nav(page, 'Destinations');
    await page.waitForURL(/\/destinations$/);
    const desRow = page.getByTestId('destination-row').filter({ hasText: 'slow-crm' });
    await desRow.waitFor();
    const status = desRow.getByTestId('status');
    expect(await status.getByTestId('circuit-open').locator('.badge').textContent()).toBe('Paused by Wirehub');
    expect(await status.getByTestId('circuit-reason').textContent()).toContain(sentence);
    expect(await status.getByTestId('circuit-reason').textContent()).toContain(hhmm);
    expect(await status.textContent()).not.toMatch(/disabled|enabled/);
    // The webhook's own destination shows its limit.
    expect(await page.getByTestId('destination-row').filter({ hasText: 'slow-hook' }).getByTestId('status').textContent()).toContain('3 deliveries at once');
    await b.screenshot('pages-destination-paused');

    // Disabled outranks the pause: the user's word is what the row says.
    await desRow.getByTestId('destination-disable').click();
    await expect.poll(() => status.textContent(), T).toContain('disabled');
    expect(await status.getByTestId('circuit-open').count()).toBe(0);
    await desRow.getByTestId('destination-enable').click();
    // Enabling again closes the circuit: a fresh try.
    await expect.poll(() => status.textContent(), T).toBe('enabled');
    expect((await api('get', `/destinations/${des.body.id}`)).body.circuit.state).toBe('closed');

    await nav(page, 'Webhooks');
    const hookStatus = page.getByTestId('webhook-row').filter({ hasText: 'slow-hook' }).getByTestId('status');
    await expect.poll(() => hookStatus.textContent(), T).toContain('Paused by Wirehub');
    expect(await hookStatus.textContent()).toContain(sentence);
    expect(await hookStatus.textContent()).not.toContain('active');
    await b.screenshot('pages-webhook-paused');

    // The connection into a paused destination says so too.
    await hub.deps.db
      .updateTable('destinations')
      .set({ circuit_failures: 12, circuit_opened_at: new Date(), circuit_probe_at: probe, circuit_reason: '12 timeouts in a row' })
      .where('id', '=', des.body.id)
      .execute();
    await nav(page, 'Connections');
    const connRow = page.getByTestId('connection-row').filter({ hasText: 'to-slow' });
    await connRow.waitFor();
    expect(await connRow.getByTestId('connection-destination-paused').textContent()).toContain(`its destination is paused by Wirehub: ${sentence}`);
  }, 120_000);

  it('pages through more sources than fit on one page with the API cursors', async () => {
    const { page } = b;
    const before = (await api('get', '/sources?limit=255')).body.count as number;
    const names = Array.from({ length: 53 }, (_, i) => `bulk-${String(i).padStart(2, '0')}`);
    for (const name of names) expect((await api('post', '/sources').send({ name })).status).toBe(201);
    const rest = before + names.length - 50;

    await nav(page, 'Event types'); // leave and come back, so the list loads afresh
    await nav(page, 'Sources');
    const rows = page.getByTestId('source-row');
    await expect.poll(() => rows.count(), T).toBe(50);
    // Newest first: the first page ends at bulk-03, the next one holds the three oldest (and whatever came before them).
    expect(await rows.first().textContent()).toContain('bulk-52');
    expect(await rows.last().textContent()).toContain('bulk-03');
    expect(await page.getByTestId('page-prev').isDisabled()).toBe(true);
    await page.getByTestId('page-next').click();
    await expect.poll(() => rows.count(), T).toBe(rest);
    expect((await rows.allTextContents()).slice(0, 3)).toEqual([
      expect.stringContaining('bulk-02'),
      expect.stringContaining('bulk-01'),
      expect.stringContaining('bulk-00'),
    ]);
    expect(await page.getByTestId('page-next').isDisabled()).toBe(true);
    await page.getByTestId('page-prev').click();
    await expect.poll(() => rows.count(), T).toBe(50);
    // Back exactly where it started: no row of the second page shows again on the first.
    expect(await rows.first().textContent()).toContain('bulk-52');
    expect(await rows.last().textContent()).toContain('bulk-03');
  }, 120_000);

  it('shows the catalogue, and declaring a custom type puts each error next to its field', async () => {
    const { page } = b;
    await nav(page, 'Event types');
    await page.waitForURL(/\/event-types$/);
    await page.getByTestId('event-types-empty').waitFor();

    // A built-in type opens to its schema and sample.
    const lead = page.locator('[data-testid="event-type-row"][data-name="lead.captured"]');
    expect(await lead.textContent()).toContain('built in');
    expect(await lead.getByTestId('event-type-delete').count()).toBe(0);
    await lead.getByTestId('event-type-toggle').click();
    expect(await lead.getByTestId('event-type-toggle').getAttribute('aria-expanded')).toBe('true');
    const leadDetail = page.locator('[data-testid="event-type-detail"][data-name="lead.captured"]');
    expect(await leadDetail.getByTestId('event-type-sample').textContent()).toContain('email: "jane@example.com"');
    expect(await leadDetail.getByTestId('event-type-schema').textContent()).toContain('properties');
    await lead.getByTestId('event-type-toggle').click();
    await leadDetail.waitFor({ state: 'detached' });

    await page.getByTestId('event-type-new').click();
    const form = page.getByTestId('event-type-form');
    await form.getByLabel('Name').fill('order.paid');
    await form.getByLabel('Sample event data').fill('{"order_id": "ord_1", "amount": 42}');

    // Not JSON: caught in the browser, nothing is sent.
    await form.getByLabel('JSON Schema').fill('{"type": "object",');
    await form.getByTestId('event-type-create').click();
    await expect.poll(() => form.getByTestId('error-schema').textContent(), T).toContain('is not valid JSON');
    expect(await form.getByLabel('JSON Schema').getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByTestId('error-sample').count()).toBe(0);

    // JSON, but not a JSON Schema: the API's 422 names schema.type, shown by the schema field.
    await form.getByLabel('JSON Schema').fill('{"type": "objekt"}');
    await form.getByTestId('event-type-create').click();
    await expect.poll(() => form.getByTestId('error-schema').textContent(), T).toMatch(/^type: /);
    expect(await form.getByTestId('error-general').count()).toBe(0);
    await b.screenshot('pages-event-type-bad-schema');

    // A valid schema that the sample does not satisfy: the error moves to the sample.
    const schema = {
      type: 'object',
      required: ['order_id', 'amount', 'currency'],
      properties: { order_id: { type: 'string' }, amount: { type: 'number' }, currency: { type: 'string' } },
    };
    await form.getByLabel('JSON Schema').fill(JSON.stringify(schema));
    await form.getByTestId('event-type-create').click();
    await expect.poll(() => form.getByTestId('error-sample').textContent(), T).toContain('currency: is required');
    expect(await form.getByTestId('error-schema').count()).toBe(0);

    // A reserved name is the name field's problem.
    await form.getByLabel('Sample event data').fill('{"order_id": "ord_1", "amount": 42, "currency": "EUR"}');
    await form.getByLabel('Name').fill('hub.mine');
    await form.getByTestId('event-type-create').click();
    await expect.poll(() => form.getByTestId('error-name').textContent(), T).toContain('reserved');

    let listed = await api('get', '/event-types');
    expect(listed.body.models.some((t: { builtin: boolean }) => !t.builtin)).toBe(false);

    await form.getByLabel('Name').fill('order.paid');
    await form.getByLabel('Description').fill('A customer paid an order');
    await form.getByTestId('event-type-create').click();
    await page.getByTestId('event-type-declared').waitFor();
    const row = page.locator('[data-testid="event-type-row"][data-name="order.paid"]');
    expect(await row.textContent()).toContain('custom');
    expect(await row.textContent()).toContain('A customer paid an order');
    const detail = page.locator('[data-testid="event-type-detail"][data-name="order.paid"]');
    expect(await detail.getByTestId('event-type-sample').textContent()).toContain('currency: "EUR"');
    listed = await api('get', '/event-types');
    expect(listed.body.models.find((t: { name: string }) => t.name === 'order.paid')).toEqual({
      name: 'order.paid',
      group: 'custom',
      description: 'A customer paid an order',
      schema,
      sample: { order_id: 'ord_1', amount: 42, currency: 'EUR' },
      builtin: false,
    });
    await b.screenshot('pages-event-types');

    // Delete it, after a confirmation.
    await row.getByTestId('event-type-delete').click();
    await page.getByTestId('confirm-delete-yes').click();
    await row.waitFor({ state: 'detached' });
    expect((await api('get', '/event-types/order.paid')).status).toBe(404);
  }, 120_000);
});
