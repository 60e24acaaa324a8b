import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

// One user's story, told end to end through the public API against a real database.
describe('a webhook travels from a verified source to a signed delivery', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let sourceId: string;
  let sourceUrl: string;
  let destinationId: string;
  let connectionId: string;
  const answers: number[] = [];
  const sourceSecret = 'shopify-style-secret';

  beforeAll(async () => {
    hub = await startTestHub({ retrySchedule: [0, 300, 300, 300, 300, 300, 300, 300] });
    receiver = await startReceiver(() => ({ status: answers.shift() ?? 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } }));
    ws = await newWorkspace(hub);
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  const api = (m: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string) => hub.api(m, `/api/v1${url}`, ws.key);
  const signed = (body: string) => createHmac('sha256', sourceSecret).update(body).digest('hex');
  const ingest = (body: string, sig = signed(body)) =>
    hub.api('post', `/e/${sourceId}`).set('content-type', 'application/json').set('x-shop-signature', `sha256=${sig}`).send(body);

  it('creates a source with HMAC verification, a destination and a filtered connection', async () => {
    const src = await api('post', '/sources').send({
      name: 'shop',
      config: {
        auth: { type: 'hmac', algorithm: 'sha256', header_key: 'X-Shop-Signature', encoding: 'hex', prefix: 'sha256=', webhook_secret_key: sourceSecret },
      },
    });
    expect(src.status).toBe(201);
    expect(src.body.id).toMatch(/^src_/);
    expect(src.body.config).toEqual({ auth_type: 'hmac', allowed_http_methods: ['POST', 'PUT', 'PATCH'] });
    sourceId = src.body.id;
    sourceUrl = src.body.url;
    expect(sourceUrl).toBe(`${hub.deps.config.publicUrl}/e/${sourceId}`);

    const revealed = await api('get', `/sources/${sourceId}?include=config.auth`);
    expect(revealed.body.config.auth.webhook_secret_key).toBe(sourceSecret);
    expect((await api('post', '/sources').send({ name: 'shop' })).body.error.code).toBe('RESOURCE_ALREADY_EXISTS');

    const des = await api('post', '/destinations').send({
      name: 'orders-api',
      config: { url: `${receiver.url}/orders`, auth: { type: 'bearer', token: 'receiver-token' } },
    });
    expect(des.status).toBe(201);
    expect(des.body.config.auth).toBeUndefined();
    destinationId = des.body.id;

    const con = await api('post', '/connections').send({
      name: 'paid-orders',
      source_id: sourceId,
      destination_id: destinationId,
      rules: [{ type: 'filter', body: { type: 'order.paid', amount: { $gte: 10 } } }],
    });
    expect(con.status).toBe(201);
    expect(con.body.full_name).toBe('shop -> paid-orders');
    expect(con.body.source.id).toBe(sourceId);
    connectionId = con.body.id;
  });

  it('rejects a request with a bad signature, and stores it as rejected with the cause', async () => {
    const res = await ingest('{"type":"order.paid","amount":50}', 'deadbeef');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('VERIFICATION_FAILED');
    const list = await api('get', `/requests?status=rejected&source_id=${sourceId}`);
    expect(list.body.models).toHaveLength(1);
    expect(list.body.models[0].rejection_cause).toMatch(/does not match/);
  });

  it('delivers a matching request with the original body, signed as Standard Webhooks', async () => {
    const body = '{"type":"order.paid","amount":50,"id":"o_1"}';
    const res = await ingest(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'accepted', request_id: expect.stringMatching(/^req_/) });

    const delivered = await waitFor(() => receiver.received.find((r) => r.body.toString() === body), 10_000, 'delivery');
    expect(delivered.url).toBe('/orders');
    expect(delivered.headers['content-type']).toBe('application/json');
    expect(delivered.headers.authorization).toBe('Bearer receiver-token');
    expect(delivered.headers['user-agent']).toMatch(/^Wirehub\//);

    // An independent implementation (the standardwebhooks package) must accept the signature.
    const secrets = await api('get', '/project-secrets?reveal=true');
    const secret = secrets.body.signing_secret.value as string;
    const payload = new Webhook(secret).verify(body, {
      'webhook-id': String(delivered.headers['webhook-id']),
      'webhook-timestamp': String(delivered.headers['webhook-timestamp']),
      'webhook-signature': String(delivered.headers['webhook-signature']),
    });
    expect(payload).toEqual(JSON.parse(body));
    expect(delivered.headers['x-wirehub-signature-256']).toBe(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);

    const events = await api('get', `/requests/${res.body.request_id}/events`);
    expect(events.body.models).toHaveLength(1);
    expect(delivered.headers['webhook-id']).toBe(events.body.models[0].id);
    await waitFor(async () => (await api('get', `/events/${events.body.models[0].id}`)).body.status === 'SUCCESSFUL', 5000, 'SUCCESSFUL');
    const latest = await api('get', `/connections/${connectionId}/latest-input`);
    expect(latest.body).toMatchObject({ request_id: res.body.request_id, body: JSON.parse(body), path: '/' });
  });

  it('ignores a request the filter rejects, and says why', async () => {
    const res = await ingest('{"type":"order.paid","amount":3}');
    expect(res.status).toBe(200);
    expect((await api('get', `/requests/${res.body.request_id}/events`)).body.models).toHaveLength(0);
    const ignored = await api('get', `/requests/${res.body.request_id}/ignored_events`);
    expect(ignored.body.models).toEqual([expect.objectContaining({ connection_id: connectionId, cause: 'FILTERED' })]);
  });

  it('retries a failing receiver (500, 500, then 200) and logs every attempt', async () => {
    answers.push(500, 500);
    const res = await ingest('{"type":"order.paid","amount":99,"id":"o_retry"}');
    const [event] = (await api('get', `/requests/${res.body.request_id}/events`)).body.models;
    const done = await waitFor(
      async () => {
        const e = (await api('get', `/events/${event.id}`)).body;
        return e.status === 'SUCCESSFUL' && e;
      },
      15_000,
      'success after retries',
    );
    expect(done.attempts).toBe(3);
    const attempts = (await api('get', `/attempts?event_id=${event.id}&dir=asc`)).body.models;
    expect(attempts.map((a: { response: { status: number } }) => a.response.status)).toEqual([500, 500, 200]);
    expect(attempts.map((a: { trigger: string }) => a.trigger)).toEqual(['initial', 'automatic', 'automatic']);
    expect(attempts[0].request.headers.authorization).toBe('[redacted]');
    expect(attempts[2].response.body).toBe('{"ok":true}');
    const ids = receiver.received.filter((r) => r.body.toString().includes('o_retry')).map((r) => r.headers['webhook-id']);
    expect(new Set(ids)).toEqual(new Set([event.id])); // stable across retries
  });

  it('holds events while the connection is paused and delivers them on unpause', async () => {
    expect((await api('put', `/connections/${connectionId}/pause`)).body.paused_at).not.toBeNull();
    const res = await ingest('{"type":"order.paid","amount":20,"id":"o_paused"}');
    const [event] = (await api('get', `/requests/${res.body.request_id}/events`)).body.models;
    expect(event.status).toBe('HOLD');
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received.some((r) => r.body.toString().includes('o_paused'))).toBe(false);
    expect((await api('put', `/connections/${connectionId}/unpause`)).body.paused_at).toBeNull();
    await waitFor(() => receiver.received.some((r) => r.body.toString().includes('o_paused')), 10_000, 'delivery after unpause');
  });

  it('retries an event by hand, recording a manual attempt', async () => {
    const before = receiver.received.length;
    const [event] = (await api('get', `/events?status=SUCCESSFUL&connection_id=${connectionId}&limit=1`)).body.models;
    const retry = await api('post', `/events/${event.id}/retry`);
    expect(retry.status).toBe(202);
    await waitFor(() => receiver.received.length > before, 10_000, 'manual redelivery');
    const attempts = await waitFor(async () => {
      const list = (await api('get', `/attempts?event_id=${event.id}`)).body.models;
      return list.some((a: { trigger: string }) => a.trigger === 'manual') && list;
    });
    expect(attempts[0].trigger).toBe('manual');
  });

  it('replays a stored request through the current connections', async () => {
    const [request] = (await api('get', `/requests?status=accepted&source_id=${sourceId}&limit=1`)).body.models;
    const replay = await api('post', `/requests/${request.id}/retry`);
    expect(replay.status).toBe(202);
    expect(replay.body.events.length + replay.body.ignored_count).toBe(1);
  });

  it('disables a destination after ten consecutive failures and resumes it on enable', async () => {
    await api('put', `/connections/${connectionId}`).send({ rules: [{ type: 'retry', count: 0, interval: 1000 }] });
    for (let i = 0; i < 10; i++) answers.push(503);
    for (let i = 0; i < 10; i++) expect((await ingest(`{"type":"order.paid","amount":10,"n":${i}}`)).status).toBe(200);
    const dest = await waitFor(
      async () => {
        const d = (await api('get', `/destinations/${destinationId}`)).body;
        return d.disabled_at && d;
      },
      15_000,
      'auto-disable',
    );
    expect(dest.disabled_reason).toMatch(/10 consecutive failed deliveries/);

    const held = await ingest('{"type":"order.paid","amount":10,"id":"o_held"}');
    const [event] = (await api('get', `/requests/${held.body.request_id}/events`)).body.models;
    expect(event.status).toBe('HOLD');
    const enabled = await api('put', `/destinations/${destinationId}/enable`);
    expect(enabled.body.disabled_at).toBeNull();
    expect(enabled.body.consecutive_failures).toBe(0);
    await waitFor(() => receiver.received.some((r) => r.body.toString().includes('o_held')), 10_000, 'held event delivered after enable');
  });
});
