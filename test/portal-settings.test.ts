// The portal's account pages in a real browser: an API key shown once, used, rotated and revoked; the project
// API key revealed and rotated; a Google service account uploaded as its JSON file; a HubSpot token
// saved and shown masked.
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBrowser } from './support/browser.ts';
import { startFakeGoogleSheets, type FakeGoogleSheets } from './support/fakes/google-sheets.ts';
import type { TestHub } from './support/hub.ts';
import { closePortal, signUp, startPortal } from './support/portal.ts';
import type { startReceiver } from './support/receiver.ts';

const HUBSPOT_TOKEN = 'pat-na1-8c1f2a3b-4d5e-6f70-8192-a3b4c5d6e7f8';

describe('portal: API keys and workspace credentials', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let b: TestBrowser;
  let google: FakeGoogleSheets;

  const click = (l: Locator) => l.click();
  const fill = (l: Locator, text: string) => l.fill(text);

  beforeAll(async () => {
    [{ hub, receiver, b }, google] = await Promise.all([startPortal(), startFakeGoogleSheets()]);
    await b.page.setViewportSize({ width: 1280, height: 800 });
  }, 120_000);
  afterAll(async () => {
    await closePortal({ hub, receiver, b });
    await google?.close();
  });

  it('creates an API key shown once, uses it, rotates it, revokes it; rotates the project key; uploads a service account and saves a HubSpot token', async () => {
    const { page } = b;
    const session = await signUp(page, hub.url, { click, fill });
    const me = (key: string) => hub.api('get', '/api/v1/auth/me', key);

    // --- API keys: none yet, then one, shown once --------------------------------------------
    await click(page.getByRole('link', { name: 'API keys' }));
    await page.waitForURL(/\/api-keys$/);
    await page.getByTestId('api-keys-empty').waitFor();
    // The API reference is a link away, in a tab of its own, served by the hub (not the portal's shell).
    const reference = page.getByTestId('api-reference-link');
    expect(await reference.getAttribute('href')).toBe('/docs');
    expect(await reference.getAttribute('target')).toBe('_blank');
    const [docsTab] = await Promise.all([page.context().waitForEvent('page'), reference.click()]);
    await docsTab.getByText('Wirehub API').first().waitFor({ timeout: 30_000 });
    expect(await docsTab.title()).toBe('Wirehub API reference');
    await docsTab.close();
    await click(page.getByTestId('api-key-new'));
    await fill(page.getByTestId('api-key-name'), 'Order sync');
    expect(await page.getByTestId('api-key-scope-read').isChecked()).toBe(true);
    expect(await page.getByTestId('api-key-scope-write').isChecked()).toBe(true);
    await click(page.getByTestId('api-key-create'));
    const created = page.getByTestId('api-key-created');
    await created.waitFor();
    expect(await created.textContent()).toContain('it will not be shown again');
    const key = (await page.getByTestId('api-key-value').textContent()) ?? '';
    expect(key).toMatch(/^wh_live_/);
    await page.getByTestId('api-key-copy').waitFor();
    const row = page.getByTestId('api-key-row').filter({ hasText: 'Order sync' });
    await row.waitFor();
    expect(await row.textContent()).toContain('read, write');
    expect(await row.textContent()).toContain(key.slice(0, 12));
    expect(await row.textContent()).not.toContain(key);
    await b.screenshot('portal-api-key-created');
    await click(page.getByTestId('api-key-done'));
    expect(await page.getByTestId('api-key-value').count()).toBe(0);

    // The key works against the API…
    const ok = await me(key);
    expect(ok.status, ok.text).toBe(200);

    // Rotated: the old key stops, the new one is shown once, in the same place.
    await click(row.getByTestId('api-key-rotate'));
    const rotate = page.getByTestId('confirm-rotate');
    expect(await rotate.textContent()).toContain('refused (401)');
    await click(rotate.getByTestId('confirm-rotate-yes'));
    await page.getByTestId('api-key-created').waitFor();
    const rotated = (await page.getByTestId('api-key-value').textContent()) ?? '';
    expect(rotated).toMatch(/^wh_live_/);
    expect(rotated).not.toBe(key);
    await expect.poll(() => row.textContent()).toContain(rotated.slice(0, 12));
    expect((await me(key)).status).toBe(401);
    expect((await me(rotated)).status).toBe(200);
    await click(page.getByTestId('api-key-done'));
    expect(await page.getByTestId('api-key-value').count()).toBe(0);

    // …until it is revoked, after a confirmation that says what happens.
    await click(row.getByTestId('api-key-revoke'));
    const confirm = page.getByTestId('confirm-delete');
    expect(await confirm.textContent()).toContain('refused (401)');
    await click(confirm.getByTestId('confirm-delete-yes'));
    await page.getByTestId('api-keys-empty').waitFor();
    expect((await me(rotated)).status).toBe(401);

    // --- Project secrets: masked, revealed on request, rotated after a warning ----------------
    await click(page.getByRole('link', { name: 'Project secrets' }));
    await page.waitForURL(/\/secrets$/);
    const projectKey = page.getByTestId('secret-api_key-value');
    await projectKey.waitFor();
    expect(await projectKey.textContent()).toMatch(/^wh_pro…/);
    await click(page.getByTestId('secret-api_key-reveal'));
    await expect.poll(() => projectKey.textContent()).toMatch(/^wh_proj_/);
    const oldProjectKey = (await projectKey.textContent()) ?? '';
    expect((await me(oldProjectKey)).status).toBe(200);
    await click(page.getByTestId('secret-api_key-rotate'));
    const warning = page.getByTestId('confirm-rotate');
    expect(await warning.textContent()).toContain('stops working at once');
    await click(warning.getByTestId('confirm-rotate-yes'));
    await expect.poll(() => projectKey.textContent()).not.toBe(oldProjectKey);
    const newProjectKey = (await projectKey.textContent()) ?? '';
    expect(newProjectKey).toMatch(/^wh_proj_/);
    expect((await me(oldProjectKey)).status).toBe(401);
    expect((await me(newProjectKey)).status).toBe(200);
    await click(page.getByTestId('secret-api_key-hide'));
    await expect.poll(() => projectKey.textContent()).toMatch(/^wh_pro…/);

    // --- Settings: the Google service account, uploaded as its file ---------------------------
    await click(page.getByRole('link', { name: 'Settings' }));
    await page.waitForURL(/\/settings$/);
    await page.getByTestId('google-empty').waitFor();
    await page.getByTestId('hubspot-empty').waitFor();
    await click(page.getByTestId('google-add'));

    // Something that is not a key is refused inline, naming the field.
    await fill(page.getByTestId('google-text'), '{"type": "authorized_user"}');
    await click(page.getByTestId('google-save'));
    const refusal = page.getByTestId('google-card').getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('body.secret.type');

    const keyFile = google.serviceAccountKey();
    await page
      .getByTestId('google-file')
      .setInputFiles({ name: 'wirehub-writer.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(keyFile, null, 2)) });
    await page.getByTestId('google-file-loaded').waitFor();
    await click(page.getByTestId('google-save'));
    const email = page.getByTestId('google-client-email');
    await email.waitFor();
    expect(await email.textContent()).toBe(google.clientEmail);
    expect(await page.getByTestId('google-share').textContent()).toContain(`Share each spreadsheet with ${google.clientEmail} (Editor).`);
    await page.getByTestId('google-copy-email').waitFor();

    // --- Settings: a HubSpot token, masked once saved -----------------------------------------
    await click(page.getByTestId('hubspot-add'));
    await fill(page.getByTestId('hubspot-token'), HUBSPOT_TOKEN);
    await click(page.getByTestId('hubspot-save'));
    const hint = page.getByTestId('hubspot-hint');
    await hint.waitFor();
    expect(await hint.textContent()).toBe(`${HUBSPOT_TOKEN.slice(0, 6)}…${HUBSPOT_TOKEN.slice(-4)}`);
    const shown = (await page.locator('main').textContent()) ?? '';
    expect(shown).not.toContain(HUBSPOT_TOKEN);
    expect(shown).not.toContain('PRIVATE KEY');
    await page.getByTestId('pipedrive-empty').waitFor();
    await b.screenshot('portal-settings');

    // What the page saved is what the API holds.
    const saved = await hub.api('get', '/api/v1/credentials', session);
    expect(saved.body.models.map((c: { kind: string; hint: string }) => [c.kind, c.hint]).sort()).toEqual([
      ['google-service-account', google.clientEmail],
      ['hubspot', `${HUBSPOT_TOKEN.slice(0, 6)}…${HUBSPOT_TOKEN.slice(-4)}`],
    ]);
  });
});
