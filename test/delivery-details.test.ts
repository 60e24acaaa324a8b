import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver, type Reply } from './support/receiver.ts';

describe('delivery details', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const replies = new Map<string, (n: number) => Reply>();
  const counts = new Map<string, number>();

  beforeAll(async () => {
    hub = await startTestHub({ retrySchedule: [0, 200, 200] });
    ws = await newWorkspace(hub);
    receiver = await startReceiver((req) => {
      const key = req.url.slice(1);
      const n = counts.get(key) ?? 0;
      counts.set(key, n + 1);
      return replies.get(key)?.(n) ?? { status: 200 };
    });
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  const api = (m: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string) => hub.api(m, `/api/v1${url}`, ws.key);

  /** A source → destination pair whose receiver answers with `reply`; returns a sender and ids. */
  async function route(name: string, reply: (n: number) => Reply, config: Record<string, unknown> = {}, rules: unknown[] = []) {
    replies.set(name, reply);
    const src = (await api('post', '/sources').send({ name })).body;
    const des = await api('post', '/destinations').send({ name, config: { url: `${receiver.url}/${name}`, ...config } });
    expect(des.status).toBe(201);
    const con = await api('post', '/connections').send({ name, source_id: src.id, destination_id: des.body.id, rules });
    expect(con.status).toBe(201);
    const send = async (body: unknown) => {
      const res = await hub.api('post', `/e/${src.id}`).send(body as object);
      expect(res.status).toBe(200);
      const [event] = (await api('get', `/requests/${res.body.request_id}/events`)).body.models;
      return event.id as string;
    };
    const attempts = async (eventId: string) => (await api('get', `/attempts?event_id=${eventId}&dir=asc`)).body.models;
    return { src, destinationId: des.body.id as string, send, attempts };
  }

  it('records a timeout, a refused connection and a 3xx as failed attempts with their cause', async () => {
    const slow = await route('slow', () => ({ status: 200, delayMs: 1500 }), { timeout_ms: 200 }, [{ type: 'retry', count: 0, interval: 1000 }]);
    const e1 = await slow.send({ a: 1 });
    const [a1] = await waitFor(async () => (await slow.attempts(e1)).length && slow.attempts(e1));
    expect(a1).toMatchObject({ status: 'FAILED', error: { code: 'TIMEOUT' }, response: null });

    const refused = await route('refused', () => ({ status: 200 }), { url: 'http://127.0.0.1:1/nothing' }, [{ type: 'retry', count: 0, interval: 1000 }]);
    const e2 = await refused.send({ a: 1 });
    const [a2] = await waitFor(async () => (await refused.attempts(e2)).length && refused.attempts(e2));
    expect(a2.error.code).toBe('CONNECTION_REFUSED');

    const redirect = await route('redirect', () => ({ status: 302, headers: { location: '/elsewhere' } }), {}, [{ type: 'retry', count: 0, interval: 1000 }]);
    const e3 = await redirect.send({ a: 1 });
    const [a3] = await waitFor(async () => (await redirect.attempts(e3)).length && redirect.attempts(e3));
    expect(a3).toMatchObject({ status: 'FAILED', response: { status: 302 }, error: { code: 'HTTP_STATUS' } });
    expect(counts.get('elsewhere')).toBeUndefined();
    expect((await api('get', `/events/${e3}`)).body.status).toBe('FAILED');
  });

  it('honours Retry-After and stores at most 64 KiB of a response body', async () => {
    const big = 'x'.repeat(100 * 1024);
    const r = await route('busy', (n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: big } : { status: 200 }));
    const id = await r.send({ a: 1 });
    const list = await waitFor(
      async () => {
        const a = await r.attempts(id);
        return a.length === 2 && a;
      },
      10_000,
      'retry after Retry-After',
    );
    const gap = new Date(list[1].created_at).getTime() - new Date(list[0].created_at).getTime();
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(list[0].response.body.length).toBeLessThan(70 * 1024);
    expect(list[0].response.body).toMatch(/truncated, 102400 bytes/);
  });

  it('disables a destination at once when the receiver answers 410 Gone', async () => {
    const r = await route('gone', () => ({ status: 410 }));
    await r.send({ a: 1 });
    const d = await waitFor(async () => {
      const body = (await api('get', `/destinations/${r.destinationId}`)).body;
      return body.disabled_at && body;
    });
    expect(d.disabled_reason).toMatch(/410 Gone/);
  });

  it('spreads deliveries over the destination rate limit', async () => {
    const r = await route('limited', () => ({ status: 200 }), { rate_limit: 5, rate_limit_period: 'second' });
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => r.send({ i })));
    await waitFor(
      async () => {
        const done = (await api('get', `/events?destination_id=${r.destinationId}&status=SUCCESSFUL`)).body.count;
        return done === ids.length;
      },
      15_000,
      'rate-limited deliveries',
    );
    // 10 deliveries at 5/s: the last arrives no sooner than 1.8 s after the first. Measured at the
    // receiver, so a slow sender (deliveries starting while the sends are still going) cannot shrink it.
    const arrivals = receiver.received.filter((q) => q.url.startsWith('/limited')).map((q) => q.at);
    expect(arrivals).toHaveLength(10);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThanOrEqual(1500);
  });

  it('verifies Standard Webhooks and basic-auth senders', async () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const sw = (await api('post', '/sources').send({ name: 'sw', config: { auth: { type: 'standard_webhooks', webhook_secret_key: secret } } })).body;
    const body = JSON.stringify({ hello: 'world' });
    const ts = new Date();
    const signature = new Webhook(secret).sign('msg_1', ts, body);
    const ok = await hub
      .api('post', `/e/${sw.id}`)
      .set('content-type', 'application/json')
      .set('webhook-id', 'msg_1')
      .set('webhook-timestamp', String(Math.floor(ts.getTime() / 1000)))
      .set('webhook-signature', signature)
      .send(body);
    expect(ok.status).toBe(200);
    const stale = await hub
      .api('post', `/e/${sw.id}`)
      .set('content-type', 'application/json')
      .set('webhook-id', 'msg_1')
      .set('webhook-timestamp', '1000000000')
      .set('webhook-signature', signature)
      .send(body);
    expect(stale.status).toBe(401);

    const basic = (await api('post', '/sources').send({ name: 'basic', config: { auth: { type: 'basic_auth', username: 'u', password: 'p4ssword' } } })).body;
    expect((await hub.api('post', `/e/${basic.id}`).auth('u', 'p4ssword').send({ a: 1 })).status).toBe(200);
    expect((await hub.api('post', `/e/${basic.id}`).auth('u', 'wrong').send({ a: 1 })).status).toBe(401);
  });

  it('pages through lists with next and prev cursors', async () => {
    const src = (await api('post', '/sources').send({ name: 'pages' })).body;
    for (let i = 0; i < 5; i++) await hub.api('post', `/e/${src.id}`).send({ i });
    const p1 = (await api('get', `/requests?source_id=${src.id}&limit=2`)).body;
    const p2 = (await api('get', `/requests?source_id=${src.id}&limit=2&next=${p1.pagination.next}`)).body;
    const p3 = (await api('get', `/requests?source_id=${src.id}&limit=2&next=${p2.pagination.next}`)).body;
    const ids = [...p1.models, ...p2.models, ...p3.models].map((m: { id: string }) => m.id);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(p3.pagination.next).toBeNull();
    const back = (await api('get', `/requests?source_id=${src.id}&limit=2&prev=${p2.pagination.prev}`)).body;
    expect(back.models.map((m: { id: string }) => m.id)).toEqual(p1.models.map((m: { id: string }) => m.id));
  });
});
