// The portal in a real browser: a webhook made with a shared secret of one's own (seed 004) and
// FusionChatalyst's headers, then edited on the Webhooks page (seed 001: URL, Authorization, events,
// fields) and switched to GitHub-style signatures; the next delivery goes to the new URL with the
// new header, which a receiver verifies with the same secret.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { portalStory, signUp } from './support/portal.ts';
import { waitFor } from './support/hub.ts';

const lead = { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' };
const OWN_SECRET = 'my-own-shared-secret-42';

describe('portal: a webhook edited in the browser delivers to its new URL with its new signature header', () => {
  const portal = portalStory();
  const { count, click, fill, choose } = portal;

  it('creates with its own secret, edits URL, Authorization, events, fields and preset, and the next delivery follows', async () => {
    const started = Date.now();
    const { hub, receiver, b, page } = portal;
    const token = await signUp(page, hub.url, { click, fill });
    const key = (await hub.api('post', '/api/v1/api-keys', token).send({ name: 'e2e', scopes: ['read', 'write'] })).body.key as string;
    const api = (method: 'get' | 'post', url: string) => hub.api(method, `/api/v1${url}`, key);
    const publish = async (eventType = 'lead.captured') => {
      const data = eventType === 'lead.captured' ? lead : (await api('get', `/event-types/${eventType}`)).body.sample;
      const res = await api('post', '/publish').send({ eventType, data });
      expect(res.status).toBe(202);
      return res.body.eventId as string;
    };
    const delivery = (eventId: string) =>
      waitFor(() => receiver.received.find((r) => r.headers['webhook-id'] === eventId), 15_000, `the delivery of ${eventId}`);

    // New webhook: FusionChatalyst's headers, a secret of one's own, an Authorization token.
    await click(page.getByRole('link', { name: 'Webhooks' }));
    await page.waitForURL(/\/webhooks$/);
    await click(page.getByRole('button', { name: 'New webhook' }));
    const form = page.getByTestId('webhook-new');
    await fill(form.getByLabel('Name', { exact: true }), 'Chat relay');
    await fill(form.getByLabel('Endpoint URL'), `${receiver.url}/old`);
    await expect.poll(() => form.getByRole('checkbox', { name: 'lead.captured' }).isChecked(), { timeout: 15_000 }).toBe(true);
    await choose(form.getByLabel('Signature preset'), 'fusionchatalyst');
    expect(await form.getByTestId('signature-says').textContent()).toContain('X-FC-Signature');
    await click(form.getByRole('radio', { name: 'Use my own shared secret' }));
    await fill(form.getByLabel('Your shared secret'), OWN_SECRET);
    await fill(form.getByLabel('Authorization header'), 'Token first-123');
    await click(form.getByRole('button', { name: 'Create webhook' }));
    await expect.poll(() => page.locator('table').textContent(), { timeout: 15_000 }).toContain('Chat relay');
    // A secret one typed is not shown back.
    expect(await page.getByTestId('secret').count()).toBe(0);
    expect(await page.content()).not.toContain(OWN_SECRET);

    const first = await delivery(await publish());
    expect(first.url).toBe('/old');
    expect(first.headers['x-fc-signature']).toBe(OWN_SECRET);
    expect(first.headers['x-fc-event']).toBe('lead.captured');
    expect(first.headers.authorization).toBe('Token first-123');

    // Edit it: the credentials are shown masked and left alone unless typed.
    await click(page.getByTestId('webhook-row').filter({ hasText: 'Chat relay' }).getByRole('button', { name: 'Edit' }));
    const edit = page.getByTestId('webhook-edit');
    await edit.waitFor();
    expect(await edit.getByLabel('Endpoint URL').inputValue()).toBe(`${receiver.url}/old`);
    expect(await edit.getByLabel('Signature preset').inputValue()).toBe('fusionchatalyst');
    expect(await edit.getByLabel('Authorization header').inputValue()).toBe('');
    const editText = (await edit.textContent()) ?? '';
    expect(editText).toMatch(/now Token …-123; leave empty to keep/);
    expect(editText).not.toContain('first-123');
    expect(await edit.getByTestId('secret-hint').textContent()).toBe('my-own…t-42');
    expect(await page.content()).not.toContain(OWN_SECRET);
    await fill(edit.getByLabel('Endpoint URL'), `${receiver.url}/new`);
    await choose(edit.getByLabel('Signature preset'), 'github');
    expect(await edit.getByTestId('signature-says').textContent()).toContain('X-Hub-Signature-256');
    await click(edit.getByRole('checkbox', { name: 'escalation.created' }));
    await click(edit.getByRole('radio', { name: 'Choose the fields (map them)' }));
    await click(edit.getByLabel('Sample fields').getByRole('button', { name: 'email', exact: true }));
    await b.screenshot('webhook-edit-form');
    await click(edit.getByRole('button', { name: 'Save changes' }));
    await expect.poll(() => page.getByTestId('webhook-edit').count(), { timeout: 15_000 }).toBe(0);
    await expect
      .poll(() => page.getByTestId('webhook-row').filter({ hasText: 'Chat relay' }).textContent(), { timeout: 15_000 })
      .toContain(`${receiver.url}/new`);
    await b.screenshot('webhook-edited');

    // The next delivery: the new URL, GitHub's header verified with the same secret, the kept token, the chosen field.
    const next = await delivery(await publish());
    expect(next.url).toBe('/new');
    const expected = Buffer.from(`sha256=${createHmac('sha256', OWN_SECRET).update(next.body).digest('hex')}`);
    const got = Buffer.from(String(next.headers['x-hub-signature-256']));
    expect(got.length === expected.length && timingSafeEqual(got, expected)).toBe(true);
    expect(next.headers['x-fc-signature']).toBeUndefined();
    expect(next.headers.authorization).toBe('Token first-123');
    expect(JSON.parse(next.body.toString())).toMatchObject({ email: 'jane@example.com', eventType: 'lead.captured' });
    expect(JSON.parse(next.body.toString())).not.toHaveProperty('name');
    expect((await delivery(await publish('escalation.created'))).url).toBe('/new');
    expect(receiver.received.filter((r) => r.url === '/old')).toHaveLength(1);

    // A new token replaces the old one only when typed.
    await click(page.getByTestId('webhook-row').filter({ hasText: 'Chat relay' }).getByRole('button', { name: 'Edit' }));
    await fill(page.getByTestId('webhook-edit').getByLabel('Authorization header'), 'Token second-456');
    await click(page.getByTestId('webhook-edit').getByRole('button', { name: 'Save changes' }));
    await expect.poll(() => page.getByTestId('webhook-edit').count(), { timeout: 15_000 }).toBe(0);
    expect((await delivery(await publish())).headers.authorization).toBe('Token second-456');
    const hook = (await api('get', '/webhooks')).body.models[0];
    expect(hook).toMatchObject({
      url: `${receiver.url}/new`,
      signature: { preset: 'github' },
      events: ['lead.captured', 'escalation.created'],
      mappings: [{ to: 'email', from: 'data.email' }],
    });
    expect(JSON.stringify(hook)).not.toContain(OWN_SECRET);
    expect(JSON.stringify(hook)).not.toContain('second-456');

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`e2e webhook edit story: ${count.clicks} clicks, ${count.fields} typed fields, in ${seconds} s`);
  }, 120_000);
});
