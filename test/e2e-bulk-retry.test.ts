// The events log's bulk retry in a real browser: six deliveries fail for good, the receiver comes
// back, the user filters the log to the failures, reads how many events the retry will touch,
// confirms, watches the progress reach the end, and every event is delivered once more.
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portalStory, signUp } from './support/portal.ts';
import { waitFor } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

describe('portal: retry everything matching the events log filter', () => {
  // More failures than auto-disable allows by default: the point is a pile of FAILED events.
  const portal = portalStory({ autoDisableAfter: 1000 });
  let flaky: Awaited<ReturnType<typeof startReceiver>>;
  let up = false;

  beforeAll(async () => {
    flaky = await startReceiver(() => (up ? { status: 200, body: 'ok' } : { status: 503, body: 'down for maintenance' }));
  });
  afterAll(async () => {
    await flaky?.close();
  });

  it('filters to the failures, confirms the count, shows progress to the end, and delivers each again', async () => {
    const { hub, page } = portal;
    const act = { click: (l: Locator) => l.click(), fill: (l: Locator, text: string) => l.fill(text) };
    const token = await signUp(page, hub.url, act);
    const api = (method: 'get' | 'post', url: string) => hub.api(method, `/api/v1${url}`, token);

    const src = (await api('post', '/sources').send({ name: 'shop' }).expect(201)).body as { id: string };
    const des = (
      await api('post', '/destinations')
        .send({ name: 'warehouse', config: { url: `${flaky.url}/orders` } })
        .expect(201)
    ).body as { id: string };
    // No retries: the first failure is final, so the events end FAILED at once.
    await api('post', '/connections')
      .send({ name: 'orders', source_id: src.id, destination_id: des.id, rules: [{ type: 'retry', count: 0 }] })
      .expect(201);
    for (let i = 0; i < 6; i++) await hub.api('post', `/e/${src.id}`).send({ order: i }).expect(200);
    await waitFor(async () => ((await api('get', '/events/count?status=FAILED')).body as { count: number }).count === 6, 20_000, 'six failed events');
    expect(flaky.received).toHaveLength(6);

    up = true;
    await act.click(page.getByRole('link', { name: 'Events log' }));
    await page.getByTestId('events-filter-status').selectOption('FAILED');
    await expect.poll(() => page.getByTestId('event-row').count(), { timeout: 10_000 }).toBe(6);

    await act.click(page.getByTestId('bulk-retry-open'));
    await expect.poll(() => page.getByTestId('bulk-retry-count').textContent(), { timeout: 10_000 }).toBe('6 events');
    await page.screenshot({ path: 'test/artifacts/events-bulk-confirm.png' });
    await act.click(page.getByTestId('bulk-retry-start'));

    const progress = page.getByTestId('bulk-retry-progress');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 20_000 }).toBe('completed');
    expect(await page.getByTestId('bulk-retry-processed').textContent()).toContain('6 of 6');
    await page.screenshot({ path: 'test/artifacts/events-bulk-done.png' });

    // Each event went out exactly once more, and the log now counts them delivered.
    await waitFor(async () => ((await api('get', '/events/count?status=SUCCESSFUL')).body as { count: number }).count === 6, 20_000, 'six delivered events');
    expect(flaky.received).toHaveLength(12);
    const bodies = flaky.received.slice(6).map((r) => (JSON.parse(r.body.toString('utf8')) as { order: number }).order);
    expect(bodies.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const ops = (await api('get', '/events/bulk_operations?bucket=history').expect(200)).body as { models: { processed_count: number; state: string }[] };
    expect(ops.models.map((o) => [o.state, o.processed_count])).toEqual([['completed', 6]]);
  });
});
