// Issue 14, items 6–8, in Chromium: a canvas that helps. Dropping nodes leaves the view where it is;
// handles are easy to grab; "+" on a node's output adds the next step to its right, connected; a new
// node is "not connected yet" in grey, not red, until a save attempt; unsaved changes are shown and
// leaving asks first (a link, and closing the tab); a flow is named as people type
// ("New leads → my webhook"); a bad name reads as a sentence; the real test delivery's result and
// "Saved." land in view. Then the measured story: lead → map → webhook from landing to the first
// delivery seen in the events log (which shows it by itself, no Refresh), under 10 clicks and drags
// after sign-up (each step dropped onto the node it follows, which adds it there, connected).
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { canvasActions } from './support/canvas.ts';
import { waitFor } from './support/hub.ts';
import { countedActions, deliveryInEventsLog, measureStory, portalStory, signUp } from './support/portal.ts';

const lead = { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' };

/** The canvas's pan and zoom, as React Flow writes it on its viewport element. */
const viewport = (page: Page) => page.locator('.react-flow__viewport').evaluate((el) => (el as HTMLElement).style.transform);

/**
 * Whether the top of an element (its first 40 px, where its headline is) can be seen: inside the
 * browser window and inside every scrolling box around it.
 */
const topInView = (l: Locator) =>
  l.evaluate((el) => {
    const r = el.getBoundingClientRect();
    let top = Math.max(r.top, 0);
    let bottom = Math.min(r.top + Math.min(40, r.height), window.innerHeight);
    for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (!/(auto|scroll|hidden)/.test(s.overflowY)) continue;
      const b = p.getBoundingClientRect();
      top = Math.max(top, b.top);
      bottom = Math.min(bottom, b.bottom);
    }
    return bottom - top >= Math.min(20, r.height);
  });

describe('portal: a canvas that helps (issue 14, items 6–8)', () => {
  const portal = portalStory();

  it('keeps the view on drops, adds the next step with "+", guards unsaved changes, takes a free-text name and puts results in view', async () => {
    const started = Date.now();
    const { hub, receiver, b, page } = portal;
    const { count, click, fill } = countedActions();
    const canvas = canvasActions(page, () => count.drags++);
    const token = await signUp(page, hub.url, { click, fill });
    await click(page.getByTestId('new-flow'));
    await page.waitForURL(/\/flows\/new$/);
    await page.getByTestId('palette-trigger-lead.captured').waitFor({ timeout: 15_000 });

    // 6a. Two drops: the view does not move (it re-centred on every drop).
    const before = await viewport(page);
    await canvas.dropOnCanvas(page.getByTestId('palette-trigger-lead.captured'), { x: 40, y: 80 });
    await page.waitForTimeout(400);
    await canvas.dropOnCanvas(page.getByTestId('palette-webhook'), { x: 300, y: 320 });
    await page.waitForTimeout(600);
    expect(await viewport(page)).toBe(before);

    // 6b. New nodes are "not connected yet" in grey, not red errors, before any save attempt.
    const hook = page.getByTestId('node-webhook_1');
    expect(await hook.getAttribute('class')).not.toContain('invalid');
    expect(await hook.getAttribute('class')).toContain('pending');
    expect(await page.getByTestId('pending-webhook_1').textContent()).toBe('Not connected yet');
    expect(await hook.evaluate((el) => getComputedStyle(el).borderTopColor)).not.toBe('rgb(217, 45, 32)');
    expect(await page.locator('[data-testid^="problems-"]').count()).toBe(0);
    expect(await page.getByTestId('problem-count').count()).toBe(0);
    await b.screenshot('canvas-new-nodes-soft');

    // 6c. Handles easy to grab: at least 14 px drawn, and a press 12 px from the centre still lands on it (a 24 px+ hit area).
    const handle = page.getByTestId('node-trigger_1').locator('.react-flow__handle.source');
    const hb = (await handle.boundingBox())!;
    expect(hb.width).toBeGreaterThanOrEqual(14);
    const hit = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.closest('.react-flow__handle')?.classList.contains('source') ?? false, {
      x: hb.x + hb.width / 2 + 12,
      y: hb.y + hb.height / 2,
    });
    expect(hit).toBe(true);

    // 6d. "+" on the trigger's output: a menu of kinds; Map fields goes to its right, connected.
    await click(page.getByTestId('add-next-trigger_1'));
    await page.getByTestId('add-next-menu-trigger_1').waitFor();
    await click(page.getByTestId('add-next-trigger_1-map'));
    await page.getByTestId('node-map_1').waitFor();
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(1);
    expect(await page.locator('.react-flow__edge[data-id="e_trigger_1_map_1"]').count()).toBe(1);
    const pos = await canvas.positions();
    expect(pos.map_1.x).toBeGreaterThan(pos.trigger_1.x + 150);
    expect(Math.abs(pos.map_1.y - pos.trigger_1.y)).toBeLessThan(60);
    expect(await page.getByTestId('node-map_1').getAttribute('class')).not.toContain('invalid');
    await b.screenshot('canvas-plus-added');

    // The view slides (after 250 ms, for 200 ms) to show the added step beside its panel: wait for its output handle to be on the canvas.
    const pane = (await page.locator('.react-flow').boundingBox())!;
    await expect
      .poll(
        async () => {
          const h = await page.getByTestId('node-map_1').locator('.react-flow__handle.source').boundingBox();
          return h !== null && h.x + h.width <= pane.x + pane.width;
        },
        { timeout: 5_000 },
      )
      .toBe(true);
    await page.waitForTimeout(250);

    // Connect map → webhook with the big handles, and give the webhook its URL.
    await canvas.connect('map_1', 'webhook_1');
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(2);
    await click(hook);
    await fill(page.getByTestId('webhook-url'), `${receiver.url}/canvas`);
    await expect.poll(() => page.locator('.flow-toolbar').textContent()).toContain('Ready to save');
    expect(await page.getByTestId('pending-webhook_1').count()).toBe(0);

    // 6e. Fit view: every node in sight, none under the minimap or the zoom buttons, text at zoom 0.75 or more.
    await click(page.getByTestId('panel-close'));
    await page.locator('.react-flow__minimap').waitFor();
    await click(page.getByTestId('fit-view'));
    await page.waitForTimeout(500);
    const scale = Number(/scale\(([\d.]+)\)/.exec(await viewport(page))?.[1]);
    expect(scale).toBeGreaterThanOrEqual(0.75);
    const area = (await page.getByTestId('canvas').boundingBox())!;
    const overlays = [(await page.locator('.react-flow__minimap').boundingBox())!, (await page.locator('.react-flow__controls').boundingBox())!];
    for (const id of ['trigger_1', 'map_1', 'webhook_1']) {
      const n = (await page.getByTestId(`node-${id}`).boundingBox())!;
      expect(n.x >= area.x && n.y >= area.y && n.x + n.width <= area.x + area.width && n.y + n.height <= area.y + area.height, `${id} in the canvas`).toBe(
        true,
      );
      for (const o of overlays)
        expect(
          n.x + n.width <= o.x || o.x + o.width <= n.x || n.y + n.height <= o.y || o.y + o.height <= n.y,
          `${id} clear of the minimap and zoom buttons`,
        ).toBe(true);
    }
    await b.screenshot('canvas-fit-view');

    // 7a. Unsaved changes are shown; Save is enabled.
    expect(await page.getByTestId('unsaved').textContent()).toBe('Unsaved changes');
    expect(await page.getByTestId('save-flow').isEnabled()).toBe(true);

    // 7b. The name as people type it.
    await fill(page.getByTestId('flow-name'), 'New leads → my webhook');

    // 7c. Leaving by a link asks first; "Stay" keeps everything.
    await click(page.getByRole('link', { name: 'Events log' }));
    await page.getByTestId('leave-dialog').waitFor();
    await b.screenshot('canvas-leave-asks');
    expect(page.url()).toMatch(/\/flows\/new$/);
    await click(page.getByTestId('leave-stay'));
    await expect.poll(() => page.getByTestId('leave-dialog').count()).toBe(0);
    expect(await page.locator('.react-flow__node').count()).toBe(3);

    // 7d. Closing the tab asks too (the browser's own prompt, from beforeunload).
    const prompt = new Promise<string>((resolve) => page.once('dialog', (d) => (resolve(d.type()), void d.dismiss())));
    await page.close({ runBeforeUnload: true });
    expect(await Promise.race([prompt, page.waitForTimeout(3000).then(() => 'none')])).toBe('beforeunload');
    expect(page.isClosed()).toBe(false);

    // 8a. The real test delivery's result is in view when it arrives.
    await click(page.getByTestId('test-open'));
    await click(page.getByTestId('test-run'));
    await page.getByTestId('test-deliver-webhook_1').waitFor();
    await click(page.getByTestId('test-deliver-webhook_1'));
    const delivery = page.getByTestId('test-delivery-webhook_1');
    await expect.poll(() => delivery.textContent(), { timeout: 15_000 }).toContain('Delivered: 200');
    await expect.poll(() => topInView(delivery), { timeout: 3000 }).toBe(true);
    await b.screenshot('canvas-test-delivery-in-view');
    await click(page.getByTestId('test-close'));
    receiver.received.length = 0;

    // 8b. Save from a page scrolled down: "Saved." shows in view, the name stays as typed, nothing is unsaved.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await click(page.getByTestId('save-flow'));
    await page.waitForURL(/\/flows\/flw_/, { timeout: 15_000 });
    const saved = page.getByTestId('saved-toast');
    await saved.waitFor();
    expect(await saved.textContent()).toBe('Saved.');
    expect(await topInView(saved)).toBe(true);
    await b.screenshot('canvas-saved-in-view');
    expect(await page.getByTestId('flow-name').inputValue()).toBe('New leads → my webhook');
    await expect.poll(() => page.getByTestId('unsaved').count()).toBe(0);
    await expect.poll(() => page.getByTestId('save-flow').isEnabled()).toBe(false);
    const flowId = /\/flows\/([^/?#]+)/.exec(page.url())![1];
    const stored = await hub.api('get', `/api/v1/flows/${flowId}`, token);
    expect(stored.body.name).toBe('New leads → my webhook');

    // 7e. A bad input reads as a sentence, not `body.name: …`.
    await fill(page.getByTestId('flow-name'), '   ');
    await expect.poll(() => page.getByTestId('unsaved').count()).toBe(1);
    await click(page.getByTestId('save-flow'));
    const alert = page.getByRole('alert').filter({ hasText: 'name' });
    await alert.waitFor();
    const said = (await alert.textContent()) ?? '';
    expect(said).toContain('The name is empty: give it a name.');
    expect(said).not.toMatch(/body\.|Too small|>=1/);
    await b.screenshot('canvas-error-sentence');

    // Leaving now asks; "Leave without saving" goes, and the stored flow keeps its name.
    await click(page.getByRole('link', { name: 'Flows' }).first());
    await page.getByTestId('leave-dialog').waitFor();
    await click(page.getByTestId('leave-discard'));
    await page.waitForURL(/\/flows$/);
    expect((await hub.api('get', `/api/v1/flows/${flowId}`, token)).body.name).toBe('New leads → my webhook');

    console.log(
      `e2e canvas story (issue 14, items 6–8): ${count.clicks} clicks, ${count.drags} drags, ${count.fields} typed fields, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 150_000);

  it('measured: lead → map → webhook, from landing to the first delivery seen in the events log, in under 10 clicks and drags after sign-up', async () => {
    const { hub, receiver, b, page } = portal;
    await page.evaluate(() => localStorage.clear());
    const { count, click, fill, drag } = countedActions();
    const canvas = canvasActions(page, () => count.drags++);
    const measured = measureStory('lead → map → webhook', count);
    const token = await signUp(page, hub.url, { click, fill });
    measured.signedUp();

    await click(page.getByTestId('new-flow'));
    await page.getByTestId('palette-trigger-lead.captured').waitFor({ timeout: 15_000 });
    await canvas.dropOnCanvas(page.getByTestId('palette-trigger-lead.captured'), { x: 40, y: 80 });
    // Map fields dropped onto the trigger: it goes after it, connected, its panel open.
    await drag(page.getByTestId('palette-map'), page.getByTestId('node-trigger_1'));
    await page.getByTestId('node-map_1').waitFor();
    const panel = page.getByTestId('node-panel');
    const fields = panel.getByLabel('Sample fields');
    const list = panel.getByLabel('Fields to send').getByRole('heading', { name: 'Fields to send' });
    await drag(fields.getByRole('button', { name: 'name', exact: true }), list);
    await drag(fields.getByRole('button', { name: 'email', exact: true }), list);
    await panel.getByTestId('mapping-1').waitFor();
    // Webhook dropped onto the map step, then its URL.
    await drag(page.getByTestId('palette-webhook'), page.getByTestId('node-map_1'));
    await fill(page.getByTestId('webhook-url'), `${receiver.url}/measured`);
    expect(await page.locator('.react-flow__edge').evaluateAll((es) => es.map((e) => e.getAttribute('data-id')).sort())).toEqual([
      'e_map_1_webhook_1',
      'e_trigger_1_map_1',
    ]);
    await expect.poll(() => page.locator('.flow-toolbar').textContent()).toContain('Ready to save');
    await b.screenshot('measured-lead-map-webhook-built');
    await click(page.getByTestId('save-flow'));
    await page.waitForURL(/\/flows\/flw_/, { timeout: 15_000 });
    await b.screenshot('measured-lead-map-webhook-saved');

    // A lead comes in (the website's form, not the user).
    const key = await hub.api('post', '/api/v1/api-keys', token).send({ name: 'site', scopes: ['write'] });
    expect((await hub.api('post', '/api/v1/publish', key.body.key).send({ eventType: 'lead.captured', data: lead })).status).toBe(202);
    const [got] = await waitFor(
      () => receiver.received.filter((r) => r.url === '/measured').length > 0 && receiver.received.filter((r) => r.url === '/measured'),
      15_000,
      'the delivery',
    );
    expect(JSON.parse(got.body.toString())).toMatchObject({ name: 'Jane Smith', email: 'jane@example.com' });
    expect(JSON.parse(got.body.toString())).not.toHaveProperty('phone');

    // The user sees it in the events log, which shows it by itself (no Refresh): the lead's name and the flow's.
    const row = await deliveryInEventsLog(page, { click }, 'Jane Smith');
    measured.seen();
    expect(await row.getByTestId('event-route').textContent()).toContain('New flow');
    await b.screenshot('measured-lead-map-webhook-log');
    expect(measured.report()).toBeLessThan(10);
  }, 120_000);
});
