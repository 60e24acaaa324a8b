// A transformation written and tried in the portal, in a real browser: the code on screen runs on
// a sample (output, console, a thrown error shown as such), is saved and added to a connection from
// the page, that connection delivers the transformed request, and the run is listed with its input and output.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/hub.ts';
import { portalStory, signUp } from './support/portal.ts';

const T = { timeout: 15_000 };

const CODE = `addHandler("transform", (request, context) => {
  console.log("tagging", request.body.order);
  request.headers["x-tag"] = env.TAG;
  request.body = { order: request.body.order, tag: env.TAG };
  return request;
});`;

describe('portal: transformations', () => {
  const portal = portalStory();
  let key: string;

  beforeAll(async () => {
    const { hub, b } = portal;
    await b.page.setViewportSize({ width: 1280, height: 900 });
    const token = await signUp(b.page, hub.url, { click: (l) => l.click(), fill: (l, t) => l.fill(t) });
    const made = await hub.api('post', '/api/v1/api-keys', token).send({ name: 'e2e', scopes: ['read', 'write'] });
    expect(made.status).toBe(201);
    key = made.body.key;
  });

  const run = async (page: Page) => {
    await page.getByTestId('transformation-run').click();
    const result = page.getByTestId('transformation-result');
    await result.waitFor(T);
    return result;
  };

  it('tries code on a sample, saves it, adds it to a connection, and shows the run a delivery made', async () => {
    const { hub, receiver, b, page } = portal;
    const api = (url: string) => hub.api('post', `/api/v1${url}`, key);
    const src = await api('/sources').send({ name: 'shop' });
    const des = await api('/destinations').send({ name: 'erp', config: { url: `${receiver.url}/erp` } });
    const conn = await api('/connections').send({ name: 'tagged', source_id: src.body.id, destination_id: des.body.id });
    expect(conn.status).toBe(201);
    await page.locator('aside').getByRole('link', { name: 'Transformations', exact: true }).click();
    await page.waitForURL(/\/transformations$/);
    await page.getByTestId('transformations-empty').waitFor(T);

    await page.getByTestId('transformation-new').click();
    await page.getByTestId('transformation-name').fill('tag-orders');
    await page.getByTestId('transformation-code').fill(CODE);
    await page.getByTestId('transformation-env').fill('TAG=vip');
    await page.getByTestId('transformation-sample').fill(JSON.stringify({ headers: {}, body: { order: 'A-1', card: '4242' }, query: {}, path: '/' }));

    // The code on screen runs before anything is saved: output and console.
    let result = await run(page);
    expect(await result.getAttribute('data-ok')).toBe('true');
    const shown = await result.textContent();
    expect(shown).toContain('vip');
    expect(shown).not.toContain('4242');
    expect(await page.getByTestId('transformation-logs').textContent()).toContain('tagging A-1');

    // A mistake is shown as the sandbox reports it, not as a broken page.
    await page.getByTestId('transformation-code').fill('addHandler("transform", () => { throw new Error("no order here"); });');
    result = await run(page);
    expect(await result.getAttribute('data-ok')).toBe('false');
    expect(await result.textContent()).toContain('no order here');

    await page.getByTestId('transformation-code').fill(CODE);
    await page.getByTestId('transformation-save').click();
    await page.getByTestId('transformation-executions').waitFor(T);
    const list = await hub.api('get', '/api/v1/transformations', key);
    expect(list.body.models.map((t: { name: string }) => t.name)).toEqual(['tag-orders']);
    const trs = list.body.models[0];
    expect(trs.env).toEqual({ TAG: 'vip' });

    // Added to a connection from the page, it transforms that connection's deliveries.
    const pick = page.getByTestId('used-by-pick');
    await pick.selectOption({ label: 'shop -> tagged' });
    await page.getByTestId('used-by-add').click();
    await expect.poll(() => page.getByTestId('used-by-connection').count(), T).toBe(1);
    expect((await hub.api('get', `/api/v1/connections/${conn.body.id}`, key)).body.rules).toEqual([{ type: 'transformation', transformation_id: trs.id }]);
    expect((await hub.api('post', `/e/${src.body.id}`).send({ order: 'B-2', card: '4242' })).status).toBe(200);
    const got = await waitFor(() => receiver.received.find((r) => r.url === '/erp'), 15_000, 'the transformed delivery');
    expect(JSON.parse(got.body.toString())).toEqual({ order: 'B-2', tag: 'vip' });
    expect(got.headers['x-tag']).toBe('vip');

    // Its run is listed with what went in and what came out.
    const runs = page.getByTestId('transformation-executions');
    await expect
      .poll(async () => {
        await runs.getByRole('button', { name: 'Refresh' }).click();
        return page.getByTestId('execution-row').count();
      }, T)
      .toBe(1);
    expect(await page.getByTestId('execution-row').getAttribute('data-status')).toBe('ok');
    await page.getByTestId('execution-row').getByRole('button').click();
    const detail = page.getByTestId('execution-detail');
    await detail.getByText('Request out').waitFor(T);
    const text = await detail.textContent();
    expect(text).toContain('4242'); // the request in
    expect(text).toContain('tagging B-2'); // its console
    await b.screenshot('transformations-editor');
  });
});
