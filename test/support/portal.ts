import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Config } from '../../server/config.ts';
import { startBrowser, type TestBrowser } from './browser.ts';
import { startTestHub, type TestHub } from './hub.ts';
import { startReceiver } from './receiver.ts';
import { canvasActions, html5Drag, type CanvasActions } from './canvas.ts';

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
  const count = { clicks: 0, drags: 0, fields: 0, scrolls: 0 };
  return {
    count,
    click: async (l: Locator) => (count.clicks++, l.click()),
    fill: async (l: Locator, text: string) => (count.fields++, l.fill(text)),
    choose: async (l: Locator, value: string) => (count.clicks++, l.selectOption(value)),
    drag: async (from: Locator, to: Locator) => (count.drags++, html5Drag(from.page(), from, to)),
  };
}

/** What `portalStory` answers: the counted actions, and getters for what its `beforeAll` started. */
export type PortalStory = ReturnType<typeof countedActions> & Readonly<Portal & { page: Page; canvas: CanvasActions }>;

/**
 * The set-up every browser story shares: registers a `beforeAll` that starts the portal (hub,
 * receiver, browser) and an `afterAll` that closes it, and answers counted actions plus getters for
 * the live handles, so a test reads `const { hub, page, canvas } = portal;` inside its `it`. Call it
 * in the `describe` body. `hubConfig` may be a function, read when the hub starts, for config that
 * points at a fake started in an earlier `beforeAll` (hooks run in the order they were registered,
 * and the after hooks in reverse, so such a fake outlives the hub).
 */
export function portalStory(hubConfig: Partial<Config> | (() => Partial<Config>) = {}): PortalStory {
  const actions = countedActions();
  let portal: (Portal & { canvas: CanvasActions }) | undefined;
  beforeAll(async () => {
    const started = await startPortal(typeof hubConfig === 'function' ? hubConfig() : hubConfig);
    portal = { ...started, canvas: canvasActions(started.b.page, () => actions.count.drags++) };
  }, 120_000);
  afterAll(() => closePortal(portal ?? {}));
  // A handle read outside a test (in the describe body) would be undefined: say so, not a TypeError later.
  const live = () => {
    if (!portal) throw new Error('portalStory: the portal is read before its beforeAll started it (read handles inside `it`)');
    return portal;
  };
  return {
    ...actions,
    get hub() {
      return live().hub;
    },
    get receiver() {
      return live().receiver;
    },
    get b() {
      return live().b;
    },
    get page() {
      return live().b.page;
    },
    get canvas() {
      return live().canvas;
    },
  };
}

/** A first-time user signs up from the landing page and lands on the dashboard; answers the session token the portal stored. */
export async function signUp(
  page: Page,
  url: string,
  act: { click(l: Locator): Promise<void>; fill(l: Locator, text: string): Promise<void> },
): Promise<string> {
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
 * Opens the events log (a counted click) and waits for a delivered row, holding `text` when given,
 * to show up by itself: the log reloads every 3 s while it is in view (web/src/pages/events/useLive.ts),
 * so a user waits for it rather than pressing Refresh, and nothing uncounted is pressed here.
 */
export async function deliveryInEventsLog(page: Page, act: { click(l: Locator): Promise<void> }, text?: string): Promise<Locator> {
  await act.click(page.getByRole('link', { name: 'Events log' }));
  await page.waitForURL(/\/events(\?|$)/);
  const delivered = page.locator('[data-testid="event-row"][data-status="SUCCESSFUL"]');
  const row = (text ? delivered.filter({ hasText: text }) : delivered).first();
  await row.waitFor({ timeout: 20_000 });
  return row;
}

/**
 * The first delivered row of the events log (seen as `deliveryInEventsLog` sees it), opened: answers
 * the text of the body its attempt sent once that text contains `expected`.
 */
export async function sentBodyInEventsLog(page: Page, act: { click(l: Locator): Promise<void> }, expected: string): Promise<string> {
  await act.click(await deliveryInEventsLog(page, act));
  const body = page.getByTestId('event-detail').getByTestId('sent-body');
  await expect.poll(() => body.textContent(), { timeout: 15_000 }).toContain(expected);
  return (await body.textContent()) ?? '';
}

export type ActionCount = ReturnType<typeof countedActions>['count'];

/**
 * Issue 14's "Measured" numbers of a story: the clicks, drags and typed fields after sign-up, and the
 * wall time to the first delivery seen in the events log, from landing (the portal's first load) and
 * from sign-up. Start it just before `signUp`, which loads the portal; call `signedUp` after it,
 * `seen` when the delivery shows in the log, and `report` at the end of what is measured.
 */
export function measureStory(name: string, count: ActionCount) {
  const landedAt = Date.now();
  let signedUpAt = landedAt;
  let atSignUp = { ...count };
  let seenAt: number | null = null;
  const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
  return {
    signedUp() {
      signedUpAt = Date.now();
      atSignUp = { ...count };
    },
    seen() {
      seenAt = Date.now();
    },
    /** Seconds from landing to now, for the story's own milestones. */
    sinceLanding: () => seconds(landedAt, Date.now()),
    /** Prints the "measured story" line and answers the clicks + drags after sign-up. */
    report(note = ''): number {
      if (seenAt === null) throw new Error(`${name}: report() before the delivery was seen in the log`);
      const clicks = count.clicks - atSignUp.clicks;
      const drags = count.drags - atSignUp.drags;
      console.log(
        `measured story ${name}: after sign-up ${clicks} clicks + ${drags} drags = ${clicks + drags} (goal < 10), ${count.fields - atSignUp.fields} typed fields; ` +
          `first delivery seen in the events log ${seconds(landedAt, seenAt)} s after landing, ${seconds(signedUpAt, seenAt)} s after sign-up ` +
          `(sign-up itself ${atSignUp.clicks} clicks, ${atSignUp.fields} typed fields)${note}`,
      );
      return clicks + drags;
    },
  };
}
