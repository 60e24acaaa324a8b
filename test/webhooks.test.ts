import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver, type Received, type Reply } from './support/receiver.ts';

const V = '/api/v1';
const lead = { name: 'Jane Smith', email: 'Jane@Example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' };

describe('webhooks deliver exactly the mapped fields in a stable envelope', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const replies = new Map<string, (r: Received) => Reply>();
  const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => hub.api(method, `${V}${path}`, ws.key);
  const at = (path: string) => receiver.received.filter((r) => r.url === path);
  const publish = async (body: object) => {
    const res = await api('post', '/publish').send(body);
    expect(res.status).toBe(202);
    return res.body.eventId as string;
  };

  beforeAll(async () => {
    hub = await startTestHub({ retrySchedule: [0, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100] });
    ws = await newWorkspace(hub);
    receiver = await startReceiver((r) => replies.get(r.url)?.(r) ?? { status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } });
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  let crm: { id: string; secret: string };
  let sheet: { id: string; secret: string };

  it('creates webhooks whose secret is shown once, stored as a destination plus a connection', async () => {
    const created = await api('post', '/webhooks').send({
      name: 'crm-leads',
      url: `${receiver.url}/crm`,
      events: ['lead.captured'],
      mappings: [
        { to: 'full_name', from: 'data.name' },
        { to: 'email', expression: '$lowercase(data.email)' },
        { to: 'source', value: 'chat' },
        { to: 'company', from: 'data.company', default: 'unknown' },
        { to: 'missing', from: 'data.nothing_here' },
      ],
      authorization: 'Token make-com-123',
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(created.body).toMatchObject({ name: 'crm-leads', events: ['lead.captured'], envelope: 'flat', signing: 'hmac', enabled: true, paused: false });
    expect(created.body.authorization).not.toContain('make-com-123');
    crm = { id: created.body.id, secret: created.body.secret };

    const mine = 'a-shared-secret-for-zapless-tools';
    const other = await api('post', '/webhooks').send({
      name: 'sheet-log',
      url: `${receiver.url}/log`,
      events: ['lead.captured', 'escalation.created'],
      mappings: [
        { to: 'who', expression: "data.name & ' <' & data.email & '>'" },
        { to: 'intent', from: 'data.intent' },
      ],
      envelope: 'nested',
      signing: 'shared-secret',
      secret: mine,
    });
    expect(other.status).toBe(201);
    expect(other.body.secret).toBe(mine);
    sheet = { id: other.body.id, secret: mine };

    const got = await api('get', `/webhooks/${crm.id}`);
    expect(got.body).not.toHaveProperty('secret');
    expect(got.body.secret_hint).toMatch(/^whsec_…/);
    expect((await api('get', '/webhooks')).body.count).toBe(2);
    // The gateway sees the same objects: a connection from the application source.
    const conn = await api('get', `/connections/${crm.id}`);
    expect(conn.body.source.type).toBe('APPLICATION');
    expect(conn.body.destination.type).toBe('http-webhook');
    expect(conn.body.destination.config.secret).not.toBe(crm.secret);
  });

  it('delivers one published lead to both, each with its own exact body, headers and signature', async () => {
    const eventId = await publish({ eventType: 'lead.captured', data: lead, customerId: 'cus_a1b2c3', chatbotId: 'bot_xyz', conversationId: 'conv_abc' });
    const [toCrm] = await waitFor(() => at('/crm').length === 1 && at('/crm'), 10_000, 'crm delivery');
    const [toLog] = await waitFor(() => at('/log').length === 1 && at('/log'), 10_000, 'log delivery');

    const crmBody = JSON.parse(toCrm.body.toString());
    const ts = crmBody.eventTimestamp as string;
    expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Byte for byte: mapped fields in order, then seed 004's envelope; missing values left out.
    expect(toCrm.body.toString()).toBe(
      JSON.stringify({
        full_name: 'Jane Smith',
        email: 'jane@example.com',
        source: 'chat',
        company: 'unknown',
        eventType: 'lead.captured',
        eventTimestamp: ts,
        eventId,
        customerId: 'cus_a1b2c3',
        chatbotId: 'bot_xyz',
        conversationId: 'conv_abc',
      }),
    );
    expect(toCrm.headers).toMatchObject({
      'content-type': 'application/json',
      'x-wirehub-event': 'lead.captured',
      'webhook-id': eventId,
      authorization: 'Token make-com-123',
    });
    expect(toCrm.headers['user-agent']).toMatch(/^Wirehub\/\d+\.\d+\.\d+$/);
    const verified = new Webhook(crm.secret).verify(toCrm.body.toString(), {
      'webhook-id': String(toCrm.headers['webhook-id']),
      'webhook-timestamp': String(toCrm.headers['webhook-timestamp']),
      'webhook-signature': String(toCrm.headers['webhook-signature']),
    });
    expect(verified).toEqual(crmBody);
    expect(toCrm.headers['x-wirehub-signature-256']).toBe(`sha256=${createHmac('sha256', crm.secret).update(toCrm.body).digest('hex')}`);
    expect(toCrm.headers['x-wirehub-signature']).toBeUndefined();

    // Nested envelope (seed 003) and the shared-secret header (seed 004).
    expect(JSON.parse(toLog.body.toString())).toEqual({
      event: 'lead.captured',
      timestamp: ts,
      workspace_id: ws.teamId,
      id: eventId,
      data: { who: 'Jane Smith <Jane@Example.com>', intent: 'request_quote' },
    });
    expect(toLog.headers['x-wirehub-signature']).toBe(sheet.secret);
    expect(toLog.headers['webhook-signature']).toBeUndefined();
    expect(toLog.headers['webhook-id']).toBe(eventId);

    // Logged like any delivery, with the body that was actually sent.
    const events = (await api('get', `/events?connection_id=${crm.id}`)).body.models;
    expect(events).toHaveLength(1);
    await waitFor(async () => (await api('get', `/events/${events[0].id}`)).body.status === 'SUCCESSFUL', 5000, 'successful');
    const attempts = (await api('get', `/attempts?event_id=${events[0].id}`)).body.models;
    expect(attempts).toHaveLength(1);
  });

  it('keeps webhook-id stable across a retry and signs with a rotated secret only', async () => {
    let failOnce = true;
    replies.set('/crm', () => (failOnce ? ((failOnce = false), { status: 503 }) : { status: 200 }));
    const eventId = await publish({ eventType: 'lead.captured', data: lead });
    const two = await waitFor(
      () => at('/crm').filter((r) => r.headers['webhook-id'] === eventId).length === 2 && at('/crm').filter((r) => r.headers['webhook-id'] === eventId),
      10_000,
      'retry',
    );
    expect(two[0].body.equals(two[1].body)).toBe(true);
    replies.delete('/crm');

    const rotated = await api('post', `/webhooks/${crm.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(crm.secret);
    const next = await publish({ eventType: 'lead.captured', data: lead });
    const [sent] = await waitFor(
      () => at('/crm').filter((r) => r.headers['webhook-id'] === next).length === 1 && at('/crm').filter((r) => r.headers['webhook-id'] === next),
      10_000,
      'after rotation',
    );
    const headers = {
      'webhook-id': String(sent.headers['webhook-id']),
      'webhook-timestamp': String(sent.headers['webhook-timestamp']),
      'webhook-signature': String(sent.headers['webhook-signature']),
    };
    expect(() => new Webhook(crm.secret).verify(sent.body.toString(), headers)).toThrow();
    expect(new Webhook(rotated.body.secret).verify(sent.body.toString(), headers)).toEqual(JSON.parse(sent.body.toString()));
    crm.secret = rotated.body.secret;
  });

  it('previews the exact body, and refuses bad mappings with 422 naming the entry', async () => {
    const preview = await api('post', '/mappings/preview').send({
      eventType: 'lead.captured',
      mappings: [
        { to: 'email', from: 'data.email' },
        { to: 'first', expression: '$substringBefore(data.name, " ")' },
      ],
      envelope: 'flat',
    });
    expect(preview.status).toBe(200);
    expect(preview.body.body).toMatchObject({ email: 'jane@example.com', first: 'Jane', eventType: 'lead.captured' });
    expect(preview.body.raw).toBe(JSON.stringify(preview.body.body));
    const own = await api('post', '/mappings/preview').send({ sample: { a: { b: 2 } }, mappings: [{ to: 'b', from: 'data.a.b' }], envelope: 'nested' });
    expect(own.body.body.data).toEqual({ b: 2 });

    const badExpr = await api('post', '/mappings/preview').send({
      eventType: 'lead.captured',
      mappings: [
        { to: 'ok', value: 1 },
        { to: 'x', expression: 'data.name &' },
      ],
    });
    expect(badExpr.status).toBe(422);
    expect(badExpr.body.error.code).toBe('INVALID_MAPPING');
    expect(badExpr.body.error.details[0].path).toBe('mappings.1.expression');
    expect(badExpr.body.error.message).toMatch(/mapping 2 \("x"\)/);
    const runtime = await api('post', '/mappings/preview').send({
      eventType: 'lead.captured',
      mappings: [{ to: 'x', expression: '$number("abc") + $error("boom")' }],
    });
    expect(runtime.status).toBe(422);
    expect(runtime.body.error.details[0].path).toBe('mappings.0.expression');

    const envelopeKey = await api('post', '/webhooks').send({
      name: 'bad',
      url: `${receiver.url}/bad`,
      events: ['lead.captured'],
      mappings: [{ to: 'eventId', value: 'x' }],
    });
    expect(envelopeKey.status).toBe(422);
    expect(envelopeKey.body.error.details[0].path).toBe('mappings.0.to');
    const shape = await api('post', '/webhooks').send({
      name: 'bad',
      url: `${receiver.url}/bad`,
      events: ['lead.captured'],
      mappings: [{ to: 'a' }, { to: 'a', from: 'data.a' }, { to: 'a', value: 2 }],
    });
    expect(shape.status).toBe(422);
    expect(shape.body.error.details.map((d: { path: string }) => d.path)).toEqual(['mappings.0', 'mappings.1.to', 'mappings.2.to']);
    const unknownType = await api('post', '/webhooks').send({ name: 'bad', url: `${receiver.url}/bad`, events: ['lead.captured', 'lead.lost'] });
    expect(unknownType.status).toBe(422);
    expect(unknownType.body.error.details).toEqual([{ path: 'events.1', message: 'unknown event type "lead.lost"' }]);
    expect((await api('get', '/webhooks')).body.count).toBe(2);
  });

  it('test-delivers the sample now and shows what was sent and what came back', async () => {
    replies.set('/log', () => ({ status: 202, body: 'queued', headers: { 'x-receiver': 'yes' } }));
    const res = await api('post', `/webhooks/${sheet.id}/test`).send({ eventType: 'escalation.created' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, status: 202, response: { status: 202, body: 'queued', headers: { 'x-receiver': 'yes' } } });
    expect(res.body.request).toMatchObject({ method: 'POST', url: `${receiver.url}/log`, body: { event: 'escalation.created', workspace_id: ws.teamId } });
    expect(res.body.request.headers['x-wirehub-signature']).toBe('[redacted]');
    replies.set('/log', () => ({ status: 500, body: 'down' }));
    const failed = await api('post', `/webhooks/${sheet.id}/test`).send({});
    expect(failed.body).toMatchObject({ ok: false, status: 500, error_code: 'HTTP_STATUS', request: { body: { event: 'lead.captured' } } });
    replies.delete('/log');
  });

  it('pauses and resumes: events are held, then delivered', async () => {
    expect((await api('post', `/webhooks/${sheet.id}/pause`)).body.paused).toBe(true);
    const eventId = await publish({ eventType: 'escalation.created', data: (await api('get', '/event-types/escalation.created')).body.sample });
    const held = await waitFor(
      async () => {
        const models = (await api('get', `/events?connection_id=${sheet.id}&status=HOLD`)).body.models;
        return models.length === 1 && models;
      },
      5000,
      'held',
    );
    expect(held).toHaveLength(1);
    expect(at('/log').some((r) => r.headers['webhook-id'] === eventId)).toBe(false);
    expect((await api('post', `/webhooks/${sheet.id}/resume`)).body.paused).toBe(false);
    await waitFor(() => at('/log').some((r) => r.headers['webhook-id'] === eventId), 10_000, 'released');
  });

  it('edits a webhook in place: url, events and mappings', async () => {
    const patched = await api('patch', `/webhooks/${crm.id}`).send({
      url: `${receiver.url}/crm2`,
      mappings: [{ to: 'mail', from: 'data.email' }],
      envelope: 'nested',
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      url: `${receiver.url}/crm2`,
      envelope: 'nested',
      events: ['lead.captured'],
      mappings: [{ to: 'mail', from: 'data.email' }],
    });
    const eventId = await publish({ eventType: 'lead.captured', data: lead });
    const [sent] = await waitFor(() => at('/crm2').length === 1 && at('/crm2'), 10_000, 'edited');
    expect(JSON.parse(sent.body.toString())).toMatchObject({ id: eventId, data: { mail: 'Jane@Example.com' } });
    expect(sent.headers.authorization).toBe('Token make-com-123');
  });

  it('refuses the webhook past the plan limit with 403', async () => {
    const count = (await api('get', '/webhooks')).body.count as number;
    const results = await Promise.all(
      Array.from({ length: 12 - count }, (_, i) => api('post', '/webhooks').send({ name: `extra-${i}`, url: `${receiver.url}/extra`, events: ['deal.won'] })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(10 - count);
    const refused = results.filter((r) => r.status === 403);
    expect(refused).toHaveLength(2);
    expect(refused[0].body.error).toMatchObject({ code: 'PLAN_LIMIT' });
    expect(refused[0].body.error.message).toMatch(/10/);
    expect((await api('get', '/webhooks')).body.count).toBe(10);
    for (const r of results.filter((x) => x.status === 201)) expect((await api('delete', `/webhooks/${r.body.id}`)).status).toBe(200);
  });

  it('disables a webhook after ten failed deliveries, publishes hub.webhook.disabled, and resumes when enabled', async () => {
    const alerts = await api('post', '/webhooks').send({ name: 'alerts', url: `${receiver.url}/alerts`, events: ['hub.webhook.disabled'] });
    expect(alerts.status).toBe(201);
    replies.set('/crm2', () => ({ status: 500, body: 'broken' }));
    const eventId = await publish({ eventType: 'lead.captured', data: lead });
    const [alert] = await waitFor(() => at('/alerts').length > 0 && at('/alerts'), 20_000, 'disabled alert');
    expect(JSON.parse(alert.body.toString())).toMatchObject({
      eventType: 'hub.webhook.disabled',
      webhook_id: crm.id,
      name: 'crm-leads',
      type: 'http-webhook',
      url: `${receiver.url}/crm2`,
      reason: expect.stringMatching(/10 consecutive failed deliveries/),
    });
    const off = (await api('get', `/webhooks/${crm.id}`)).body;
    expect(off).toMatchObject({ enabled: false, disabled_reason: expect.stringMatching(/disabled automatically/) });
    expect(at('/crm2').filter((r) => r.headers['webhook-id'] === eventId)).toHaveLength(10);

    replies.delete('/crm2');
    const next = await publish({ eventType: 'lead.captured', data: lead });
    expect((await api('post', `/webhooks/${crm.id}/enable`)).body).toMatchObject({ enabled: true, consecutive_failures: 0 });
    await waitFor(() => at('/crm2').some((r) => r.headers['webhook-id'] === next), 10_000, 'held event delivered after enabling');
  });

  it('deletes a webhook with its destination and connection', async () => {
    const del = await api('delete', `/webhooks/${sheet.id}`);
    expect(del.body).toEqual({ id: sheet.id, deleted: true });
    expect((await api('get', `/webhooks/${sheet.id}`)).status).toBe(404);
    expect((await api('get', `/connections/${sheet.id}`)).status).toBe(404);
  });

  it("tests a destination's connection without delivering an event", async () => {
    const destinationId = (await api('get', `/webhooks/${crm.id}`)).body.destination_id;
    const before = receiver.received.length;
    const res = await api('post', `/destinations/${destinationId}/test`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, type: 'http-webhook', destination_id: destinationId, warnings: [] });
    expect(receiver.received.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual(['HEAD /crm2']);
    await receiver.close();
    const down = await api('post', `/destinations/${destinationId}/test`);
    expect(down.body).toMatchObject({ ok: false, message: expect.stringMatching(/could not be reached: connection refused/) });
  });
});
