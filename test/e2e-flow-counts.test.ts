// Issue 14, trap 2 (the canvas side) and item 9 (counts as they happen), in a real browser. A flow
// incoming webhook → filter (leads only) → deduplicate (by e-mail) → webhook is open on the canvas;
// five requests arrive: three are not leads, two are the same lead. Without a reload the trigger's
// edge says 5 arrived, the filter says 3 filtered, the dedupe step 1 duplicate, the webhook 1
// delivered (today: "1 ✓" on every edge, nothing on the steps). Then the receiver starts failing
// while the flows list is open, and the list counts the failure without a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/hub.ts';
import { portalStory, signUp } from './support/portal.ts';
import { startReceiver } from './support/receiver.ts';

describe('portal: a flow counts what arrived, what each step dropped, and failures as they happen', () => {
  // Failed deliveries give up after three quick tries, so the failure shows within the story.
  const portal = portalStory({ retrySchedule: [0, 50, 50] });
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let failing = false;
  const { count, click, fill } = portal;

  beforeAll(async () => {
    receiver = await startReceiver(() => (failing ? { status: 500, body: 'Internal Server Error' } : { status: 200, body: 'ok' }));
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('shows 5 arrived on the trigger edge, 3 filtered and 1 duplicate on the steps, then a failure in the flows list, without reloading', async () => {
    const { hub, b, page } = portal;
    const token = await signUp(page, hub.url, { click, fill });
    const started = Date.now();
    const before = { ...count };
    const api = (method: 'get' | 'post', path: string) => hub.api(method, `/api/v1${path}`, token);

    // Setup through the API (the building is other stories' subject).
    const source = (await api('post', '/sources').send({ name: 'Website form' })).body as { id: string };
    const node = (id: string, kind: string, data: object, x: number) => ({ id, kind, position: { x, y: 80 }, data });
    const saved = await api('post', '/flows').send({
      name: 'Website leads',
      graph: {
        nodes: [
          node('t1', 'trigger', { sourceId: source.id }, 0),
          node('f1', 'filter', { conditions: [{ field: 'body.kind', op: 'eq', value: 'lead' }], mode: 'all' }, 280),
          node('u1', 'dedupe', { window_ms: 600_000, include_fields: ['email'] }, 560),
          node('w1', 'webhook', { url: `${receiver.url}/crm`, signing: 'hmac' }, 840),
        ],
        edges: [
          { id: 't1-f1', source: 't1', target: 'f1' },
          { id: 'f1-u1', source: 'f1', target: 'u1' },
          { id: 'u1-w1', source: 'u1', target: 'w1' },
        ],
      },
    });
    expect(saved.status, saved.text).toBe(201);
    const flowId = saved.body.id as string;
    const send = async (body: object) => {
      const res = await hub.api('post', `/e/${source.id}`).set('content-type', 'application/json').send(body);
      expect(res.status, res.text).toBe(200);
    };

    // The flow on the canvas, before anything arrived; a mark on the window tells a reload apart.
    await page.goto(`${hub.url}/flows/${flowId}`);
    await page.getByTestId('node-w1').waitFor({ timeout: 15_000 });
    const arrived = page.getByTestId('edge-label-t1-f1');
    await expect.poll(() => arrived.textContent(), { timeout: 15_000 }).toBe('0 arrived');
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    await send({ kind: 'newsletter', email: 'a@example.com' });
    await send({ kind: 'newsletter', email: 'b@example.com' });
    await send({ kind: 'support', email: 'c@example.com' });
    await send({ kind: 'lead', name: 'Jane Smith', email: 'jane@example.com' });
    await send({ kind: 'lead', name: 'Jane Smith', email: 'jane@example.com' });
    await waitFor(() => receiver.received.length === 1, 15_000, 'the one delivery');

    await expect.poll(() => arrived.textContent(), { timeout: 15_000 }).toBe('5 arrived');
    await expect.poll(() => page.getByTestId('stats-filtered-f1').textContent(), { timeout: 15_000 }).toBe('3 filtered');
    await expect.poll(() => page.getByTestId('stats-duplicates-u1').textContent(), { timeout: 15_000 }).toBe('1 duplicate');
    await expect.poll(() => page.getByTestId('edge-label-f1-u1').textContent(), { timeout: 15_000 }).toBe('2 passed');
    await expect.poll(() => page.getByTestId('edge-label-u1-w1').textContent(), { timeout: 15_000 }).toBe('1 passed');
    await expect.poll(() => page.getByTestId('stats-delivered-w1').textContent(), { timeout: 15_000 }).toBe('1 delivered');
    expect(await page.getByTestId('stats-failed-w1').textContent()).toBe('0 failed');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await b.screenshot('e2e-flow-counts-canvas');
    const canvasSeconds = ((Date.now() - started) / 1000).toFixed(1);

    // The flows list: 1 delivered, nothing failed. Then the receiver breaks and a new lead comes in.
    await click(page.getByRole('link', { name: 'Flows', exact: true }));
    await page.waitForURL(/\/flows$/);
    const row = page.getByTestId(`flow-counts-${flowId}`);
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toBe('1 delivered · 0 failed');
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    failing = true;
    await send({ kind: 'lead', name: 'Ann Lee', email: 'ann@example.com' });
    await waitFor(() => receiver.received.length === 4, 15_000, 'the first try and two retries');
    await expect.poll(() => page.getByTestId(`flow-failed-${flowId}`).textContent(), { timeout: 20_000 }).toBe('1 failed');
    expect(await row.getAttribute('class')).toContain('flow-row-failing');
    expect(await page.getByTestId(`flow-failed-${flowId}`).getAttribute('href')).toMatch(/^\/events\?connection_id=[^&]+&status=FAILED$/);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await b.screenshot('e2e-flow-counts-list-failure');

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const clicks = count.clicks - before.clicks;
    console.log(
      `e2e flow counts story (after sign-up; flow saved through the API): canvas counted 5 arrived / 3 filtered / 1 duplicate / 1 delivered in ${canvasSeconds} s without a reload; flows list counted the failure without a reload; ${clicks} clicks + ${count.drags - before.drags} drags, ${count.fields - before.fields} typed fields, in ${seconds} s`,
    );
  }, 150_000);
});
