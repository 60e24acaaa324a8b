// Issue 4's outcome in a real browser, with a Google Sheet at the end: a first-time user signs up,
// uploads a service-account key in Settings, drags "Lead captured" → "Map fields" → "Google Sheet"
// onto the canvas, maps name, email and phone by dragging the sample's fields onto the sheet's
// columns, sees in Test the exact row that would be written, saves, and after a lead is published
// finds that row in the (fake) Google Sheet and the delivery SUCCESSFUL in the events log; the
// reopened flow shows the same graph. What the user had to do is counted and printed.
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGoogleSheets, type FakeGoogleSheets } from './support/fakes/google-sheets.ts';
import { portalStory, sentBodyInEventsLog, signUp } from './support/portal.ts';

// The catalogue's sample of lead.captured carries the same name, email and phone, so the row Test
// shows before saving is the row the published lead must write.
const lead = {
  lead_id: 'lead_e2e_sheet',
  name: 'Jane Smith',
  email: 'jane@example.com',
  phone: '+15555550123',
  chatbot_name: 'Acme Plumbing Bot',
  intent: 'request_quote',
};
const COLUMNS = ['name', 'email', 'phone'];
// What the connector sends: a leading "+" would make Sheets (USER_ENTERED) read a number, so the
// phone goes with an apostrophe that keeps it as text and is not shown in the cell.
const ROW_SENT = ['Jane Smith', 'jane@example.com', "'+15555550123"];
const ROW_SHOWN = ['Jane Smith', 'jane@example.com', '+15555550123'];

describe('portal: a lead → Google Sheet flow drawn on the canvas writes exactly the row Test showed', () => {
  let google: FakeGoogleSheets;
  beforeAll(async () => {
    google = await startFakeGoogleSheets({ title: 'Leads 2026' });
  });
  afterAll(async () => {
    await google?.close();
  });
  // After the fake's hooks: the hub starts once it listens, and closes before it does.
  const portal = portalStory(() => ({ vendorUrls: { googleSheets: google.url } }));

  // What the user had to do, reported at the end.
  const { count, click, fill } = portal;

  /**
   * Drags a sample field onto a column's row in the side panel. A drag that scrolls the panel on the
   * way drops off target, so should the row be out of sight, first turn the wheel, as a user would,
   * until it is just in sight (counted); the fields' strip sticks to the top of the panel, so the
   * field must show then, and the mouse takes it from the visible part of the field to the row.
   */
  async function dragInPanel(field: Locator, target: Locator): Promise<void> {
    const { page } = portal;
    const scroller = page.locator('.flow-panel');
    const view = (await scroller.boundingBox())!;
    const row = (await target.boundingBox())!;
    const by = Math.ceil(row.y + row.height + 4 - (view.y + view.height));
    if (by > 0) {
      count.scrolls++;
      const before = await scroller.evaluate((e) => e.scrollTop);
      await page.mouse.move(view.x + view.width / 2, view.y + view.height / 2);
      await page.mouse.wheel(0, by);
      await expect.poll(() => scroller.evaluate((e) => e.scrollTop), { timeout: 10_000 }).toBeGreaterThan(before);
    }
    const from = (await field.boundingBox())!;
    const to = (await target.boundingBox())!;
    const top = Math.max(from.y, view.y);
    const bottom = Math.min(from.y + from.height, view.y + view.height);
    expect(bottom - top, 'the field shows while its column is in sight').toBeGreaterThanOrEqual(10);
    expect(to.y + to.height, 'the column is in sight').toBeLessThanOrEqual(view.y + view.height);
    count.drags++;
    await page.mouse.move(from.x + from.width / 2, (top + bottom) / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
    await page.mouse.up();
  }

  /** The row a sheet table under `container` shows: each column's cell, in the columns' order. */
  async function shownRow(container: Locator): Promise<string[]> {
    return Promise.all(COLUMNS.map(async (c) => (await container.getByTestId(`sheet-cell-${c}`).textContent()) ?? ''));
  }

  it('signs up, uploads the key, draws lead → map → sheet, tests the row, saves, and the published lead becomes that row', async () => {
    const started = Date.now();
    const { hub, b, canvas, page } = portal;
    const token = await signUp(page, hub.url, { click, fill });
    const api = (method: 'get' | 'post', url: string, key = token) => hub.api(method, `/api/v1${url}`, key);

    // --- Settings: the Google service account, uploaded as the JSON file Google gives -----------
    await click(page.getByRole('link', { name: 'Settings' }));
    await page.waitForURL(/\/settings$/);
    await click(page.getByTestId('google-add'));
    count.fields++;
    await page
      .getByTestId('google-file')
      .setInputFiles({ name: 'wirehub-writer.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(google.serviceAccountKey(), null, 2)) });
    await page.getByTestId('google-file-loaded').waitFor();
    await click(page.getByTestId('google-save'));
    await expect.poll(() => page.getByTestId('google-client-email').textContent(), { timeout: 10_000 }).toBe(google.clientEmail);
    expect(await page.getByTestId('google-share').textContent()).toContain(google.clientEmail);
    expect(await page.locator('main').textContent()).not.toContain('PRIVATE KEY');
    await b.screenshot('sheets-settings');

    // --- Flows → New flow → name it -------------------------------------------------------------
    await click(page.getByRole('link', { name: 'Flows' }));
    await page.waitForURL(/\/flows$/);
    await click(page.getByTestId('new-flow'));
    await page.waitForURL(/\/flows\/new$/);
    await fill(page.getByTestId('flow-name'), 'Leads to Sheet');

    // Drag "Lead captured", "Map fields" and "Google Sheet" onto the canvas, one under the other.
    const trigger = page.getByTestId('palette-trigger-lead.captured');
    await trigger.waitFor({ timeout: 15_000 });
    expect(await trigger.textContent()).toContain('Lead captured');
    expect(await page.getByTestId('palette-map').textContent()).toContain('Map fields');
    expect(await page.getByTestId('palette-sheets').textContent()).toContain('Google Sheet');
    await canvas.dropOnCanvas(trigger, { x: 20, y: 40 });
    await canvas.dropOnCanvas(page.getByTestId('palette-map'), { x: 20, y: 220 });
    await canvas.dropOnCanvas(page.getByTestId('palette-sheets'), { x: 20, y: 400 });
    for (const id of ['trigger_1', 'map_1', 'sheets_1']) await page.getByTestId(`node-${id}`).waitFor();

    // The dropped sheet's panel is open: it already uses the uploaded key and says whom to share with.
    const panel = page.getByTestId('node-panel');
    await expect.poll(() => panel.getByTestId('sheets-credential-email').textContent(), { timeout: 10_000 }).toBe(google.clientEmail);
    await fill(panel.getByTestId('sheets-spreadsheet'), `https://docs.google.com/spreadsheets/d/${google.spreadsheetId}/edit#gid=0`);
    expect(await panel.getByTestId('sheets-tab').inputValue()).toBe('Sheet1');
    await fill(panel.getByTestId('sheets-column-input'), COLUMNS.join(', '));
    await click(panel.getByTestId('sheets-add-column'));
    for (const c of COLUMNS) await panel.getByTestId(`sheets-column-${c}`).waitFor();
    expect(await panel.getByTestId('sheets-columns').textContent()).toMatch(/name.*email.*phone/);

    // Test connection reaches the (fake) spreadsheet with the uploaded key, without writing to it.
    await click(panel.getByTestId('test-connection'));
    const reached = panel.getByTestId('test-connection-result');
    await expect.poll(() => reached.textContent(), { timeout: 10_000 }).toMatch(/^✓ Connected to "Leads 2026", sheet "Sheet1"/);
    expect(await reached.textContent()).toContain('the header row will be written');
    expect(google.grid()).toEqual([]);

    // Connect lead → map → sheet with the sheet's panel still open: the canvas keeps every node and its handles in sight beside it.
    const inCanvas = async (id: string) => {
      const h = (await page.getByTestId(`node-${id}`).locator('.react-flow__handle.source').boundingBox())!;
      const c = (await page.getByTestId('canvas').boundingBox())!;
      return h.x >= c.x && h.x + h.width <= c.x + c.width && h.y >= c.y && h.y + h.height <= c.y + c.height;
    };
    for (const id of ['trigger_1', 'map_1']) expect(await inCanvas(id), `${id}'s handle beside the open panel`).toBe(true);
    await canvas.connect('trigger_1', 'map_1');
    await canvas.connect('map_1', 'sheets_1');
    await expect.poll(() => page.locator('.react-flow__edge').count(), { timeout: 10_000 }).toBe(2);

    // The map step now lists the sheet's columns as the fields to fill: drag name, email, phone onto them.
    await click(page.getByTestId('node-map_1'));
    const sampleFields = panel.getByLabel('Sample fields');
    await expect.poll(() => panel.getByTestId('map-missing').textContent(), { timeout: 10_000 }).toBe('Still empty: name, email, phone');
    for (const c of COLUMNS)
      await dragInPanel(sampleFields.getByRole('button', { name: c, exact: true }), panel.getByTestId(`target-${c}`).locator('.mapping-target'));
    for (const c of COLUMNS) await expect.poll(() => panel.getByTestId(`target-${c}`).getByLabel('Source').inputValue(), { timeout: 10_000 }).toBe(`data.${c}`);
    expect(await panel.getByTestId('map-missing').count()).toBe(0);

    // No problems anywhere on the canvas.
    await expect.poll(() => page.locator('.flow-toolbar').textContent(), { timeout: 10_000 }).toContain('Ready to save');
    expect(await page.locator('[data-testid^="problems-"]').count()).toBe(0);

    // Test, before saving: the sample runs through the unsaved graph; the sheet node shows the row.
    await click(page.getByTestId('test-open'));
    await click(page.getByTestId('test-run'));
    const inDrawer = page.getByTestId('test-output-sheets_1');
    await inDrawer.waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('test-status-sheets_1').textContent()).toBe('passed');
    expect(await page.getByTestId('test-badge-trigger_1').textContent()).toContain('passed');
    expect(await page.getByTestId('test-status-map_1').textContent()).toBe('passed');
    // The row, column by column, in the drawer and on the node; the phone's apostrophe explained.
    const testedRow = await shownRow(inDrawer);
    expect(testedRow).toEqual(ROW_SENT);
    expect(await inDrawer.getByTestId('sheet-row-hint').textContent()).toBe("phone: shown in Sheets without the leading '");
    const onNode = page.getByTestId('test-output-node-sheets_1');
    expect(await shownRow(onNode)).toEqual(ROW_SENT);
    expect(await onNode.getByTestId('sheet-row-hint').textContent()).toContain('phone');
    expect(google.grid()).toEqual([]);
    // What the sheet would get comes first in the drawer, in sight without scrolling; the canvas fits all three nodes above the drawer.
    const drawerBody = (await page.locator('.flow-drawer-body').boundingBox())!;
    const rowShown = (await inDrawer.locator('table').boundingBox())!;
    expect(rowShown.y + rowShown.height, 'the tested row in sight in the drawer').toBeLessThanOrEqual(drawerBody.y + drawerBody.height);
    expect(await page.locator('.flow-drawer-body').evaluate((e) => e.scrollTop)).toBe(0);
    const aboveDrawer = async () => {
      const node = (await page.getByTestId('node-sheets_1').boundingBox())!;
      return node.y + node.height <= (await page.getByTestId('test-drawer').boundingBox())!.y;
    };
    await expect.poll(aboveDrawer, { timeout: 10_000 }).toBe(true);
    await b.screenshot('sheets-canvas-tested');
    await click(page.getByTestId('test-close'));
    const drawn = await canvas.positions();

    // Save: a Google Sheet destination and its connection, no secrets to copy.
    await click(page.getByTestId('save-flow'));
    await page.waitForURL(/\/flows\/flw_/, { timeout: 15_000 });
    const flowId = /\/flows\/([^/?#]+)/.exec(page.url())![1];
    await page.getByTestId('saved-at').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('flow-secrets').count()).toBe(0);
    const secondsToSaved = ((Date.now() - started) / 1000).toFixed(1);

    const stored = await api('get', `/flows/${flowId}`);
    expect(stored.status).toBe(200);
    expect(stored.body.graph.nodes.map((n: { id: string }) => n.id).sort()).toEqual(['map_1', 'sheets_1', 'trigger_1']);
    expect(stored.body.graph.edges.map((e: { source: string; target: string }) => `${e.source}>${e.target}`).sort()).toEqual([
      'map_1>sheets_1',
      'trigger_1>map_1',
    ]);
    const sheetNode = stored.body.graph.nodes.find((n: { id: string }) => n.id === 'sheets_1');
    expect(sheetNode.data).toMatchObject({ sheetName: 'Sheet1', columns: COLUMNS });
    expect(sheetNode.data.destinationId).toMatch(/^des_/);
    const dest = await api('get', `/destinations/${sheetNode.data.destinationId as string}`);
    expect(dest.status).toBe(200);
    expect(dest.body.type).toBe('google-sheets');
    expect(JSON.stringify(dest.body)).not.toContain('PRIVATE KEY');

    // Publish a lead through the API with a key made from the session.
    const key = await api('post', '/api-keys').send({ name: 'e2e', scopes: ['read', 'write'] });
    expect(key.status).toBe(201);
    const published = await api('post', '/publish', key.body.key).send({ eventType: 'lead.captured', data: lead, customerId: 'cus_a1b2c3' });
    expect(published.status).toBe(202);

    // The sheet: the header row the columns made, then exactly the row Test showed (as Sheets displays it).
    await expect.poll(() => google.grid().length, { timeout: 10_000 }).toBe(2);
    expect(google.grid()).toEqual([COLUMNS, ROW_SHOWN]);
    const [header, row] = google.grid();
    expect(header).toEqual(['name', 'email', 'phone']);
    expect(row).toEqual([lead.name, lead.email, lead.phone]);
    const appends = google.requests.filter((r) => r.method === 'POST' && r.path.endsWith(':append'));
    expect(appends.map((r) => (r.body as { values: unknown[][] }).values)).toEqual([[testedRow]]);

    // The events log shows the delivery SUCCESSFUL, with the row it sent.
    const bodyText = await sentBodyInEventsLog(page, { click }, '"Jane Smith"');
    for (const s of ROW_SENT) expect(bodyText).toContain(JSON.stringify(s));
    const sentBody = page.getByTestId('event-detail').getByTestId('sent-body');
    await expect.poll(() => sentBody.getByTestId('sheet-cell-name').count(), { timeout: 10_000 }).toBe(1);
    expect(await shownRow(sentBody)).toEqual(ROW_SENT);
    expect(await sentBody.getByTestId('sheet-row-hint').textContent()).toContain('phone');
    // A long reply does not widen the page past the window.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    expect(await page.getByTestId('event-detail').textContent()).toContain('SUCCESSFUL');
    await b.screenshot('sheets-events-log');
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `lead → Sheet: ${count.clicks} clicks, ${count.drags} drags, ${count.fields} fields, ${seconds} s (sign-up to row-in-sheet-and-inspected; saved after ${secondsToSaved} s; fields include 1 key file chosen; + ${count.scrolls} scrolls to bring a column or the tested row in sight; the events log showed the delivery by itself, no Refresh)`,
    );

    // Back to Flows, reopen: the same graph, the sheet's delivery in its 24 h counts.
    await page.getByRole('link', { name: 'Flows' }).click();
    await page.waitForURL(/\/flows$/);
    await page.getByTestId(`flow-${flowId}`).getByRole('link', { name: 'Leads to Sheet' }).click();
    await page.waitForURL(new RegExp(`/flows/${flowId}$`));
    await page.getByTestId('node-sheets_1').waitFor();
    expect(await page.getByTestId('flow-name').inputValue()).toBe('Leads to Sheet');
    await expect.poll(() => page.locator('.react-flow__node').count(), { timeout: 10_000 }).toBe(3);
    await expect.poll(() => page.locator('.react-flow__edge').count(), { timeout: 10_000 }).toBe(2);
    const reopened = await canvas.positions();
    expect(Object.keys(reopened).sort()).toEqual(['map_1', 'sheets_1', 'trigger_1']);
    for (const id of Object.keys(drawn)) {
      expect(Math.abs(reopened[id].x - drawn[id].x)).toBeLessThanOrEqual(3);
      expect(Math.abs(reopened[id].y - drawn[id].y)).toBeLessThanOrEqual(3);
    }
    expect(await page.getByTestId('node-trigger_1').textContent()).toContain('lead.captured');
    expect(await page.getByTestId('node-map_1').textContent()).toContain('3 fields');
    expect(await page.getByTestId('node-sheets_1').textContent()).toContain('Sheet1, 3 columns');
    expect(await page.locator('[data-testid^="problems-"]').count()).toBe(0);
    await page.getByTestId('node-map_1').click();
    for (const c of COLUMNS) expect(await panel.getByTestId(`target-${c}`).getByLabel('Source').inputValue()).toBe(`data.${c}`);
    await expect.poll(async () => Number.parseInt((await page.getByTestId('stats-delivered-sheets_1').textContent()) ?? '0', 10), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId('stats-failed-sheets_1').textContent()).toBe('0 failed');
    await b.screenshot('sheets-canvas-reopened');
  }, 120_000);
});
