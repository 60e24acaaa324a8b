// First run, in Chromium (issue 14, items 12 and 13):
// 1. a new user signs up, presses "New flow", picks the "Failed deliveries → alert" template: the
//    editor opens with its graph drawn and the one field to fill marked; fills it, saves, and a test
//    delivery reaches the receiver;
// 2. "Try the demo workspace" opens sample flows, recent events (delivered, and one failing at a
//    receiver answering 500) and a chatbot, whose page has a preview: a question gets its answer and
//    "(415) 555-0199" is captured on the lead as +14155550199.
// Each story prints its clicks, drags, typed fields and wall time; screenshots go to test/artifacts/.
import { describe, expect, it } from 'vitest';
import { countedActions, portalStory, signUp } from './support/portal.ts';
import { waitFor } from './support/hub.ts';

describe('first run: a flow from a template, and the demo workspace with its chatbot preview', () => {
  const portal = portalStory();

  it('signs up, picks the "Failed deliveries → alert" template, fills its URL, saves and test-delivers', async () => {
    const started = Date.now();
    const { hub, receiver, b, page } = portal;
    const { count, click, fill } = countedActions();
    await signUp(page, hub.url, { click, fill });

    // New flow: the templates sit beside the empty canvas.
    await click(page.getByTestId('new-flow'));
    await page.waitForURL(/\/flows\/new$/);
    const chooser = page.getByTestId('new-flow-chooser');
    await chooser.waitFor();
    for (const id of ['lead-to-sheet', 'lead-to-crm', 'webhook-to-slack', 'failed-deliveries-alert']) await chooser.getByTestId(`template-${id}`).waitFor();
    await b.screenshot('first-run-templates');
    await click(chooser.getByTestId('template-failed-deliveries-alert'));

    // The graph is drawn and connected; the one placeholder is marked, and the flow is not ready yet.
    await page.waitForURL(/template=failed-deliveries-alert/);
    for (const id of ['trigger', 'disabled', 'map', 'alert']) await page.getByTestId(`node-${id}`).waitFor();
    await expect.poll(() => page.locator('.react-flow__edge').count(), { timeout: 10_000 }).toBe(3);
    // Both ways a delivery goes wrong: an event failing for good, and a webhook turned off.
    expect(await page.getByTestId('node-trigger').textContent()).toContain('Delivery failed (hub.delivery.failed)');
    expect(await page.getByTestId('node-disabled').textContent()).toContain('Webhook disabled (hub.webhook.disabled)');
    expect(await page.getByTestId('flow-name').inputValue()).toBe('Alert on failed deliveries');
    const todo = page.getByTestId('placeholder-alert-url');
    expect(await todo.getAttribute('data-filled')).toBe('no');
    expect(await page.getByTestId('template-checklist').textContent()).toContain('Fill in the marked field');
    // The empty URL is the one thing left: "1 step to finish" (or "1 problem" once a save was tried).
    expect(await page.locator('[data-testid="problem-count"], [data-testid="pending-count"]').textContent()).toMatch(/^1 (problem|step to finish)$/);
    await b.screenshot('first-run-template-opened');

    // "Fill in" opens the alert's form; the URL is the only thing typed.
    await click(todo.getByRole('button', { name: 'Fill in' }));
    await fill(page.getByTestId('webhook-url'), `${receiver.url}/alert`);
    await expect.poll(() => todo.getAttribute('data-filled')).toBe('yes');
    await expect.poll(() => page.locator('.flow-toolbar').textContent(), { timeout: 10_000 }).toContain('Ready to save');

    await click(page.getByTestId('save-flow'));
    await page.waitForURL(/\/flows\/flw_/, { timeout: 15_000 });
    await expect.poll(() => page.getByTestId('secret-alert').textContent(), { timeout: 15_000 }).toMatch(/^whsec_/);
    await click(page.getByRole('button', { name: 'Done' }));
    await b.screenshot('first-run-template-saved');

    // Test → Run on the event's sample → one real delivery of the alert.
    await click(page.getByTestId('test-open'));
    await click(page.getByTestId('test-run'));
    await expect.poll(() => page.getByTestId('test-status-alert').textContent(), { timeout: 15_000 }).toBe('passed');
    await click(page.getByTestId('test-deliver-alert'));
    await expect.poll(() => page.getByTestId('test-delivery-alert').textContent(), { timeout: 15_000 }).toContain('Delivered: 200');
    const got = await waitFor(() => receiver.received.find((r) => r.url === '/alert'), 15_000, 'the alert');
    expect(JSON.parse(got.body.toString())).toMatchObject({
      text: expect.stringMatching(
        /^Wirehub could not deliver an event of the flow “New leads to the CRM” \(https:\/\/crm\.example\.com\/hooks\/leads\): the receiver answered 500/,
      ),
      eventType: 'hub.delivery.failed',
    });
    await b.screenshot('first-run-template-delivered');

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `[first-run template] sign-up → template → test delivery: ${count.clicks} clicks, ${count.drags} drags, ${count.fields} typed fields, ${seconds} s`,
    );
    // After sign-up (4 fields + 1 click): New flow, template, Fill in, Save, Done, Test, Run, Deliver.
    expect(count.drags).toBe(0);
    expect(count.clicks - 1).toBeLessThan(10);
  });

  it('opens the demo: sample flows, recent events, and a chatbot to try on its page', async () => {
    const started = Date.now();
    const { hub, b, page } = portal;
    const { count, click, fill } = countedActions();
    await page.evaluate(() => localStorage.clear());
    await page.goto(hub.url);
    await page.waitForURL(/\/login/);
    await click(page.getByRole('button', { name: 'Try the demo workspace' }));
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));

    // Sample flows.
    await click(page.getByRole('link', { name: 'Flows', exact: true }));
    for (const name of ['Chat leads to Test receiver', 'Escalations to helpdesk', 'Alert on failed deliveries'])
      await page.getByRole('link', { name }).waitFor();
    await b.screenshot('first-run-demo-flows');

    // Recent events: delivered ones, and the helpdesk's 500.
    await click(page.getByRole('link', { name: 'Events log' }));
    const rows = page.getByTestId('event-row');
    await waitFor(
      async () => {
        const delivered = await page.locator('[data-testid="event-row"][data-status="SUCCESSFUL"]').count();
        const failing = await rows.filter({ hasText: 'Escalation' }).filter({ hasText: '500' }).count();
        if (delivered >= 3 && failing >= 1) return true;
        await page.getByRole('button', { name: 'Refresh' }).click();
        await page.waitForTimeout(300);
        return false;
      },
      30_000,
      'three delivered events and the escalation answered 500 in the log',
    );
    await b.screenshot('first-run-demo-events');

    // The chatbot's page: Try it.
    await click(page.getByRole('link', { name: 'Chatbots' }));
    await click(page.getByRole('link', { name: 'Acme Plumbing Bot' }));
    await click(page.getByTestId('tab-try'));
    const preview = page.getByTestId('chat-preview');
    const box = preview.getByLabel('Message to the chatbot');
    await fill(box, 'How much does a drain cleaning cost?');
    await click(preview.getByRole('button', { name: 'Send' }));
    await expect.poll(() => preview.getByTestId('preview-bot').last().textContent(), { timeout: 15_000 }).toContain('A standard drain cleaning is $149');
    await fill(box, "I'm Dana Fox, dana.fox@example.com, (415) 555-0199");
    await click(preview.getByRole('button', { name: 'Send' }));
    await expect.poll(() => preview.getByTestId('preview-lead-phone').textContent(), { timeout: 15_000 }).toBe('+14155550199');
    expect(await preview.getByTestId('preview-lead-email').textContent()).toBe('dana.fox@example.com');
    expect(await preview.getByTestId('preview-bot').last().textContent()).toContain('we have your details');
    await b.screenshot('first-run-demo-chat-preview');

    // The lead is real: under Leads with the number in E.164.
    await click(page.getByTestId('tab-leads'));
    await expect
      .poll(() => page.getByTestId('lead-row').filter({ hasText: 'dana.fox@example.com' }).textContent(), { timeout: 10_000 })
      .toContain('+14155550199');

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `[first-run demo] demo → flows → events → chatbot preview → lead: ${count.clicks} clicks, ${count.drags} drags, ${count.fields} typed fields, ${seconds} s`,
    );
  });
});
