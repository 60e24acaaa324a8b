import supertest from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.ts';
import { hubWithWorkspace, newWorkspace, startTestHub, waitFor } from './support/hub.ts';
import { startReceiver, type Received } from './support/receiver.ts';

/**
 * Issue 12, public endpoints and logs: what an anonymous caller, a sender or a careless tenant can
 * do through the public routes, and what the logs keep of the credentials they carry.
 */
const V = '/api/v1';
const NUL = '\u0000';
const json = (r: Received) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;

describe('public endpoints and logs (issue 12)', () => {
  const env = hubWithWorkspace();
  const api = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) => env.hub.api(method, `${V}${path}`, env.ws.key);
  const at = (path: string) => env.receiver.received.filter((r) => r.url.split('?')[0] === path);

  async function destination(path: string, config: Record<string, unknown> = {}) {
    const des = await api('post', '/destinations').send({ name: `to-${path.slice(1)}`, config: { url: `${env.receiver.url}${path}`, ...config } });
    expect(des.status, des.text).toBe(201);
    return des.body.id as string;
  }
  async function connect(name: string, source: string, dest: string, rules: unknown[] = []) {
    const con = await api('post', '/connections').send({ name, source_id: source, destination_id: dest, rules });
    expect(con.status, con.text).toBe(201);
    return con.body.id as string;
  }
  const eventsOf = async (requestId: string) => (await api('get', `/requests/${requestId}/events`)).body.models as { id: string }[];
  async function attemptOf(requestId: string) {
    const [event] = await waitFor(
      async () => {
        const events = await eventsOf(requestId);
        return events.length > 0 && events;
      },
      10_000,
      'the event',
    );
    return waitFor(
      async () => (await api('get', `/attempts?event_id=${event.id}`)).body.models[0] as { request: { headers: Record<string, string> } } | undefined,
      15_000,
      'an attempt',
    );
  }

  describe('the NUL character', () => {
    let sourceId: string;
    let destinationId: string;
    beforeAll(async () => {
      sourceId = (await api('post', '/sources').send({ name: 'nul-source' })).body.id;
      destinationId = await destination('/nul');
    });

    it('a NUL in any string the API takes is a 400 naming where it is, never a 500', async () => {
      const bot = await api('post', '/chatbots').send({ name: 'Nul Bot' });
      expect(bot.status, bot.text).toBe(201);
      const attempts = [
        { what: "a source's description", req: () => api('post', '/sources').send({ name: 'described', description: `a${NUL}b` }), path: 'body.description' },
        {
          what: "a connection's source_id",
          req: () => api('post', '/connections').send({ name: 'c', source_id: `src_${NUL}`, destination_id: destinationId }),
          path: 'body.source_id',
        },
        { what: "an API key's name", req: () => api('post', '/api-keys').send({ name: `k${NUL}`, scopes: ['read'] }), path: 'body.name' },
        { what: 'a key of an object', req: () => api('post', '/sources').send({ name: 'keyed', [`x${NUL}`]: 1 }), path: `body.x${NUL}` },
        {
          what: 'a string deep in an array',
          req: () =>
            api('post', '/connections').send({
              name: 'c',
              source_id: sourceId,
              destination_id: destinationId,
              rules: [{ type: 'filter', body: { a: [`b${NUL}`] } }],
            }),
          path: 'body.rules.0.body.a.0',
        },
        { what: 'a query parameter', req: () => api('get', `/sources?name=a%00b`), path: 'query.name' },
        { what: 'a path segment', req: () => api('get', `/sources/src_%00`), path: 'path' },
        {
          what: 'the log-in e-mail',
          req: () => env.hub.api('post', `${V}/auth/login`).send({ email: `a${NUL}@example.test`, password: 'whatever-password' }),
          path: 'body.email',
        },
        {
          what: "the chat's chatbot_key",
          req: () => env.hub.api('post', '/api/public/system-chat').send({ chatbot_key: `pk_${NUL}`, visitor_id: 'v', message: 'hi' }),
          path: 'body.chatbot_key',
        },
        {
          what: "the chat's message",
          req: () => env.hub.api('post', '/api/public/system-chat').send({ chatbot_key: bot.body.public_key, visitor_id: 'v', message: `hi${NUL}` }),
          path: 'body.message',
        },
        {
          what: "the chat preflight's chatbot_key",
          req: () => supertest(env.hub.url).options('/api/public/system-chat?chatbot_key=pk_%00').set('origin', 'http://x.test'),
          path: 'query.chatbot_key',
        },
        { what: "a public chatbot's key in the path", req: () => env.hub.api('get', '/api/public/chatbots/pk_%00'), path: 'path' },
      ];
      for (const a of attempts) {
        const res = await a.req();
        expect(res.status, `${a.what}: ${res.text}`).toBe(400);
        expect(res.body.error, a.what).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: a.path }] });
      }
      // Nothing was made by any of them, and the hub is well.
      expect((await api('get', '/sources?name=described')).body.models).toEqual([]);
      expect((await env.hub.api('get', '/api/health')).status).toBe(200);
    });

    it("a sender's NUL in the query, the path and the JSON body is accepted and stored, and the event is delivered", async () => {
      await connect('nul-connection', sourceId, destinationId);
      const body = JSON.stringify({ note: `before${NUL}after` });
      const res = await env.hub.api('post', `/e/${sourceId}/deep%00path?tag=a%00b`).set('content-type', 'application/json').send(body);
      expect(res.status, res.text).toBe(200);
      const stored = await api('get', `/requests/${res.body.request_id}`);
      expect(stored.status, stored.text).toBe(200);
      // The body is kept as its bytes; the query and path with the replacement character.
      expect(stored.body.data.body).toEqual({ note: `before${NUL}after` });
      expect(stored.body.data.query).toEqual({ tag: 'a\uFFFDb' });
      expect(stored.body.data.path).toBe('/deep\uFFFDpath');
      const delivered = await waitFor(() => at('/nul').find((r) => r.body.toString() === body), 10_000, 'the delivery');
      expect(json(delivered).note).toBe(`before${NUL}after`);
    });

    it("a published event's data may carry a NUL (it is stored as bytes); its other fields may not", async () => {
      const declared = await api('post', '/event-types').send({ name: 'order.noted', sample: { note: 'text' } });
      expect(declared.status, declared.text).toBe(201);
      const hook = await api('post', '/webhooks').send({ name: 'nul-hook', url: `${env.receiver.url}/published`, events: ['order.noted'] });
      expect(hook.status, hook.text).toBe(201);
      const published = await api('post', '/publish').send({ eventType: 'order.noted', data: { note: `x${NUL}y` } });
      expect(published.status, published.text).toBe(202);
      const delivered = await waitFor(() => at('/published').find((r) => r.body.includes(published.body.eventId)), 10_000, 'the published event');
      expect(JSON.stringify(json(delivered))).toContain('x\\u0000y');
      const refused = await api('post', '/publish').send({ eventType: 'order.noted', data: {}, customerId: `c${NUL}` });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'body.customerId' }] });
    });

    it('a NUL in the fields the log summarises (a name, a type) is stored, not answered 503 for every retry', async () => {
      const src = (await api('post', '/sources').send({ name: 'nul-summary' })).body.id as string;
      const ingested = await env.hub.api('post', `/e/${src}`).send({ type: `lead${NUL}.x`, name: `Ja${NUL}ne`, email: 'jane@example.com' });
      expect(ingested.status, ingested.text).toBe(200);
      const listed = await api('get', `/requests/${ingested.body.request_id}`);
      expect(listed.body.summary).toBe('Ja ne · jane@example.com');
      const published = await api('post', '/publish').send({
        eventType: 'lead.captured',
        data: { name: `Ja${NUL}ne`, email: 'jane@example.com', phone: '+15555550123', chatbot_name: 'Bot', intent: 'request_quote' },
      });
      expect(published.status, published.text).toBe(202);
    });

    it("a transformation's log and result with a NUL are stored as an execution, not lost with the delivery", async () => {
      const t = await api('post', '/transformations').send({
        name: 'nul-logger',
        code: `addHandler('transform', (r) => { console.log('got \\u0000 here'); return { ...r, body: { ...r.body, added: 'a\\u0000b' } }; })`,
      });
      expect(t.status, t.text).toBe(201);
      const src = (await api('post', '/sources').send({ name: 'nul-transformed' })).body.id as string;
      await connect('nul-transformed', src, await destination('/nul-transformed'), [{ type: 'transformation', transformation_id: t.body.id }]);
      const res = await env.hub.api('post', `/e/${src}`).send({ note: `n${NUL}` });
      expect(res.status, res.text).toBe(200);
      const delivered = await waitFor(() => at('/nul-transformed')[0], 10_000, 'the transformed delivery');
      expect(json(delivered)).toEqual({ note: `n${NUL}`, added: `a${NUL}b` });
      const [execution] = await waitFor(
        async () => {
          const list = (await api('get', `/transformations/${t.body.id}/executions`)).body.models as {
            id: string;
            status: string;
            logs: { message: string }[];
          }[];
          return list.length > 0 && list;
        },
        10_000,
        'the execution',
      );
      expect(execution.status).toBe('ok');
      expect(execution.logs[0].message).toMatch(/^got/);
      const full = (await api('get', `/transformations/${t.body.id}/executions/${execution.id}`)).body;
      expect(full.original.body).toEqual({ note: 'n\uFFFD' });
      expect(full.transformed.body).toEqual({ note: 'n\uFFFD', added: 'a\uFFFDb' });
    });

    it("a receiver's answer with a NUL is kept in the attempt, and the delivery's outcome with it", async () => {
      const answering = await startReceiver(() => ({ status: 200, headers: { 'x-odd': 'fine' }, body: `ok${NUL}done` }));
      try {
        const src = (await api('post', '/sources').send({ name: 'nul-answer' })).body.id as string;
        const des = await api('post', '/destinations').send({ name: 'nul-answerer', config: { url: `${answering.url}/hook` } });
        await connect('nul-answer', src, des.body.id);
        const res = await env.hub.api('post', `/e/${src}`).send({ a: 1 });
        const [event] = await waitFor(
          async () => {
            const events = await eventsOf(res.body.request_id);
            return events.length > 0 && events;
          },
          10_000,
          'the event',
        );
        const done = await waitFor(
          async () => {
            const e = (await api('get', `/events/${event.id}`)).body as { status: string };
            return e.status === 'SUCCESSFUL' && e;
          },
          15_000,
          'a successful delivery',
        );
        expect(done.status).toBe('SUCCESSFUL');
        const attempt = (await api('get', `/attempts?event_id=${event.id}`)).body.models[0];
        expect(attempt.response.body).toBe('ok\uFFFDdone');
      } finally {
        await answering.close();
      }
    });
  });

  describe('credentials in the logs', () => {
    it('an inbound API key, Authorization and Cookie are masked in the stored request; verification still works', async () => {
      const src = await api('post', '/sources').send({
        name: 'keyed-source',
        config: { auth: { type: 'api_key', header_key: 'X-Shop-Key', api_key: 'shop-key-0123456789' } },
      });
      expect(src.status, src.text).toBe(201);
      const send = (key: string) =>
        env.hub
          .api('post', `/e/${src.body.id}?token=query-token-secret&api_key=query-key-secret&page=2`)
          .set('x-shop-key', key)
          .set('authorization', 'Bearer inbound-bearer-secret')
          .set('cookie', 'session=inbound-cookie')
          .set('x-request-id', 'r-1')
          .send({ a: 1 });
      const wrong = await send('not-the-key');
      expect(wrong.status).toBe(401);
      const ok = await send('shop-key-0123456789');
      expect(ok.status, ok.text).toBe(200);
      for (const id of [ok.body.request_id, wrong.body.error.details.request_id]) {
        const stored = await env.hub.deps.db.selectFrom('requests').select(['headers', 'query']).where('id', '=', id).executeTakeFirstOrThrow();
        expect(stored.headers).toMatchObject({ 'x-shop-key': '[redacted]', authorization: '[redacted]', cookie: '[redacted]', 'x-request-id': 'r-1' });
        expect(JSON.stringify(stored.headers)).not.toMatch(/shop-key-0123|inbound-bearer|inbound-cookie|not-the-key/);
        // Senders that sign with a query parameter: masked the same way, other parameters kept.
        expect(stored.query).toEqual({ token: '[redacted]', api_key: '[redacted]', page: '2' });
      }
    });

    it("a destination's custom headers and auth reach the receiver but are masked in the attempt; signatures are kept", async () => {
      const src = (await api('post', '/sources').send({ name: 'to-custom' })).body.id as string;
      const des = await destination('/custom', {
        headers: { 'X-Partner': 'partner-credential-123', 'X-Plain': 'also-secret-by-being-custom' },
        auth: { type: 'bearer', token: 'outbound-bearer' },
      });
      await connect('custom-headers', src, des);
      const res = await env.hub.api('post', `/e/${src}`).send({ a: 1 });
      const received = await waitFor(() => at('/custom')[0], 10_000, 'the delivery');
      expect(received.headers['x-partner']).toBe('partner-credential-123');
      expect(received.headers.authorization).toBe('Bearer outbound-bearer');
      const attempt = await attemptOf(res.body.request_id);
      expect(attempt.request.headers).toMatchObject({
        'x-partner': '[redacted]',
        'x-plain': '[redacted]',
        authorization: '[redacted]',
        'webhook-signature': received.headers['webhook-signature'],
      });
      expect(JSON.stringify(attempt)).not.toMatch(/partner-credential|also-secret|outbound-bearer/);
    });

    it("a transformation's executions and a Mock API's recordings keep no credential in clear", async () => {
      const t = await api('post', '/transformations').send({
        name: 'adds-auth',
        code: `addHandler('transform', (r, ctx) => ({ ...r, headers: { ...r.headers, authorization: 'Bearer ' + env.PARTNER_TOKEN } }))`,
        env: { PARTNER_TOKEN: 'variable-token-42' },
      });
      expect(t.status, t.text).toBe(201);
      const src = await api('post', '/sources').send({
        name: 'keyed-transformed',
        config: { auth: { type: 'api_key', header_key: 'X-Shop-Key', api_key: 'transformed-key-987' } },
      });
      const mock = await api('post', '/destinations').send({ name: 'mock-secrets', type: 'MOCK_API', config: {} });
      expect(mock.status, mock.text).toBe(201);
      await connect('adds-auth', src.body.id, mock.body.id, [{ type: 'transformation', transformation_id: t.body.id }]);
      const res = await env.hub.api('post', `/e/${src.body.id}`).set('x-shop-key', 'transformed-key-987').send({ a: 1 });
      expect(res.status, res.text).toBe(200);

      const recorded = await waitFor(
        async () => (await api('get', `/destinations/${mock.body.id}/mock_requests`)).body.models[0] as { headers: Record<string, string> } | undefined,
        10_000,
        'a mock recording',
      );
      expect(recorded.headers.authorization).toBe('[redacted]');
      expect(recorded.headers['webhook-signature']).toMatch(/^v1,/);
      const [execution] = await waitFor(
        async () => {
          const list = (await api('get', `/transformations/${t.body.id}/executions`)).body.models;
          return list.length > 0 && list;
        },
        10_000,
        'the execution',
      );
      const full = await api('get', `/transformations/${t.body.id}/executions/${execution.id}`);
      expect(full.body.original.headers['x-shop-key']).toBe('[redacted]');
      expect(full.body.transformed.headers.authorization).toBe('[redacted]');
      const everything = JSON.stringify([
        full.body,
        recorded,
        await env.hub.deps.db.selectFrom('transformation_executions').selectAll().execute(),
        await env.hub.deps.db.selectFrom('mock_api_requests').select('headers').execute(),
      ]);
      expect(everything).not.toMatch(/variable-token-42|transformed-key-987/);
    });
  });

  describe('ratings', () => {
    const chat = (key: string, visitor: string, message: string, ip?: string) => {
      const t = env.hub.api('post', '/api/public/system-chat');
      return (ip ? t.set('x-forwarded-for', ip) : t).send({ chatbot_key: key, visitor_id: visitor, message });
    };
    const rate = (conv: string, body: Record<string, unknown>, ip?: string) => {
      const t = env.hub.api('post', `/api/public/conversations/${conv}/rate`);
      return (ip ? t.set('x-forwarded-for', ip) : t).send(body);
    };
    async function bot(name: string, rateLimits: Record<string, number>) {
      const created = await api('post', '/chatbots').send({ name, settings: { rate_limits: rateLimits, escalation: { on_thumbs_down: false } } });
      expect(created.status, created.text).toBe(201);
      const entries = await api('post', `/chatbots/${created.body.id}/entries/import`).send([
        { question: 'What are your opening hours?', answer: 'Nine to five.', tags: [] },
      ]);
      expect(entries.status, entries.text).toBe(201);
      return created.body as { id: string; public_key: string };
    }

    it('250 anonymous ratings with made-up visitor ids (and forged X-Forwarded-For) publish nothing and are cut off per address', async () => {
      const hook = await api('post', '/webhooks').send({ name: 'rated', url: `${env.receiver.url}/rated`, events: ['message.rated'] });
      expect(hook.status, hook.text).toBe(201);
      // Day windows, so that the minute's boundary cannot reset a count during the test.
      const b = await bot('Rated Bot', { per_minute: 1000, per_day: 1000, ip_per_minute: 1000, ip_per_day: 40 });
      const reply = await chat(b.public_key, 'vis_owner', 'What are your opening hours?');
      expect(reply.status, reply.text).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < 250; i++) {
        const res = await rate(
          reply.body.conversation_id,
          { message_id: reply.body.message_id, rating: i % 2 ? 'up' : 'down', visitor_id: `vis_fake_${i}` },
          `203.0.113.${i % 250}`,
        );
        statuses.push(res.status);
        if (res.status === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      // One conversation has one visitor; X-Forwarded-For is not believed without WIREHUB_TRUST_PROXY.
      expect(statuses.filter((s) => s === 403)).toHaveLength(40);
      expect(statuses.filter((s) => s === 429)).toHaveLength(210);
      expect(
        await env.hub.deps.db.selectFrom('message_ratings').select('visitor_id').where('conversation_id', '=', reply.body.conversation_id).execute(),
      ).toEqual([]);
      await new Promise((r) => setTimeout(r, 1000));
      expect(at('/rated')).toHaveLength(0);
    });

    it("the conversation's own visitor rates, within the visitor's own budget", async () => {
      const b = await bot('Budget Bot', { per_minute: 1000, per_day: 5, ip_per_minute: 1000, ip_per_day: 1000 });
      const reply = await chat(b.public_key, 'vis_real', 'What are your opening hours?');
      const results = [];
      for (let i = 0; i < 8; i++)
        results.push(await rate(reply.body.conversation_id, { message_id: reply.body.message_id, rating: i % 2 ? 'up' : 'down', visitor_id: 'vis_real' }));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
      expect(results[5].body.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('ratings a day from this visitor') });
      // Ratings have their own windows: the visitor may still chat.
      expect((await chat(b.public_key, 'vis_real', 'And on Sundays?', undefined)).status).toBe(200);
    });

    it('WIREHUB_TRUST_PROXY takes true, a hop count or addresses/subnets, and nothing else', () => {
      const trust = (v: string) => loadConfig({ WIREHUB_TRUST_PROXY: v }).trustProxy;
      expect(loadConfig({}).trustProxy).toBe(false);
      expect([trust('true'), trust('false'), trust('2'), trust('loopback, 10.0.0.0/8,fd00::/8')]).toEqual([
        true,
        false,
        2,
        ['loopback', '10.0.0.0/8', 'fd00::/8'],
      ]);
      for (const bad of ['proxy.example.com', '10.0.0.0/33', '1.2.3']) expect(() => trust(bad), bad).toThrow(/WIREHUB_TRUST_PROXY/);
    });

    it('behind a trusted proxy (WIREHUB_TRUST_PROXY) each client address has its own budget', async () => {
      const proxied = await startTestHub({}, { WIREHUB_TRUST_PROXY: 'loopback' });
      try {
        const owner = await newWorkspace(proxied);
        const created = await proxied
          .api('post', `${V}/chatbots`, owner.key)
          .send({ name: 'Proxied Bot', settings: { rate_limits: { per_minute: 1000, per_day: 1000, ip_per_minute: 1000, ip_per_day: 3 } } });
        expect(created.status, created.text).toBe(201);
        const send = (ip: string, i: number) =>
          proxied
            .api('post', '/api/public/system-chat')
            .set('x-forwarded-for', ip)
            .send({ chatbot_key: created.body.public_key, visitor_id: `v${i}`, message: 'hello' });
        const first = [];
        for (let i = 0; i < 4; i++) first.push((await send('198.51.100.1', i)).status);
        expect(first).toEqual([200, 200, 200, 429]);
        // Another client behind the same proxy is not held up by the first.
        expect((await send('198.51.100.2', 9)).status).toBe(200);
      } finally {
        await proxied.close();
      }
    });
  });

  describe('security headers', () => {
    it('the portal, the health checks and the API all carry them; the widget stays loadable from any site', async () => {
      for (const path of ['/api/health', '/healthz', '/login', '/', `${V}/sources`]) {
        const res = await env.hub.api('get', path);
        expect(res.headers['x-content-type-options'], path).toBe('nosniff');
        expect(res.headers['content-security-policy'], path).toContain("default-src 'self'");
        expect(res.headers['content-security-policy'], path).toContain("frame-ancestors 'self'");
        expect(res.headers['strict-transport-security'], path).toBeDefined();
      }
      const widget = await env.hub.api('get', '/widget.js');
      // The portal and the widget are built before the tests run (test/support/global-setup.ts).
      expect(widget.status).toBe(200);
      expect(widget.headers['cross-origin-resource-policy']).toBe('cross-origin');
    });
  });

  describe('names that are properties of every object', () => {
    it('a destination type, a status filter, a schema dialect, a source type or an event type such as constructor or __proto__ is a clear 4xx, never a 500', async () => {
      for (const type of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        const res = await api('post', '/destinations').send({ name: `type-${type}`, type, config: { url: `${env.receiver.url}/x` } });
        expect(res.status, `${type}: ${res.text}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${type}: ${res.text}`).toBeLessThan(500);
      }
      for (const status of ['constructor', '__proto__', 'toString']) {
        const res = await api('get', `/events?status=${status}`);
        expect(res.status, `${status}: ${res.text}`).toBe(400);
      }
      for (const name of ['constructor', '__proto__', 'toString']) {
        const checks = {
          'source type': await api('post', '/sources').send({ name: `src-${name}`, type: name }),
          "webhook's event": await api('post', '/webhooks').send({ name: `hook-${name}`, url: `${env.receiver.url}/x`, events: [name] }),
          'published event type': await api('post', '/publish').send({ eventType: name, data: {} }),
          'event type read': await api('get', `/event-types/${name}`),
        };
        for (const [what, res] of Object.entries(checks)) expect(res.status, `${what} ${name}: ${res.text}`).toBeLessThan(500);
      }
      const typed = await api('post', '/event-types').send({ name: 'odd.schema', schema: { $schema: 'constructor', type: 'object' }, sample: {} });
      expect(typed.status, typed.text).toBeGreaterThanOrEqual(400);
      expect(typed.status, typed.text).toBeLessThan(500);
    });
  });
});
