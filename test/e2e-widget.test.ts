// The chat widget on a stranger's page: a plain HTML page served from another local origin embeds
// /widget.js with the one-line snippet; a visitor chats in headless Chromium, gets an answer from the
// knowledge base, leaves name, e-mail and phone, and rates a reply. What the visitor did is then read
// back through the management API. A page on an origin the chatbot does not allow is refused, and a
// visitor who types too fast is told when to try again.
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, startBrowser, type TestBrowser } from './support/browser.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

type Server = Awaited<ReturnType<typeof startReceiver>>;

/**
 * A page that tries hard to break an embedded widget: global resets on buttons, divs and the
 * widget's own element, serif everywhere. The widget's shadow root and inline host style must win.
 */
const hostPage = (hubUrl: string, key: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Plumbing</title>
<style>
  * { font-family: Georgia, serif !important; letter-spacing: 2px; }
  button { display: none !important; background: red !important; }
  div, section, textarea { border: 4px dashed red !important; }
  wirehub-chat { display: none !important; position: static !important; }
  body { background: #fdf6e3; }
</style></head>
<body><main><h1>Acme Plumbing</h1><p>Boilers, leaks and bathrooms since 1999.</p></main>
<script src="${hubUrl}/widget.js" data-chatbot="${key}" async></script>
</body></html>`;

async function pageServer(html: () => string): Promise<Server> {
  return startReceiver((req) =>
    req.url === '/' ? { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: html() } : { status: 404, body: 'not here' },
  );
}

describe('widget: a plain HTML page on another origin chats, captures a lead and rates', () => {
  let hub: TestHub;
  let b: TestBrowser;
  let allowed: Server;
  let refused: Server;
  let crm: Server;
  let key: string;
  let token: string;
  let bot: { id: string; public_key: string };
  const api = (method: 'get' | 'post' | 'patch', url: string) => hub.api(method, `/api/v1${url}`, key);

  beforeAll(async () => {
    hub = await startTestHub();
    b = await startBrowser();
    crm = await startReceiver(() => ({ status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } }));
    allowed = await pageServer(() => hostPage(hub.url, bot.public_key));
    refused = await pageServer(() => hostPage(hub.url, bot.public_key));
    ({ key, token } = await newWorkspace(hub));

    const created = await api('post', '/chatbots').send({
      name: 'Acme Plumbing Bot',
      welcome_message: 'Hi! Ask me anything about boilers, leaks or bathrooms.',
      settings: {
        allowed_origins: [allowed.url],
        lead_capture: { fields: ['name', 'email', 'phone'], after_messages: 1 },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    bot = created.body;
    const imported = await api('post', `/chatbots/${bot.id}/entries/import`).send([
      {
        question: 'How much does a boiler service cost?',
        answer: 'A standard boiler service is $120, parts extra.',
        tags: ['pricing', 'intent:request_quote'],
      },
      { question: 'Do you fix leaking pipes?', answer: 'Yes — we fix leaks the same day in most of the city.', tags: ['leaks'] },
      { question: 'What are your opening hours?', answer: 'Monday to Saturday, 8 am to 6 pm.', tags: ['hours'] },
    ]);
    expect(imported.status, JSON.stringify(imported.body)).toBeLessThan(300);
    const hook = await api('post', '/webhooks').send({ name: 'CRM leads', url: `${crm.url}/leads`, events: ['lead.captured'] });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await hub?.close();
    await Promise.all([allowed, refused, crm].map((s) => s?.close()));
  });

  const widget = (page: Page) => ({
    bubble: page.getByRole('button', { name: 'Open chat' }),
    panel: page.getByRole('dialog', { name: 'Acme Plumbing Bot' }),
    log: page.getByRole('log', { name: 'Conversation' }),
    input: page.getByRole('textbox', { name: 'Message' }),
    botMessages: page.locator('wirehub-chat .msg.bot:not(.typing)'),
  });

  /** Types into the widget and presses Enter, then waits for the bot's reply bubble. */
  async function say(page: Page, text: string): Promise<string> {
    const w = widget(page);
    const before = await w.botMessages.count();
    await w.input.fill(text);
    await w.input.press('Enter');
    await expect.poll(() => w.botMessages.count(), { timeout: 15_000 }).toBe(before + 1);
    return (await w.botMessages.nth(before).locator('p').textContent()) ?? '';
  }

  it('opens from the bubble, greets, answers from the knowledge base, asks for contact details, and takes a thumbs-down', async () => {
    const { page } = b;
    const w = widget(page);
    await page.goto(allowed.url);

    // The host page's `button { display: none !important }` does not reach into the widget.
    await w.bubble.click();
    await expect.poll(() => w.panel.isVisible()).toBe(true);
    // Focus moves into the panel, to the message box.
    expect(await page.evaluate(() => document.querySelector('wirehub-chat')?.shadowRoot?.activeElement?.getAttribute('aria-label'))).toBe('Message');
    await expect.poll(() => w.log.textContent(), { timeout: 10_000 }).toContain('Ask me anything about boilers');
    await b.screenshot('widget-welcome');

    // Escape closes and hands focus back to the bubble; it opens again on Enter.
    await w.input.press('Escape');
    await expect.poll(() => w.panel.isVisible()).toBe(false);
    await w.bubble.press('Enter');
    await expect.poll(() => w.panel.isVisible()).toBe(true);

    const answer = await say(page, 'how much is a boiler service?');
    expect(answer).toContain('$120');
    // after_messages: 1 — the first reply already asks for the name, and the input says so.
    expect(answer).toContain('May I have your name?');
    expect(await w.input.getAttribute('placeholder')).toBe('Your name');
    expect(await w.input.getAttribute('autocomplete')).toBe('name');

    expect(await say(page, 'Jane Smith')).toContain('e-mail');
    expect(await w.input.getAttribute('autocomplete')).toBe('email');
    expect(await say(page, 'jane@example.com')).toContain('phone');
    expect(await w.input.getAttribute('autocomplete')).toBe('tel');
    await say(page, '+1 555 555 0123');
    await b.screenshot('widget-lead');

    // Thumbs-down on the knowledge-base answer.
    const first = w.botMessages.nth(1);
    await first.getByRole('button', { name: 'Not helpful' }).click();
    await expect.poll(() => first.getByRole('button', { name: 'Not helpful' }).getAttribute('aria-pressed')).toBe('true');
    expect(await first.getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed')).toBe('false');
    await b.screenshot('widget-rated');

    // Through the API: one conversation, its transcript with the rating, the lead, one lead.captured.
    const convs = await api('get', `/chatbots/${bot.id}/conversations`);
    expect(convs.status).toBe(200);
    expect(convs.body.models).toHaveLength(1);
    const conv = convs.body.models[0];
    expect(conv.visitor_id).toBe(await page.evaluate(() => localStorage.getItem('wirehub.visitor_id')));
    expect(conv.lead).toMatchObject({ name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123' });
    const transcript = await waitFor(
      async () => {
        const t = await api('get', `/chatbots/${bot.id}/conversations/${conv.id}`);
        return t.body.messages?.some((m: { rating: unknown }) => m.rating) && t.body;
      },
      10_000,
      'the rating in the transcript',
    );
    const bots = transcript.messages.filter((m: { role: string }) => m.role === 'bot');
    expect(bots[0].text).toContain('$120');
    expect(bots[0].rating).toMatchObject({ rating: 'down' });
    expect(bots.slice(1).every((m: { rating: unknown }) => m.rating === null)).toBe(true);
    expect(transcript.messages.filter((m: { role: string }) => m.role === 'visitor').map((m: { text: string }) => m.text)).toEqual([
      'how much is a boiler service?',
      'Jane Smith',
      'jane@example.com',
      '+1 555 555 0123',
    ]);

    const leads = await api('get', `/chatbots/${bot.id}/leads`);
    expect(leads.body.models).toEqual([
      expect.objectContaining({ conversation_id: conv.id, name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', intent: 'request_quote' }),
    ]);

    await waitFor(() => crm.received.length > 0, 15_000, 'the lead.captured delivery');
    await new Promise((r) => setTimeout(r, 1000));
    expect(crm.received).toHaveLength(1);
    const delivered = JSON.parse(crm.received[0].body.toString());
    expect(delivered).toMatchObject({
      eventType: 'lead.captured',
      name: 'Jane Smith',
      email: 'jane@example.com',
      phone: '+15555550123',
      chatbot_name: 'Acme Plumbing Bot',
      chatbotId: bot.id,
      conversationId: conv.id,
    });

    // A reload keeps the thread: same conversation, the rating still shown.
    await page.reload();
    await w.bubble.click();
    await expect.poll(() => w.botMessages.count()).toBe(5);
    expect(await w.botMessages.nth(1).getByRole('button', { name: 'Not helpful' }).getAttribute('aria-pressed')).toBe('true');
  }, 120_000);

  it('the portal shows the snippet, the transcript with the thumbs-down, and the lead', async () => {
    const { page } = b;
    await page.goto(`${hub.url}/login`);
    await page.evaluate((t) => localStorage.setItem('wirehub.token', t), token);
    await page.goto(`${hub.url}/chatbots`);
    await page.getByRole('link', { name: 'Acme Plumbing Bot' }).click();
    await page.getByTestId('tab-install').click();
    expect(await page.getByTestId('embed-snippet').textContent()).toBe(`<script src="${hub.url}/widget.js" data-chatbot="${bot.public_key}" async></script>`);
    await b.screenshot('widget-portal-install');

    await page.getByTestId('tab-knowledge').click();
    await expect.poll(() => page.getByTestId('kb-row').count()).toBe(3);
    await b.screenshot('widget-portal-knowledge');

    await page.getByTestId('tab-conversations').click();
    await page.getByTestId('conversation-row').getByRole('button').click();
    const transcript = page.getByTestId('transcript');
    await expect.poll(() => transcript.getByTestId('message-rating').textContent()).toContain('rated not helpful');
    expect(await transcript.textContent()).toContain('A standard boiler service is $120');
    await b.screenshot('widget-portal-transcript');

    await page.getByTestId('tab-leads').click();
    const lead = page.getByTestId('lead-row');
    await expect.poll(() => lead.textContent()).toContain('jane@example.com');
    expect(await lead.textContent()).toContain('request_quote');
  }, 60_000);

  it('on an origin the chatbot does not allow, says the chat is not available here; the server refused with 403', async () => {
    const context = await b.browser.newContext();
    try {
      const page = await context.newPage();
      const refusals: { url: string; status: number }[] = [];
      page.on('response', (r) => {
        if (r.url().startsWith(`${hub.url}/api/public/`)) refusals.push({ url: r.url(), status: r.status() });
      });
      await page.goto(refused.url);
      const w = widget(page);
      await w.bubble.click();
      const alert = page.locator('wirehub-chat').getByRole('alert');
      await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toContain("isn't available on this website");
      // No message box to type into: nothing would be answered.
      expect(await page.locator('wirehub-chat form').isHidden()).toBe(true);
      expect(await page.locator('wirehub-chat textarea').isDisabled()).toBe(true);
      expect(refusals).toEqual([{ url: `${hub.url}/api/public/chatbots/${bot.public_key}`, status: 403 }]);
      await page.screenshot({ path: path.join(ARTIFACTS, 'widget-refused.png'), fullPage: true });

      // The chat endpoint refuses that origin too, whatever the widget would do.
      const post = await hub
        .api('post', '/api/public/system-chat')
        .set('origin', refused.url)
        .send({ chatbot_key: bot.public_key, visitor_id: 'v_refused', message: 'hello?' });
      expect(post.status).toBe(403);
      expect(post.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
      expect(post.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await context.close();
    }
  }, 60_000);

  it('tells a visitor who sends too fast when to try again, and keeps what they typed', async () => {
    const patched = await api('patch', `/chatbots/${bot.id}`).send({ settings: { rate_limits: { per_minute: 2 } } });
    expect(patched.status).toBe(200);
    const context: BrowserContext = await b.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(allowed.url);
      const w = widget(page);
      await w.bubble.click();
      await expect.poll(() => w.log.textContent(), { timeout: 10_000 }).toContain('Ask me anything');
      const status = page.locator('wirehub-chat').getByRole('alert');
      // Two messages a minute; a minute boundary between them may reset the window once, so keep
      // typing until the limit answers (at most five messages).
      let typed = '';
      for (let i = 1; i <= 5; i++) {
        typed = `Do you fix leaking pipes? (${i})`;
        await w.input.fill(typed);
        await w.input.press('Enter');
        await expect.poll(async () => (await status.count()) > 0 || (await w.botMessages.count()) > i, { timeout: 15_000 }).toBe(true);
        if ((await status.count()) > 0) break;
      }
      expect(await status.count(), 'five messages at two a minute, and no 429 shown').toBe(1);
      const text = (await status.textContent()) ?? '';
      expect(text).toMatch(/^You're sending messages too fast — try again in (\d+) s$/);
      const seconds = Number(/in (\d+) s/.exec(text)?.[1]);
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(60);
      expect(await w.input.inputValue()).toBe(typed);
      expect(await page.locator('wirehub-chat').getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
      // The refused message is not shown as sent.
      expect(await page.locator('wirehub-chat .msg.visitor').filter({ hasText: typed }).count()).toBe(0);
      await page.screenshot({ path: path.join(ARTIFACTS, 'widget-rate-limited.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 90_000);
});
