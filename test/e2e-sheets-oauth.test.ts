// The measured story "lead → Google Sheet via OAuth", in Chromium: a first-time user signs up,
// starts a flow with the "Lead captured" trigger, a Map fields step and a Google Sheet, presses
// "Sign in with Google" (the OAuth double's consent page in a pop-up, one click on Allow), picks
// the spreadsheet and its tab from lists (the tab's header row becomes the columns), fills the map
// with one click, saves; a lead arrives, its row lands in the (fake) sheet, written with the
// signed-in account's token, and the delivery shows in the Events log. Counts and wall time are printed.
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS } from './support/browser.ts';
import { canvasActions } from './support/canvas.ts';
import { startFakeGoogleOAuth, type FakeGoogleOAuth } from './support/fakes/google-oauth.ts';
import { startFakeGoogleSheets, type FakeGoogleSheets } from './support/fakes/google-sheets.ts';
import { closePortal, countedActions, sentBodyInEventsLog, signUp, startPortal, type Portal } from './support/portal.ts';

const CLIENT = { clientId: '1234-wirehub.apps.googleusercontent.example', clientSecret: 'GOCSPX-fake-client-secret' };
const COLUMNS = ['name', 'email', 'phone'];
const lead = { lead_id: 'lead_e2e_oauth', name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' };

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('portal: lead → Google Sheet via Sign in with Google', () => {
  let portal: Portal;
  let sheets: FakeGoogleSheets;
  let google: FakeGoogleOAuth;
  const { count, click, fill, choose } = countedActions();

  beforeAll(async () => {
    sheets = await startFakeGoogleSheets({ title: 'Leads 2026', sheets: ['Leads', 'Archive'] });
    sheets.setRow(0, COLUMNS, 'Leads');
    sheets.addSpreadsheet('1OldBudgetXRA5nFMdKvBdBZjgmUUqptlbs74Og', 'Budget 2025', ['Q1']);
    // The most recently changed spreadsheet comes first in the list, as in Drive.
    sheets.addSpreadsheet('1NewestXRA5nFMdKvBdBZjgmUUqptlbs74OgvE', 'Team offsite', ['Sheet1']);
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    google = await startFakeGoogleOAuth({ ...CLIENT, redirectUri: `${publicUrl}/api/v1/google/oauth/callback`, sheets });
    portal = await startPortal({
      port,
      publicUrl,
      vendorUrls: { googleSheets: sheets.url, googleDrive: sheets.url },
      googleOAuth: { ...CLIENT, authUrl: google.authUrl, tokenUrl: google.tokenUrl, revokeUrl: google.revokeUrl },
    });
  }, 120_000);
  afterAll(async () => {
    await closePortal(portal);
    await Promise.all([google?.close(), sheets?.close()]);
  });

  it('signs in with Google from the sheet step, picks the spreadsheet and tab from lists, and the lead becomes a row', async () => {
    const { hub, b } = portal;
    const { page } = b;
    const canvas = canvasActions(page, () => count.drags++);
    const started = Date.now();
    const token = await signUp(page, hub.url, { click, fill });
    const atSignUp = { ...count };
    const signedUpAt = Date.now();

    // --- New flow: Lead captured → Map fields → Google Sheet ------------------------------------
    await click(page.getByTestId('new-flow'));
    await page.waitForURL(/\/flows\/new$/);
    await fill(page.getByTestId('flow-name'), 'Leads to my sheet');
    const trigger = page.getByTestId('palette-trigger-lead.captured');
    await trigger.waitFor({ timeout: 15_000 });
    await canvas.dropOnCanvas(trigger, { x: 20, y: 40 });
    await canvas.dropOnCanvas(page.getByTestId('palette-map'), { x: 20, y: 220 });
    await canvas.dropOnCanvas(page.getByTestId('palette-sheets'), { x: 20, y: 400 });
    for (const id of ['trigger_1', 'map_1', 'sheets_1']) await page.getByTestId(`node-${id}`).waitFor();

    // --- The sheet's panel: no key to paste, a Google button -------------------------------------
    const panel = page.getByTestId('node-panel');
    const signIn = panel.getByTestId('google-signin');
    await expect.poll(() => signIn.textContent(), { timeout: 10_000 }).toBe('Sign in with Google');
    await b.screenshot('sheets-oauth-before-signin');
    const popupOpened = page.waitForEvent('popup');
    await click(signIn);
    const popup = await popupOpened;
    await popup.waitForURL((u) => u.href.startsWith(google.authUrl), { timeout: 15_000 });
    expect(await popup.getByTestId('consent-account').textContent()).toBe('jane.marketer@gmail.com');
    await popup.screenshot({ path: path.join(ARTIFACTS, 'sheets-oauth-consent.png') });
    const closed = popup.waitForEvent('close', { timeout: 15_000 });
    await click(popup.locator('#allow'));
    await closed;

    // Connected: the panel names the account and lists its spreadsheets, newest first.
    await expect.poll(() => panel.getByTestId('sheets-google-account').textContent(), { timeout: 10_000 }).toContain('jane.marketer@gmail.com');
    const spreadsheet = panel.getByTestId('sheets-spreadsheet-select');
    await expect.poll(() => spreadsheet.locator('option').allTextContents(), { timeout: 10_000 }).toEqual(['Choose a spreadsheet…', 'Team offsite', 'Budget 2025', 'Leads 2026']);
    await choose(spreadsheet, sheets.spreadsheetId);
    // The first tab is chosen and its header row becomes the columns.
    const tab = panel.getByTestId('sheets-tab-select');
    await expect.poll(() => tab.locator('option').allTextContents(), { timeout: 10_000 }).toEqual(['Leads', 'Archive']);
    expect(await tab.inputValue()).toBe('Leads');
    for (const c of COLUMNS) await panel.getByTestId(`sheets-column-${c}`).waitFor({ timeout: 10_000 });
    expect(await panel.getByTestId('sheets-columns').textContent()).toMatch(/name.*email.*phone/);
    await b.screenshot('sheets-oauth-picked');

    // --- Connect the steps; the map fills the sheet's columns with the lead's fields of the same name.
    await canvas.connect('trigger_1', 'map_1');
    await canvas.connect('map_1', 'sheets_1');
    await expect.poll(() => page.locator('.react-flow__edge').count(), { timeout: 10_000 }).toBe(2);
    await click(page.getByTestId('node-map_1'));
    await expect.poll(() => panel.getByTestId('map-missing').textContent(), { timeout: 10_000 }).toBe('Still empty: name, email, phone');
    await click(panel.getByTestId('map-auto'));
    for (const c of COLUMNS) await expect.poll(() => panel.getByTestId(`target-${c}`).getByLabel('Source').inputValue(), { timeout: 10_000 }).toBe(`data.${c}`);
    await expect.poll(() => page.locator('.flow-toolbar').textContent(), { timeout: 10_000 }).toContain('Ready to save');

    // --- Save ---------------------------------------------------------------------------------
    await click(page.getByTestId('save-flow'));
    await page.waitForURL(/\/flows\/flw_/, { timeout: 15_000 });
    await page.getByTestId('saved-at').waitFor({ timeout: 15_000 });
    const flowId = /\/flows\/([^/?#]+)/.exec(page.url())![1];
    await b.screenshot('sheets-oauth-saved');

    const api = (method: 'get' | 'post', url: string, key = token) => hub.api(method, `/api/v1${url}`, key);
    const stored = await api('get', `/flows/${flowId}`);
    const sheetNode = stored.body.graph.nodes.find((n: { id: string }) => n.id === 'sheets_1');
    expect(sheetNode.data).toMatchObject({ spreadsheetId: sheets.spreadsheetId, sheetName: 'Leads', columns: COLUMNS, credentialId: expect.stringMatching(/^cred_/) });
    const dest = await api('get', `/destinations/${sheetNode.data.destinationId as string}`);
    expect(dest.body.config).toMatchObject({ oauth: '••••', google_account: 'jane.marketer@gmail.com' });

    // --- A lead arrives ------------------------------------------------------------------------
    const key = await api('post', '/api-keys').send({ name: 'e2e', scopes: ['read', 'write'] });
    expect((await api('post', '/publish', key.body.key).send({ eventType: 'lead.captured', data: lead, customerId: 'cus_a1b2c3' })).status).toBe(202);
    await expect.poll(() => sheets.grid('Leads').length, { timeout: 15_000 }).toBe(2);
    expect(sheets.grid('Leads')).toEqual([COLUMNS, ['Jane Smith', 'jane@example.com', '+15555550123']]);
    // Written as the signed-in account: with an access token the OAuth double issued.
    const append = sheets.requests.filter((r) => r.path.endsWith(':append')).at(-1)!;
    expect(append.authorization).toMatch(/^Bearer ya29\.oauth-/);

    // --- Seen in the Events log ------------------------------------------------------------------
    const sent = await sentBodyInEventsLog(page, { click }, '"Jane Smith"', () => count.refreshes++);
    expect(sent).toContain('jane@example.com');
    expect(await page.getByTestId('event-detail').textContent()).toContain('SUCCESSFUL');
    expect(await page.locator('body').textContent()).not.toMatch(/ya29\.|1\/\/fake-/);
    await b.screenshot('sheets-oauth-events-log');

    const after = { clicks: count.clicks - atSignUp.clicks, drags: count.drags - atSignUp.drags, fields: count.fields - atSignUp.fields };
    console.log(
      `lead → Google Sheet via OAuth: after sign-up ${after.clicks} clicks + ${after.drags} drags = ${after.clicks + after.drags} (goal < 10), ${after.fields} typed field(s) (the flow's name), ` +
        `${((Date.now() - signedUpAt) / 1000).toFixed(1)} s from sign-up to the row seen in the Events log (${((Date.now() - started) / 1000).toFixed(1)} s from landing; sign-up itself ${atSignUp.clicks} clicks, ${atSignUp.fields} fields); ` +
        `${count.refreshes} press(es) of Refresh in the log; choosing a spreadsheet counted as a click`,
    );

    // Settings lists the account, what uses it, and refuses to disconnect it while the flow does.
    await page.getByRole('link', { name: 'Settings' }).click();
    const card = page.getByTestId('google-accounts-card');
    await expect.poll(() => card.textContent(), { timeout: 10_000 }).toContain('jane.marketer@gmail.com');
    expect(await card.textContent()).toContain('used by 1 destination(s)');
    await card.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByTestId('confirm-revoke-yes').click();
    await expect.poll(() => page.getByTestId('confirm-revoke').textContent(), { timeout: 10_000 }).toContain('used by');
    expect(google.isRevoked(google.refreshTokens()[0])).toBe(false);
    await b.screenshot('sheets-oauth-settings');
  }, 180_000);

  it('the shortest way: the sheet dropped onto the trigger, its header row naming the lead\'s fields, so no map step is needed', async () => {
    const { hub, b } = portal;
    const { page } = b;
    const short = countedActions();
    const canvas = canvasActions(page, () => short.count.drags++);
    await page.evaluate(() => localStorage.clear());
    await signUp(page, hub.url, short);
    const atSignUp = { ...short.count };
    const signedUpAt = Date.now();
    const rowsBefore = sheets.grid('Leads').length;

    await short.click(page.getByTestId('new-flow'));
    const trigger = page.getByTestId('palette-trigger-lead.captured');
    await trigger.waitFor({ timeout: 15_000 });
    await canvas.dropOnCanvas(trigger, { x: 40, y: 80 });
    // The Google Sheet dropped onto the trigger goes after it, connected.
    await short.drag(page.getByTestId('palette-sheets'), page.getByTestId('node-trigger_1'));
    await page.getByTestId('node-sheets_1').waitFor();
    await expect.poll(() => page.locator('.react-flow__edge').evaluateAll((es) => es.map((e) => e.getAttribute('data-id'))), { timeout: 10_000 }).toEqual(['e_trigger_1_sheets_1']);
    const panel = page.getByTestId('node-panel');
    // A new team: its own Google sign-in (the first team's account is not offered here).
    const signIn = panel.getByTestId('google-signin');
    await expect.poll(() => signIn.textContent(), { timeout: 10_000 }).toBe('Sign in with Google');
    const popupOpened = page.waitForEvent('popup');
    await short.click(signIn);
    const popup = await popupOpened;
    await popup.waitForURL((u) => u.href.startsWith(google.authUrl), { timeout: 15_000 });
    const closed = popup.waitForEvent('close', { timeout: 15_000 });
    await short.click(popup.locator('#allow'));
    await closed;
    const spreadsheet = panel.getByTestId('sheets-spreadsheet-select');
    await expect.poll(() => spreadsheet.locator('option').count(), { timeout: 10_000 }).toBe(4);
    await short.choose(spreadsheet, sheets.spreadsheetId);
    for (const c of COLUMNS) await panel.getByTestId(`sheets-column-${c}`).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('.flow-toolbar').textContent(), { timeout: 10_000 }).toContain('Ready to save');
    await short.click(page.getByTestId('save-flow'));
    await page.waitForURL(/\/flows\/flw_/, { timeout: 15_000 });
    await page.getByTestId('saved-at').waitFor({ timeout: 15_000 });
    await b.screenshot('sheets-oauth-short-saved');

    const token = (await page.evaluate(() => localStorage.getItem('wirehub.token')))!;
    const key = await hub.api('post', '/api/v1/api-keys', token).send({ name: 'site', scopes: ['write'] });
    expect((await hub.api('post', '/api/v1/publish', key.body.key).send({ eventType: 'lead.captured', data: { ...lead, name: 'Short Way' } })).status).toBe(202);
    await expect.poll(() => sheets.grid('Leads').length, { timeout: 15_000 }).toBe(rowsBefore + 1);
    expect(sheets.grid('Leads').at(-1)).toEqual(['Short Way', 'jane@example.com', '+15555550123']);
    await sentBodyInEventsLog(page, short, '"Short Way"', () => short.count.refreshes++);
    await b.screenshot('sheets-oauth-short-events-log');
    const after = { clicks: short.count.clicks - atSignUp.clicks, drags: short.count.drags - atSignUp.drags, fields: short.count.fields - atSignUp.fields };
    console.log(
      `lead → Google Sheet via OAuth, no map step: after sign-up ${after.clicks} clicks + ${after.drags} drags = ${after.clicks + after.drags} (goal < 10), ${after.fields} typed field(s), ` +
        `${((Date.now() - signedUpAt) / 1000).toFixed(1)} s from sign-up to the row seen in the Events log; ${short.count.refreshes} press(es) of Refresh in the log`,
    );
    expect(after.clicks + after.drags).toBeLessThan(10);
  }, 180_000);
});
