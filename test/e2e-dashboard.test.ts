// The dashboard in a real browser: a new user lands on it after sign-up; after a flow's traffic
// (one webhook delivers, the other answers 500, a filter turns one request away) it shows the
// totals, draws the traffic and delivery-time charts (their canvases hold each series' colour),
// redraws them for 1 h, 24 h and 7 d, puts the failing destination first with a link to its failed
// events, and the flows and destinations lists carry 24 h sparklines, one API call per list.
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/hub.ts';
import { portalStory, signUp } from './support/portal.ts';
import { startReceiver } from './support/receiver.ts';

const node = (id: string, kind: string, data: Record<string, unknown>) => ({ id, kind, position: { x: 0, y: 0 }, data });
const edge = (a: string, b: string) => ({ id: `${a}-${b}`, source: a, target: b });

/** How many pixels of a chart's canvas are close to a colour (#rrggbb): a series drawn in it leaves some. */
const pixelsOf = (page: Page, testId: string, hex: string) =>
  page
    .getByTestId(testId)
    .locator('canvas')
    .evaluate((c: HTMLCanvasElement, hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      const { data } = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 200 && Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 40) n++;
      return n;
    }, hex);
const picture = (page: Page, testId: string) =>
  page
    .getByTestId(testId)
    .locator('canvas')
    .evaluate((c: HTMLCanvasElement) => c.toDataURL());

describe('portal: the dashboard after sign-up', () => {
  const portal = portalStory({ retrySchedule: [50, 50], autoDisableAfter: 1000 });
  let failing: Awaited<ReturnType<typeof startReceiver>>;
  const { count, click, choose } = portal;

  beforeAll(async () => {
    failing = await startReceiver(() => ({ status: 500, body: 'Internal Server Error' }));
  });
  afterAll(async () => {
    await failing?.close();
  });

  it('lands on the dashboard, charts the traffic per range, puts the failing destination first and sparklines the lists', async () => {
    const started = Date.now();
    const { hub, receiver, b, page } = portal;
    const token = await signUp(page, hub.url, { click, fill: (l, t) => (count.fields++, l.fill(t)) });
    const api = (method: 'get' | 'post', url: string) => hub.api(method, `/api/v1${url}`, token);

    // The first page after sign-up: the dashboard, first in the navigation, quiet for now.
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    await page.getByTestId('dashboard-empty').waitFor();
    expect(await page.locator('aside nav a').first().textContent()).toBe('Dashboard');
    await b.screenshot('dashboard-1-first-visit');

    // Traffic: a flow from the shop's source, a filter on leads, one webhook answering 200 and one answering 500.
    const shop = (await api('post', '/sources').send({ name: 'shop' }).expect(201)).body as { id: string };
    const flow = (
      await api('post', '/flows')
        .send({
          name: 'Shop leads',
          graph: {
            nodes: [
              node('t1', 'trigger', { sourceId: shop.id }),
              node('f1', 'filter', { conditions: [{ field: 'body.type', op: 'eq', value: 'lead' }], mode: 'all' }),
              node('w1', 'webhook', { url: `${receiver.url}/leads`, signing: 'hmac' }),
              node('w2', 'webhook', { url: `${failing.url}/crm`, signing: 'hmac' }),
            ],
            edges: [edge('t1', 'f1'), edge('f1', 'w1'), edge('f1', 'w2')],
          },
        })
        .expect(201)
    ).body as { id: string; objects: { nodeId: string; destinationId: string }[] };
    const badId = flow.objects.find((o) => o.nodeId === 'w2')?.destinationId as string;
    const okId = flow.objects.find((o) => o.nodeId === 'w1')?.destinationId as string;
    const badName = ((await api('get', `/destinations/${badId}`).expect(200)).body as { name: string }).name;
    // Beside the flow, a plain connection from a CRM's source to a backup URL.
    const crm = (await api('post', '/sources').send({ name: 'crm' }).expect(201)).body as { id: string };
    const backup = (
      await api('post', '/destinations')
        .send({ name: 'Backup', config: { url: `${receiver.url}/backup` } })
        .expect(201)
    ).body as { id: string };
    await api('post', '/connections').send({ name: 'crm-backup', source_id: crm.id, destination_id: backup.id }).expect(201);
    for (const n of [1, 2, 3]) await hub.api('post', `/e/${shop.id}`).send({ type: 'lead', n }).expect(200);
    await hub.api('post', `/e/${shop.id}`).send({ type: 'newsletter' }).expect(200);
    for (const n of [1, 2]) await hub.api('post', `/e/${crm.id}`).send({ n }).expect(200);
    const events = async (q: string) => ((await api('get', `/events/count?${q}`)).body as { count: number }).count;
    await waitFor(async () => (await events('status=delivered')) === 5 && (await events('status=failed')) === 3, 30_000, '5 delivered and 3 failed for good');

    // The dashboard refreshes itself every 30 s; Refresh shows the traffic now: the totals and both charts.
    await click(page.getByRole('button', { name: 'Refresh' }));
    const tile = (name: string) => page.getByTestId(`tile-${name}`);
    await expect.poll(() => tile('delivered').textContent(), { timeout: 10_000 }).toContain('5');
    expect(await tile('requests-in').textContent()).toContain('6');
    expect(await tile('failed').textContent()).toContain('3');
    expect(await tile('filtered').textContent()).toContain('2');
    expect(await tile('latency').textContent()).toMatch(/\d+(\.\d)? (ms|s)/);
    const traffic = page.getByTestId('traffic-chart');
    expect(await traffic.getAttribute('data-series')).toBe('Requests in,Delivered,Failed,Filtered');
    expect(await traffic.getAttribute('data-points')).toBe('96');
    expect(await traffic.locator('canvas').count()).toBe(1);
    // The legend names each series, and each one's colour is on the canvas.
    for (const label of ['Requests in', 'Delivered', 'Failed', 'Filtered']) await traffic.locator('.u-legend').getByText(label, { exact: true }).waitFor();
    for (const colour of ['#2f5bea', '#12b76a', '#d92d20']) expect(await pixelsOf(page, 'traffic-chart', colour), colour).toBeGreaterThan(0);
    expect(await page.getByTestId('latency-chart').getAttribute('data-series')).toBe('p50,p95,p99');
    expect(await page.getByTestId('latency-chart').locator('canvas').count()).toBe(1);
    // Each flow's last 24 h in small multiples under the charts.
    const glance = page.getByTestId('flows-at-a-glance').getByTestId('glance-flow').first();
    await expect.poll(() => glance.textContent(), { timeout: 10_000 }).toMatch(/Shop leads.*3 delivered.*3 failed/);
    await glance.getByTestId('sparkline').locator('canvas').waitFor();
    await b.screenshot('dashboard-2-24h');
    const day = await picture(page, 'traffic-chart');

    // 1 h and 7 d: other buckets, another drawing.
    await click(page.getByRole('button', { name: '1 hour' }));
    await expect.poll(() => traffic.getAttribute('data-points')).toBe('60');
    expect(new URL(page.url()).search).toBe('?range=1h');
    const hour = await picture(page, 'traffic-chart');
    expect(hour).not.toBe(day);
    expect(await pixelsOf(page, 'traffic-chart', '#12b76a')).toBeGreaterThan(0);
    await b.screenshot('dashboard-3-1h');
    await click(page.getByRole('button', { name: '7 days' }));
    await expect.poll(() => traffic.getAttribute('data-points')).toBe('168');
    expect(await picture(page, 'traffic-chart')).not.toBe(hour);
    await b.screenshot('dashboard-4-7d');

    // Narrowed to the flow: its four requests (not twice for its two webhooks), without the CRM's.
    await choose(page.getByLabel('Flow', { exact: true }), flow.id);
    await expect.poll(() => page.url()).toContain(`flow_id=${flow.id}`);
    await expect.poll(() => tile('requests-in').textContent()).toContain('4');
    expect(await tile('delivered').textContent()).toContain('3');

    // The failing destination is first, with its failures and last error; its link opens its failed events.
    const first = page.getByTestId('failing-destination').first();
    expect(await first.getAttribute('data-id')).toBe(badId);
    expect(await first.locator('strong').textContent()).toBe(badName);
    expect(await first.textContent()).toMatch(/9 failed attempts of 9.*3 events failed for good/);
    expect(await first.getByTestId('failing-destination-error').textContent()).toContain('500');
    await b.screenshot('dashboard-5-failing');
    await click(first.getByTestId('failing-destination-events'));
    await page.waitForURL(/\/events\?/);
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({ destination_id: badId, status: 'FAILED', range: '7d' });
    await expect.poll(() => page.getByTestId('events-count').textContent(), { timeout: 10_000 }).toBe('3 events match');
    await b.screenshot('dashboard-6-failed-events');

    // Sparklines: one call for the whole flows list, one for the destinations list.
    const sparkCalls: string[] = [];
    const onRequest = (r: Request) => {
      if (r.url().includes('/api/v1/metrics/sparklines')) sparkCalls.push(r.url());
    };
    page.on('request', onRequest);
    await click(page.getByRole('link', { name: 'Flows', exact: true }));
    const flowSpark = page.getByTestId(`flow-${flow.id}`).getByTestId('sparkline');
    await flowSpark.locator('canvas').waitFor();
    expect([await flowSpark.getAttribute('data-delivered'), await flowSpark.getAttribute('data-failed')]).toEqual(['3', '3']);
    expect(await flowSpark.getAttribute('aria-label')).toBe('Last 24 hours: 3 delivered, 3 failed');
    await b.screenshot('dashboard-7-flows-sparklines');
    await click(page.getByRole('link', { name: 'Destinations', exact: true }));
    const row = (id: string) => page.locator(`[data-testid="destination-row"][data-id="${id}"]`).getByTestId('sparkline');
    await row(badId).locator('canvas').waitFor();
    expect(await row(badId).getAttribute('data-failed')).toBe('3');
    expect(await row(okId).getAttribute('data-delivered')).toBe('3');
    expect(await row(backup.id).getAttribute('data-delivered')).toBe('2');
    await b.screenshot('dashboard-8-destinations-sparklines');
    page.off('request', onRequest);
    expect(sparkCalls.map((u) => new URL(u).searchParams.get('by'))).toEqual(['flow', 'destination']);
    expect(new URL(sparkCalls[1]).searchParams.get('ids')?.split(',').sort()).toEqual([okId, badId, backup.id].sort());

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `e2e dashboard story: ${count.clicks} clicks, ${count.drags} drags, ${count.fields} typed fields, in ${seconds} s (sign-up, traffic, three ranges, a flow, the failing destination's events, both lists)`,
    );
  }, 180_000);
});
