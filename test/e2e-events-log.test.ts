// Issue 14, trap 2 (the log) and items 9-10, walked in Chromium: a flow with a filter step gets
// five requests and lets two through. From the source's row the user opens its requests and sees
// all five with what became of each; pasting the req_ id one sender got says which step filtered
// it and what the request had. A receiver that answers 500 shows up in the log by itself (no
// Refresh) with "will retry at HH:MM (attempt 2 of 8)" and the receiver's answer in words; the
// receiver comes back, Retry now, and the row turns at once, then to delivered. Rows read as the
// lead's name and e-mail and the flow's name, not ids. A duplicate, a request held by a paused
// connection and one rejected by verification each show under Requests received with what became of
// it, and pasting its req_ id tells it in a sentence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countedActions, portalStory, signUp } from './support/portal.ts';
import { waitFor } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

type Node = { id: string; kind: string; position: { x: number; y: number }; data: Record<string, unknown> };
const node = (id: string, kind: string, x: number, data: Record<string, unknown>): Node => ({ id, kind, position: { x, y: 80 }, data });

describe('portal: the events log shows every request and explains every failure', () => {
  // After a failure the next try waits 10 minutes: the log must say when, and Retry now must not wait.
  const portal = portalStory({ retrySchedule: Array(7).fill(600_000), autoDisableAfter: 1000 });
  let flaky: Awaited<ReturnType<typeof startReceiver>>;
  let up = false;

  beforeAll(async () => {
    flaky = await startReceiver(() => (up ? { status: 200, body: 'ok' } : { status: 500, body: 'database down' }));
  });
  afterAll(async () => {
    await flaky?.close();
  });

  it('lists all five requests with outcomes, finds a filtered one by its req_ id, explains a failing receiver live, and Retry turns the row', async () => {
    const { hub, b, receiver, page } = portal;
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const started = Date.now();
    const { count, click, fill, choose } = countedActions();
    const token = await signUp(page, hub.url, { click, fill });
    const api = (method: 'get' | 'post', url: string) => hub.api(method, `/api/v1${url}`, token);

    // The setup another story builds by hand: a source, and a flow with a filter step on body.type.
    const forms = (await api('post', '/sources').send({ name: 'website forms' }).expect(201)).body as { id: string };
    const flow = await api('post', '/flows').send({
      name: 'Leads to CRM',
      graph: {
        nodes: [
          node('trigger', 'trigger', 0, { sourceId: forms.id }),
          node('only_leads', 'filter', 250, { conditions: [{ field: 'body.type', op: 'eq', value: 'lead' }], mode: 'all' }),
          node('crm', 'webhook', 500, { url: `${receiver.url}/crm`, signing: 'hmac' }),
        ],
        edges: [
          { id: 'e1', source: 'trigger', target: 'only_leads' },
          { id: 'e2', source: 'only_leads', target: 'crm' },
        ],
      },
    });
    expect(flow.status, flow.text).toBe(201);

    // Five senders; each gets the id of its request back.
    const send = async (body: object) => ((await hub.api('post', `/e/${forms.id}`).send(body).expect(200)).body as { request_id: string }).request_id;
    const ada = await send({ type: 'lead', name: 'Ada Lovelace', email: 'ada@example.com' });
    const newsletter = await send({ type: 'newsletter', email: 'reader@example.com' });
    await send({ type: 'lead', name: 'Grace Hopper', email: 'grace@example.com' });
    await send({ type: 'ping' });
    await send({ email: 'no-type@example.com' });
    await waitFor(() => receiver.received.filter((r) => r.url === '/crm').length === 2, 15_000, 'the two leads delivered');

    // From the source's row to its requests in the log.
    await page.goto(`${hub.url}/sources`);
    await click(page.getByTestId('source-row').filter({ hasText: 'website forms' }).getByTestId('source-requests'));
    await page.waitForURL(/\/events\?.*view=requests/);
    const rows = page.getByTestId('request-row');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(5);
    expect(pageErrors).toEqual([]);
    await expect.poll(() => page.locator('[data-testid="request-row"][data-outcome="delivered"]').count(), { timeout: 10_000 }).toBe(2);
    expect(await page.locator('[data-testid="request-row"][data-outcome="filtered"]').count()).toBe(3);
    const adaRow = page.locator(`[data-testid="request-row"][data-id="${ada}"]`);
    expect(await adaRow.textContent()).toContain('Ada Lovelace · ada@example.com');
    expect(await adaRow.getByTestId('request-outcome').textContent()).toContain('Delivered by the flow “Leads to CRM”');
    expect(await page.locator(`[data-testid="request-row"][data-id="${newsletter}"]`).getByTestId('request-outcome').textContent()).toContain(
      'Filtered out by the flow “Leads to CRM”',
    );
    await b.screenshot('events-log-requests');
    // Only what did not go anywhere.
    await choose(page.getByTestId('requests-filter-outcome'), 'not_sent');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(3);
    expect(await page.locator('[data-testid="request-row"][data-outcome="filtered"]').count()).toBe(3);

    // The newsletter sender asks what happened to req_…: pasted in the search, the story opens.
    await fill(page.getByTestId('events-search'), newsletter);
    await click(page.getByTestId('events-search-submit'));
    const story = page.getByTestId('request-story');
    await expect.poll(() => story.getAttribute('data-request-id'), { timeout: 10_000 }).toBe(newsletter);
    await expect.poll(() => story.getByTestId('request-story-result').textContent(), { timeout: 10_000 }).toBe('Filtered out');
    expect(await story.getByTestId('request-story-explanation').textContent()).toBe(
      'Filtered out by the filter step “body.type is "lead"” of the flow “Leads to CRM”: body.type was "newsletter".',
    );
    expect(await story.getByTestId('request-story-flow').getAttribute('href')).toMatch(/^\/flows\/flw_/);
    await b.screenshot('events-log-filtered-request');
    const foundAt = Date.now();

    // A second source delivers to a receiver that fails; the log is open on the deliveries.
    const shop = (await api('post', '/sources').send({ name: 'shop' }).expect(201)).body as { id: string };
    const crm = (
      await api('post', '/destinations')
        .send({ name: 'orders crm', config: { url: `${flaky.url}/orders` } })
        .expect(201)
    ).body as { id: string };
    await api('post', '/connections')
      .send({ name: 'orders to crm', source_id: shop.id, destination_id: crm.id, rules: [{ type: 'retry', count: 7, interval: 600_000 }] })
      .expect(201);
    await click(page.getByTestId('events-clear-filters'));
    await click(page.getByTestId('log-view-events'));
    await page.waitForURL((u) => !u.search.includes('view=requests'));
    await expect.poll(() => page.getByTestId('event-row').count(), { timeout: 10_000 }).toBe(2);
    const order = await hub
      .api('post', `/e/${shop.id}`)
      .send({ customer: { first_name: 'Alan', last_name: 'Turing', email: 'alan@example.com' }, total: 42, currency: 'gbp' })
      .expect(200);
    expect(order.body.request_id).toMatch(/^req_/);

    // No Refresh pressed: the row appears and says when and why.
    const failing = page.getByTestId('event-row').filter({ hasText: 'Alan Turing' });
    await expect
      .poll(
        () =>
          failing
            .getByTestId('event-retry-plan')
            .textContent()
            .catch(() => ''),
        { timeout: 20_000 },
      )
      .toMatch(/^Failed, will retry at \d\d:\d\d \(attempt 2 of 8\)$/);
    expect(await failing.getByTestId('event-reason').textContent()).toBe('The receiver answered 500 Internal Server Error');
    expect(await failing.getByTestId('event-route').textContent()).toBe('orders to crmto orders crm');
    expect(await failing.textContent()).toContain('Alan Turing · alan@example.com · 42 GBP');
    // The time shown is the next try the server planned, on the browser's clock.
    const planned = ((await api('get', `/events?request_id=${order.body.request_id}`).expect(200)).body as { models: { retry: { at: string } }[] }).models[0]
      .retry.at;
    const shown = await page.evaluate((iso) => {
      const d = new Date(iso);
      return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    }, planned);
    expect(await failing.getByTestId('event-retry-plan').textContent()).toContain(`at ${shown} `);
    // Its detail says the same.
    await click(failing);
    expect(await page.getByTestId('event-detail-status').textContent()).toMatch(
      /^Failed, will retry at \d\d:\d\d \(attempt 2 of 8\): the receiver answered 500 Internal Server Error$/,
    );
    await b.screenshot('events-log-will-retry');

    // The receiver is back; Retry now turns the row at once, and the log follows it to delivered.
    up = true;
    await click(failing.getByTestId('event-row-retry'));
    await expect.poll(() => failing.getAttribute('data-status'), { timeout: 1500, interval: 50 }).not.toBe('SCHEDULED');
    await expect.poll(() => failing.getAttribute('data-status'), { timeout: 15_000 }).toBe('SUCCESSFUL');
    expect(await failing.getByTestId('event-reason').count()).toBe(0);
    expect(flaky.received).toHaveLength(2);
    await b.screenshot('events-log-retried');

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `e2e events log story: ${count.clicks} clicks, ${count.drags} drags, ${count.fields} typed fields, 0 presses of Refresh, in ${seconds} s ` +
        `(sign-up to the failed row delivered; the filtered request found by its id ${((foundAt - started) / 1000).toFixed(1)} s after landing)`,
    );
  }, 180_000);

  it('shows a duplicate, a request held by a paused connection and one rejected by verification under Requests received, each with its sentence, and again by its req_ id', async () => {
    const { hub, b, receiver, page } = portal;
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.evaluate(() => localStorage.clear());
    const { click, fill, choose } = countedActions();
    const token = await signUp(page, hub.url, { click, fill });
    const create = async (url: string, body: object) => ((await hub.api('post', `/api/v1${url}`, token).send(body).expect(201)).body as { id: string }).id;
    const send = async (source: string, body: object) =>
      ((await hub.api('post', `/e/${source}`).send(body).expect(200)).body as { request_id: string }).request_id;

    // An order sent twice to a connection that keeps one copy a minute.
    const shop = await create('/sources', { name: 'shop' });
    const orders = await create('/destinations', { name: 'orders api', config: { url: `${receiver.url}/orders` } });
    await create('/connections', {
      name: 'orders once',
      source_id: shop,
      destination_id: orders,
      rules: [{ type: 'deduplicate', window: 60_000, include_fields: ['body.order_id'] }],
    });
    const first = await send(shop, { order_id: 7, total: 12.5, currency: 'eur' });
    const duplicate = await send(shop, { order_id: 7, total: 12.5, currency: 'eur' });
    // An order to a connection the user paused.
    const quiet = await create('/sources', { name: 'quiet shop' });
    const paused = await create('/connections', { name: 'held orders', source_id: quiet, destination_id: orders });
    await hub.api('put', `/api/v1/connections/${paused}/pause`, token).expect(200);
    const held = await send(quiet, { order_id: 8, total: 30, currency: 'eur' });
    // A request with the wrong API key: refused with 401, and the sender still gets its id.
    const guarded = await create('/sources', { name: 'guarded form', config: { auth: { type: 'api_key', header_key: 'x-api-key', api_key: 'right-key' } } });
    const refused = await hub.api('post', `/e/${guarded}`).set('x-api-key', 'wrong').send({ name: 'Mallory', email: 'mallory@example.com' });
    expect(refused.status).toBe(401);
    const rejected = (refused.body as { error: { details: { request_id: string } } }).error.details.request_id;
    expect(rejected).toMatch(/^req_/);
    await waitFor(() => receiver.received.some((r) => r.url === '/orders'), 15_000, 'the first order delivered');

    // The log's "Requests received": all four, each with what became of it in words.
    await click(page.getByRole('link', { name: 'Events log' }));
    await click(page.getByTestId('log-view-requests'));
    await page.waitForURL(/\/events\?.*view=requests/);
    const rows = page.getByTestId('request-row');
    const row = (id: string) => page.locator(`[data-testid="request-row"][data-id="${id}"]`);
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(4);
    await expect.poll(() => row(first).getAttribute('data-outcome'), { timeout: 10_000 }).toBe('delivered');
    // Each case: its outcome, the word and the sentence of its row, and what its story says.
    const cases = [
      {
        name: 'duplicate',
        id: duplicate,
        word: 'Duplicate, dropped',
        row: 'Dropped as a duplicate by “orders once”',
        story: '“orders once” had already received the same request in the last 60 s and dropped this copy (de-duplication).',
      },
      {
        name: 'held',
        id: held,
        word: 'On hold',
        row: 'On hold (paused) in “held orders”',
        story: '“held orders” holds it: the connection is paused, and it is delivered when you resume it.',
      },
      {
        name: 'rejected',
        id: rejected,
        word: 'Rejected',
        row: 'Rejected: it failed verification (API key in x-api-key does not match), so nothing was sent',
        story: 'Rejected: it failed verification (API key in x-api-key does not match), so nothing was sent.',
      },
    ];
    for (const c of cases) {
      expect(await row(c.id).getAttribute('data-outcome'), c.name).toBe(c.name);
      expect(await row(c.id).getByTestId('request-outcome').textContent(), c.name).toBe(`${c.word}${c.row}`);
    }
    expect(await row(rejected).textContent()).toContain('guarded form');
    expect(pageErrors).toEqual([]);
    await b.screenshot('events-log-requests-duplicate-held-rejected');

    // "What became of it" picks each kind out.
    for (const c of cases) {
      await choose(page.getByTestId('requests-filter-outcome'), c.name);
      await expect.poll(() => rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-id'))), { timeout: 10_000 }).toEqual([c.id]);
    }
    await choose(page.getByTestId('requests-filter-outcome'), '');

    // Each sender asks what happened to its req_…: pasted in the search, one after the other, each
    // opens its own story (the second used to keep the first one's open), told in a sentence.
    const story = page.getByTestId('request-story');
    for (const c of cases) {
      await fill(page.getByTestId('events-search'), c.id);
      await click(page.getByTestId('events-search-submit'));
      await expect.poll(() => story.getAttribute('data-request-id'), { timeout: 10_000 }).toBe(c.id);
      await expect.poll(() => story.getByTestId('request-story-result').textContent(), { timeout: 10_000 }).toBe(c.word);
      // A rejected request reached no connection to explain it: the story's own sentence says it.
      const sentence = c.name === 'rejected' ? story.getByTestId('request-story-text') : story.getByTestId('request-story-explanation');
      expect(await sentence.textContent(), c.name).toBe(c.story);
      if (c.name !== 'rejected') await b.screenshot(`events-log-request-${c.name}`);
    }
    // The rejected one names the source, and what the refused sender sent is there to read.
    expect(await story.textContent()).toContain('from guarded form');
    await click(story.getByText('What the sender sent'));
    await expect.poll(() => story.locator('details').first().textContent(), { timeout: 5_000 }).toContain('mallory@example.com');
    await b.screenshot('events-log-request-rejected');
    // Closed, the story stays closed (the search that opened it once does not open it again).
    await click(story.getByRole('button', { name: 'Close the request' }));
    await page.waitForTimeout(500);
    expect(await story.count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
