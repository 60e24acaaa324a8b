import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../server/core/ids.ts';
import { MOCK_REQUESTS_PER_DESTINATION, pruneMockRequests, type MockRequestOut } from '../server/gateway/mock-api.service.ts';
import type { Wire } from '../web/src/pages/gateway/types.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

// What the API sends: the service's own type with its dates as JSON strings.
type MockRequest = Wire<MockRequestOut>;

// A user tries a flow with no endpoint of their own: the hub's built-in receiver records each
// request exactly as an HTTP receiver would get it, and answers what it is told to.
describe('a MOCK_API destination', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let other: Awaited<ReturnType<typeof newWorkspace>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let sourceId: string;
  let mockId: string;

  beforeAll(async () => {
    hub = await startTestHub({ retrySchedule: [0, 300, 300, 300, 300, 300, 300, 300], autoDisableAfter: 3 });
    ws = await newWorkspace(hub);
    other = await newWorkspace(hub);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  const api = (m: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, key = ws.key) => hub.api(m, `/api/v1${url}`, key);
  const send = (body: string | Buffer, contentType = 'application/json') => hub.api('post', `/e/${sourceId}`).set('content-type', contentType).send(body);
  const requestsOf = async (destinationId: string, q = '') => {
    const res = await api('get', `/destinations/${destinationId}/mock_requests${q}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { models: MockRequest[]; pagination: { next: string | null; prev: string | null }; count: number };
  };
  const connect = async (name: string, destinationId: string) => {
    const con = await api('post', '/connections').send({ name, source_id: sourceId, destination_id: destinationId });
    expect(con.status, JSON.stringify(con.body)).toBe(201);
    return con.body.id as string;
  };
  const mockDestination = async (name: string, config: Record<string, unknown> = {}) => {
    const res = await api('post', '/destinations').send({ name, type: 'MOCK_API', config });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; type: string; config: Record<string, unknown> };
  };

  it('is created with a path and shows a display URL that does not pretend to be reachable', async () => {
    const src = await api('post', '/sources').send({ name: 'shop' });
    expect(src.status).toBe(201);
    sourceId = src.body.id;
    const des = await mockDestination('try-it', { path: '/orders?from=shop' });
    mockId = des.id;
    expect(des.type).toBe('MOCK_API');
    expect(des.config).toEqual({
      path: '/orders?from=shop',
      response_status: 200,
      response_delay_ms: 0,
      rate_limit_period: 'second',
      url: `mock://${mockId}/orders?from=shop`,
    });
    // The config as read can be written back: the display URL is accepted and dropped.
    const again = await api('patch', `/destinations/${mockId}`).send({ config: des.config });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.config.url).toBe(`mock://${mockId}/orders?from=shop`);
    const tested = await api('post', `/destinations/${mockId}/test`);
    expect(tested.body).toMatchObject({ ok: true, message: expect.stringContaining('answers 200') });
  });

  it('refuses a bad config with a 400 naming each field', async () => {
    const res = await api('post', '/destinations').send({
      name: 'bad-mock',
      type: 'MOCK_API',
      config: { path: 'orders', response_status: 700, response_delay_ms: 20_000, url: 'https://example.com/hook', secret: 'x' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    const details = res.body.error.details as { path: string; message: string }[];
    expect(details.map((d) => d.path).sort()).toEqual([
      'body.config',
      'body.config.path',
      'body.config.response_delay_ms',
      'body.config.response_status',
      'body.config.url',
    ]);
    expect(details.find((d) => d.path === 'body.config')?.message).toMatch(/secret/);
    expect(details.find((d) => d.path === 'body.config.url')?.message).toMatch(/set `path` instead/);
    expect((await api('patch', `/destinations/${mockId}`).send({ config: { response_status: 199 } })).status).toBe(400);
  });

  it('records the exact body and headers an HTTP destination gets, signed with the team secret', async () => {
    const http = await api('post', '/destinations').send({ name: 'real-receiver', config: { url: `${receiver.url}/orders` } });
    expect(http.status).toBe(201);
    await connect('to-mock', mockId);
    await connect('to-receiver', http.body.id);

    // Not what JSON.stringify would give back: the stored body must be the sent bytes, not re-serialized.
    const body = '{ "type":"order.paid",  "amount": 50, "note":"café ☕" }';
    const sent = await send(body);
    expect(sent.status).toBe(200);
    const [recorded] = (await waitFor(async () => ((await requestsOf(mockId)).models.length === 1 ? requestsOf(mockId) : null), 10_000, 'a recorded request'))
      .models;
    const real = await waitFor(() => receiver.received.find((r) => r.body.toString() === body), 10_000, 'the real delivery');

    expect(recorded).toMatchObject({
      method: 'POST',
      path: '/orders',
      query: 'from=shop',
      url: `mock://${mockId}/orders?from=shop`,
      response_status: 200,
      body_encoding: 'utf8',
      body_truncated: false,
    });
    expect(recorded.body).toBeUndefined(); // the list leaves bodies out unless include=body
    const one = await api('get', `/destinations/${mockId}/mock_requests/${recorded.id}`);
    expect(one.status).toBe(200);
    const got = one.body as MockRequest;
    expect(got.body).toBe(body);
    expect(got.body_size).toBe(Buffer.byteLength(body));

    // Every header the real receiver got, but those only the transport adds.
    const transport = ['host', 'connection'];
    expect(Object.keys(got.headers).sort()).toEqual(
      Object.keys(real.headers)
        .filter((h) => !transport.includes(h))
        .sort(),
    );
    for (const h of ['content-type', 'user-agent', 'content-length']) expect(got.headers[h], h).toBe(real.headers[h]);

    const secret = (await api('get', '/project-secrets?reveal=true')).body.signing_secret.value as string;
    const verified = new Webhook(secret).verify(got.body!, {
      'webhook-id': got.headers['webhook-id'],
      'webhook-timestamp': got.headers['webhook-timestamp'],
      'webhook-signature': got.headers['webhook-signature'],
    });
    expect(verified).toEqual(JSON.parse(body));
    expect(got.headers['x-wirehub-signature-256']).toBe(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);

    // The event and its attempt read like any other delivery's, with the mock's answer.
    const events = (await api('get', `/requests/${sent.body.request_id}/events`)).body.models as { id: string; destination_id: string }[];
    const event = events.find((e) => e.destination_id === mockId)!;
    expect(got.event_id).toBe(event.id);
    expect(got.headers['webhook-id']).toBe(event.id);
    await waitFor(async () => (await api('get', `/events/${event.id}`)).body.status === 'SUCCESSFUL', 5000, 'SUCCESSFUL');
    const [attempt] = (await api('get', `/attempts?event_id=${event.id}`)).body.models;
    expect(attempt).toMatchObject({
      status: 'SUCCESSFUL',
      request: { method: 'POST', url: `mock://${mockId}/orders?from=shop` },
      response: { status: 200 },
      error: null,
    });
    expect(JSON.parse(attempt.response.body)).toEqual({ received: true, mock_request_id: recorded.id });
    expect(attempt.request.headers['webhook-signature']).toBe(got.headers['webhook-signature']);
  });

  it('keeps a body that is not text as base64, byte for byte', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x41, 0x00, 0xfe]);
    expect((await send(bytes, 'application/octet-stream')).status).toBe(200);
    const latest = await waitFor(
      async () => (await requestsOf(mockId, '?include=body')).models.find((m) => m.body_encoding === 'base64'),
      10_000,
      'the binary request',
    );
    expect(Buffer.from(latest.body!, 'base64').equals(bytes)).toBe(true);
    expect(latest.headers['content-type']).toBe('application/octet-stream');
  });

  it('answers the configured failure: each retry is recorded and failed, and the destination is disabled after 3', async () => {
    const failing = await mockDestination('failing-mock', { path: '/down', response_status: 503 });
    // A connection of its own source, so the other destinations' traffic does not mix in.
    const src = await api('post', '/sources').send({ name: 'failing-source' });
    const con = await api('post', '/connections').send({ name: 'to-failing', source_id: src.body.id, destination_id: failing.id });
    expect(con.status).toBe(201);
    const sent = await hub.api('post', `/e/${src.body.id}`).set('content-type', 'application/json').send('{"n":1}');
    const [event] = (await api('get', `/requests/${sent.body.request_id}/events`)).body.models;
    const des = await waitFor(
      async () => {
        const d = (await api('get', `/destinations/${failing.id}`)).body;
        return d.disabled_at ? d : null;
      },
      15_000,
      'the destination disabled',
    );
    expect(des.disabled_reason).toMatch(/3 consecutive failed deliveries \(last: receiver answered 503\)/);
    const attempts = (await api('get', `/attempts?event_id=${event.id}`)).body.models as {
      status: string;
      response: { status: number; body: string };
      error: { code: string };
    }[];
    expect(attempts).toHaveLength(3);
    for (const a of attempts) expect(a).toMatchObject({ status: 'FAILED', response: { status: 503 }, error: { code: 'HTTP_STATUS' } });
    const recorded = await requestsOf(failing.id);
    expect(recorded.models).toHaveLength(3);
    expect(recorded.models.every((m) => m.response_status === 503 && m.event_id === event.id && m.path === '/down')).toBe(true);
    expect((await api('get', `/events/${event.id}`)).body.status).toBe('HOLD');
  });

  it("records a transformation's headers, path and query where an HTTP receiver would get them", async () => {
    const des = await mockDestination('transformed-mock', { path: '/hooks?from=shop' });
    const src = await api('post', '/sources').send({ name: 'transformed-source' });
    const code =
      'addHandler("transform", (request) => ({ ...request, path: "/orders", query: { ...request.query, tag: "vip" }, headers: { ...request.headers, "x-tenant": "acme" }, body: { ...request.body, seen: true } }))';
    const con = await api('post', '/connections').send({
      name: 'to-transformed',
      source_id: src.body.id,
      destination_id: des.id,
      rules: [{ type: 'transformation', transformation: { name: 'tag-vip', code } }],
    });
    expect(con.status, JSON.stringify(con.body)).toBe(201);
    expect((await hub.api('post', `/e/${src.body.id}`).set('content-type', 'application/json').send('{"n":1}')).status).toBe(200);
    const [got] = (
      await waitFor(
        async () => ((await requestsOf(des.id, '?include=body')).models.length === 1 ? requestsOf(des.id, '?include=body') : null),
        15_000,
        'the transformed request',
      )
    ).models;
    expect(got).toMatchObject({ path: '/hooks/orders', query: 'from=shop&tag=vip', url: `mock://${des.id}/hooks/orders?from=shop&tag=vip` });
    expect(got.headers['x-tenant']).toBe('acme');
    expect(JSON.parse(got.body!)).toEqual({ n: 1, seen: true });
    // The signature covers the transformed body, as it would for an HTTP destination.
    const secret = (await api('get', '/project-secrets?reveal=true')).body.signing_secret.value as string;
    expect(got.headers['x-wirehub-signature-256']).toBe(`sha256=${createHmac('sha256', secret).update(got.body!).digest('hex')}`);
  });

  it('lists newest first in cursor pages that neither skip nor repeat', async () => {
    const paged = await mockDestination('paged-mock');
    const src = await api('post', '/sources').send({ name: 'paged-source' });
    await api('post', '/connections').send({ name: 'to-paged', source_id: src.body.id, destination_id: paged.id });
    for (let i = 0; i < 5; i++) await hub.api('post', `/e/${src.body.id}`).set('content-type', 'application/json').send(JSON.stringify({ i }));
    const all = await waitFor(
      async () => {
        const page = await requestsOf(paged.id, '?limit=100&include=body');
        return page.models.length === 5 ? page.models : null;
      },
      10_000,
      'five recorded requests',
    );
    const times = all.map((m) => m.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(all.map((m) => JSON.parse(m.body!).i).sort()).toEqual([0, 1, 2, 3, 4]);

    const seen: string[] = [];
    let page = await requestsOf(paged.id, '?limit=2');
    const sizes = [page.count];
    seen.push(...page.models.map((m) => m.id));
    while (page.pagination.next) {
      page = await requestsOf(paged.id, `?limit=2&next=${page.pagination.next}`);
      sizes.push(page.count);
      seen.push(...page.models.map((m) => m.id));
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(all.map((m) => m.id));
    const back = await requestsOf(paged.id, `?limit=2&prev=${page.pagination.prev}`);
    expect(back.models.map((m) => m.id)).toEqual(all.slice(2, 4).map((m) => m.id));
    expect((await api('get', `/destinations/${paged.id}/mock_requests?next=garbage`)).body.error.code).toBe('INVALID_CURSOR');
  });

  it("is another team's business: 404 for every route; 400 for a destination that is not a mock", async () => {
    const [first] = (await requestsOf(mockId)).models;
    for (const [m, url] of [
      ['get', `/destinations/${mockId}/mock_requests`],
      ['get', `/destinations/${mockId}/mock_requests/${first.id}`],
      ['delete', `/destinations/${mockId}/mock_requests`],
    ] as const) {
      const res = await api(m, url, other.key);
      expect(res.status, `${m} ${url}`).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    expect((await api('get', `/destinations/${mockId}/mock_requests/mrq_nope`)).status).toBe(404);
    expect((await api('get', `/destinations/${mockId}/mock_requests/${newId('mrq')}`)).status).toBe(404);
    const http = (await api('get', '/destinations?name=real-receiver')).body.models[0];
    const res = await api('get', `/destinations/${http.id}/mock_requests`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'NOT_A_MOCK_API', message: expect.stringContaining('only MOCK_API destinations') });
    // The other team's own, empty, view is unaffected; ours still holds every request.
    expect((await requestsOf(mockId)).models.length).toBeGreaterThanOrEqual(2);
  });

  it('clears, and deleting the destination deletes what it recorded', async () => {
    const before = (await requestsOf(mockId)).models.length;
    const cleared = await api('delete', `/destinations/${mockId}/mock_requests`);
    expect(cleared.status).toBe(200);
    expect(cleared.body).toEqual({ destination_id: mockId, deleted: before });
    expect((await requestsOf(mockId)).models).toEqual([]);

    const paged = (await api('get', '/destinations?name=paged-mock')).body.models[0];
    const count = async () =>
      Number(
        (
          await hub.deps.db
            .selectFrom('mock_api_requests')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('destination_id', '=', paged.id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count()).toBe(5);
    expect((await api('delete', `/destinations/${paged.id}`)).status).toBe(200);
    expect(await count()).toBe(0);
  });

  it('is kept bounded by housekeeping: the newest 1,000 per destination, none older than 7 days', async () => {
    const bounded = await mockDestination('bounded-mock');
    const rows = Array.from({ length: MOCK_REQUESTS_PER_DESTINATION + 5 }, (_, i) => ({
      id: newId('mrq'),
      workspace_id: ws.teamId,
      destination_id: bounded.id,
      event_id: null,
      method: 'POST',
      path: '/',
      headers: JSON.stringify({}),
      body: String(i),
      body_size: String(i).length,
      response_status: 200,
      created_at: new Date(Date.now() - (MOCK_REQUESTS_PER_DESTINATION + 5 - i) * 1000),
    }));
    await hub.deps.db.insertInto('mock_api_requests').values(rows).execute();
    const old = await mockDestination('old-mock');
    await hub.deps.db
      .insertInto('mock_api_requests')
      .values({ ...rows[0], id: newId('mrq'), destination_id: old.id, created_at: sql<Date>`now() - interval '8 days'` })
      .execute();
    await pruneMockRequests(hub.deps.db);
    const kept = await hub.deps.db.selectFrom('mock_api_requests').select('body').where('destination_id', '=', bounded.id).orderBy('created_at').execute();
    expect(kept).toHaveLength(MOCK_REQUESTS_PER_DESTINATION);
    expect(kept[0].body).toBe('5'); // the five oldest went
    expect((await requestsOf(old.id)).models).toEqual([]);
  });
});
