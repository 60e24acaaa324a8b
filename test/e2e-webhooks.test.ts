// The portal in a real browser: sign up, build a webhook with the field mapper (drag and drop,
// rename, expression, preview), receive the delivery, and find it in the events log.
import { describe, expect, it } from 'vitest';
import { html5Drag } from './support/canvas.ts';
import { portalStory, sentBodyInEventsLog, signUp } from './support/portal.ts';
import { waitFor } from './support/hub.ts';

const lead = { name: 'Jane Smith', email: 'Jane@Example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' };

describe('portal: a webhook built in the browser delivers exactly the mapped fields', () => {
  const portal = portalStory();
  let token: string;

  // What the user had to do, reported at the end.
  const { count, click, fill, choose, drag } = portal;

  it('signs up, maps fields by dragging, previews, creates, delivers, and shows the attempt in the events log', async () => {
    const started = Date.now();
    const { hub, receiver, b, page } = portal;
    const api = (method: 'get' | 'post', url: string, key = token) => hub.api(method, `/api/v1${url}`, key);

    token = await signUp(page, hub.url, { click, fill });

    // New webhook.
    await click(page.getByRole('link', { name: 'Webhooks' }));
    await page.waitForURL(/\/webhooks$/);
    await click(page.getByRole('button', { name: 'New webhook' }));
    const form = page.locator('form.card');
    await fill(form.getByLabel('Name', { exact: true }), 'CRM leads');
    await fill(form.getByLabel('Endpoint URL'), `${receiver.url}/crm`);
    await expect.poll(() => form.getByRole('checkbox', { name: 'lead.captured' }).isChecked(), { timeout: 15_000 }).toBe(true);
    await click(form.getByRole('radio', { name: 'Choose the fields (map them)' }));

    // Drag email and name from the event's fields onto the list of fields to send.
    const sampleFields = form.getByLabel('Sample fields');
    const targets = form.getByLabel('Fields to send');
    const dropZone = targets.getByRole('heading', { name: 'Fields to send' });
    await drag(sampleFields.getByRole('button', { name: 'email', exact: true }), dropZone);
    await drag(sampleFields.getByRole('button', { name: 'name', exact: true }), dropZone);
    const row = (i: number) => form.getByTestId(`mapping-${i}`);
    await row(1).waitFor();
    expect(await row(0).getByLabel('Field name').inputValue()).toBe('email');
    expect(await row(0).getByLabel('Source').inputValue()).toBe('data.email');
    expect(await row(1).getByLabel('Source').inputValue()).toBe('data.name');

    // Rename one, make the other an expression.
    await fill(row(1).getByLabel('Field name'), 'full_name');
    await choose(row(0).getByLabel('Kind'), 'expression');
    await fill(row(0).getByLabel('Source'), '$lowercase(data.email)');

    // Preview the exact body.
    await click(targets.getByRole('button', { name: 'Preview the body' }));
    const preview = targets.locator('details.json').first();
    await expect.poll(() => preview.textContent(), { timeout: 15_000 }).toContain('full_name');
    const shown = (await preview.textContent()) ?? '';
    for (const s of ['email: "jane@example.com"', 'full_name: "Jane Smith"', 'eventType: "lead.captured"', 'eventId', 'eventTimestamp'])
      expect(shown).toContain(s);
    await b.screenshot('webhook-form-preview');

    // Create; the signing secret is shown once.
    await click(form.getByRole('button', { name: 'Create webhook' }));
    const secret = page.getByTestId('secret');
    await expect.poll(() => secret.textContent(), { timeout: 15_000 }).toMatch(/^whsec_/);
    await expect.poll(() => page.locator('table').textContent(), { timeout: 15_000 }).toContain('CRM leads');
    await click(page.getByRole('button', { name: 'Done' }));
    expect(await secret.count()).toBe(0);

    // Publish a lead through the API with a key made from the session.
    const key = await api('post', '/api-keys').send({ name: 'e2e', scopes: ['read', 'write'] });
    expect(key.status).toBe(201);
    const hooks = await api('get', '/webhooks', key.body.key);
    expect(hooks.body.models).toHaveLength(1);
    expect(hooks.body.models[0]).toMatchObject({
      mappings: [
        { to: 'email', expression: '$lowercase(data.email)' },
        { to: 'full_name', from: 'data.name' },
      ],
      envelope: 'flat',
    });
    expect(hooks.body.models[0].secret).toBeUndefined();
    const published = await api('post', '/publish', key.body.key).send({ eventType: 'lead.captured', data: lead, customerId: 'cus_a1b2c3' });
    expect(published.status).toBe(202);
    const eventId = published.body.eventId as string;

    const [got] = await waitFor(() => receiver.received.length > 0 && receiver.received, 15_000, 'the delivery');
    expect(got.url).toBe('/crm');
    const sent = JSON.parse(got.body.toString());
    expect(got.body.toString()).toBe(
      JSON.stringify({
        email: 'jane@example.com',
        full_name: 'Jane Smith',
        eventType: 'lead.captured',
        eventTimestamp: sent.eventTimestamp,
        eventId,
        customerId: 'cus_a1b2c3',
      }),
    );
    expect(sent.eventTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // The events log shows it delivered, with the body sent.
    const bodyText = await sentBodyInEventsLog(page, { click }, 'full_name: "Jane Smith"');
    for (const s of ['email: "jane@example.com"', `eventId: "${eventId}"`, 'eventType: "lead.captured"', 'customerId: "cus_a1b2c3"'])
      expect(bodyText).toContain(s);
    await b.screenshot('events-log-detail');

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `e2e webhook story: ${count.clicks} clicks, ${count.drags} drags, ${count.fields} typed fields (the log showed the delivery by itself, no Refresh), in ${seconds} s (sign-up to delivered-and-inspected)`,
    );
  }, 120_000);

  it('shows the API 422 for an invalid expression inline and creates nothing', async () => {
    const { hub, receiver, b, page } = portal;
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('button', { name: 'New webhook' }).click();
    const form = page.locator('form.card');
    await form.getByLabel('Name', { exact: true }).fill('Broken');
    await form.getByLabel('Endpoint URL').fill(`${receiver.url}/broken`);
    await form.getByRole('radio', { name: 'Choose the fields (map them)' }).click();
    const sampleFields = form.getByLabel('Sample fields');
    await sampleFields.getByRole('button', { name: 'email', exact: true }).click();
    const row = form.getByTestId('mapping-0');
    // Dropping a field on a row adds a row of its own (issue 14, trap 3: it replaced the first row's source)...
    await html5Drag(page, sampleFields.getByRole('button', { name: 'name', exact: true }), row.getByLabel('Field name'));
    expect(await row.getByLabel('Source').inputValue()).toBe('data.email');
    expect(await form.getByTestId('mapping-1').getByLabel('Source').inputValue()).toBe('data.name');
    await form.getByTestId('mapping-1').getByLabel('Remove').click();
    // ...and dropping it on a row's Source box replaces that source.
    await html5Drag(page, sampleFields.getByRole('button', { name: 'name', exact: true }), row.getByLabel('Source'));
    expect(await row.getByLabel('Source').inputValue()).toBe('data.name');
    expect(await form.getByTestId('mapping-1').count()).toBe(0);
    await row.getByLabel('Kind').selectOption('expression');
    await row.getByLabel('Source').fill('data.name &');
    await form.getByRole('button', { name: 'Create webhook' }).click();

    const alert = form.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toMatch(/mapping 1 \("email"\)/);
    expect(await alert.textContent()).toMatch(/Invalid mappings|mappings\.0\.expression/);
    expect(await page.getByTestId('secret').count()).toBe(0);
    expect(await form.isVisible()).toBe(true);
    const hooks = await hub.api('get', '/api/v1/webhooks', token);
    expect(hooks.body.models.map((w: { name: string }) => w.name)).toEqual(['CRM leads']);
    await b.screenshot('webhook-form-invalid-expression');
  }, 60_000);
});
