import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Config } from '../../server/config.ts';
import { startBrowser, type TestBrowser } from './browser.ts';
import { startTestHub, waitFor, type TestHub } from './hub.ts';
import { startReceiver } from './receiver.ts';
import { html5Drag } from './canvas.ts';

export type Portal = { hub: TestHub; receiver: Awaited<ReturnType<typeof startReceiver>>; b: TestBrowser };

/**
 * The portal (built once per run by the global setup) served by a real hub, a receiver answering
 * 200, and a browser. `hubConfig` reaches
 * the hub's config (e.g. `vendorUrls` pointing a flow's Google Sheet at a fake).
 */
export async function startPortal(hubConfig: Partial<Config> = {}): Promise<Portal> {
  const hub = await startTestHub(hubConfig);
  const receiver = await startReceiver(() => ({ status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } }));
  return { hub, receiver, b: await startBrowser() };
}

export async function closePortal(p: Partial<Portal>): Promise<void> {
  await p.b?.close();
  await p.hub?.close();
  await p.receiver?.close();
}

/** What a user does in a story, counted as it happens, for the line the story prints at the end. */
export function countedActions() {
  const count = { clicks: 0, drags: 0, fields: 0, scrolls: 0, refreshes: 0 };
  return {
    count,
    click: async (l: Locator) => (count.clicks++, l.click()),
    fill: async (l: Locator, text: string) => (count.fields++, l.fill(text)),
    choose: async (l: Locator, value: string) => (count.clicks++, l.selectOption(value)),
    drag: async (from: Locator, to: Locator) => (count.drags++, html5Drag(from.page(), from, to)),
  };
}

/** A first-time user signs up from the landing page and lands on the dashboard; answers the session token the portal stored. */
export async function signUp(page: Page, url: string, act: { click(l: Locator): Promise<void>; fill(l: Locator, text: string): Promise<void> }): Promise<string> {
  await page.goto(url);
  await page.waitForURL(/\/login$/);
  await act.click(page.getByRole('link', { name: 'Create an account' }));
  await page.waitForURL(/\/signup$/);
  await act.fill(page.getByLabel('Your name'), 'Jane Owner');
  await act.fill(page.getByLabel('E-mail'), `owner${Date.now()}@example.test`);
  await act.fill(page.getByLabel('Password'), 'correct horse battery');
  await act.click(page.getByRole('button', { name: 'Sign up' }));
  // The dashboard is the first page after sign-in.
  await page.waitForURL(/\/dashboard$/);
  const token = (await page.evaluate(() => localStorage.getItem('wirehub.token'))) ?? '';
  if (!token) throw new Error('the portal stored no session token after sign-up');
  return token;
}

/**
 * Opens the events log, presses Refresh until a SUCCESSFUL event shows, opens it, and answers the
 * text of the body its attempt sent once that text contains `expected`.
 */
export async function sentBodyInEventsLog(page: Page, act: { click(l: Locator): Promise<void> }, expected: string, onRefresh: () => void): Promise<string> {
  await act.click(page.getByRole('link', { name: 'Events log' }));
  await page.waitForURL(/\/events$/);
  const rowOk = page.getByTestId('event-row').filter({ hasText: 'SUCCESSFUL' });
  await waitFor(async () => {
    if ((await rowOk.count()) > 0) return true;
    onRefresh();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForTimeout(250);
    return false;
  }, 15_000, 'a SUCCESSFUL row in the events log');
  await act.click(rowOk.first());
  const body = page.getByTestId('event-detail').getByTestId('sent-body');
  await expect.poll(() => body.textContent(), { timeout: 15_000 }).toContain(expected);
  return (await body.textContent()) ?? '';
}
