import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import supertest from 'supertest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const V = '/api/v1';
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Workspace = Awaited<ReturnType<typeof newWorkspace>>;

/**
 * Workspace B holds a valid read/write key, and tries everything it can think of against
 * workspace A's resources by id. Every attempt must be a plain 404, exactly as for an id that
 * does not exist, and A's data must come out of it unchanged.
 */
describe("tenancy: a second workspace's key cannot read, change or retry anything of the first", () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let a: Workspace;
  let b: Workspace;
  const ids: Record<string, string> = {};
  let before: Awaited<ReturnType<typeof snapshotOfA>>;

  const as = (ws: Workspace | string, method: Method, path: string) => hub.api(method, `${V}${path}`, typeof ws === 'string' ? ws : ws.key);
  const fill = (s: string) => s.replace(/\{(\w+)\}/g, (_, k: string) => ids[k] ?? `<no fixture ${k}>`);

  async function snapshotOfA() {
    const get = async (path: string) => {
      const res = await as(a, 'get', path);
      expect(res.status, `${path}: ${res.text}`).toBe(200);
      return res.body;
    };
    return {
      source: await get(`/sources/${ids.src}?include=config.auth`),
      destination: await get(`/destinations/${ids.des}?include=config.auth`),
      connection: await get(`/connections/${ids.web}`),
      request: await get(`/requests/${ids.req}`),
      events: (await get(`/requests/${ids.req}/events`)).models,
      attempts: (await get(`/attempts?event_id=${ids.evt}`)).models,
      keys: (await get('/api-keys')).models.map((k: { id: string; name: string }) => [k.id, k.name]),
      secrets: await get('/project-secrets?reveal=true'),
    };
  }

  beforeAll(async () => {
    [hub, receiver] = await Promise.all([startTestHub(), startReceiver()]);
    a = await newWorkspace(hub);
    b = await newWorkspace(hub);
    expect(a.teamId).not.toBe(b.teamId);
    const create = async (path: string, body: object) => {
      const res = await as(a, 'post', path).send(body);
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    };
    ids.src = await create('/sources', { name: 'a-shop', config: { auth: { type: 'api_key', header_key: 'x-shop-key', api_key: 'a-shop-sender-key' } } });
    ids.des = await create('/destinations', { name: 'a-backend', config: { url: `${receiver.url}/a`, auth: { type: 'bearer', token: 'a-backend-token' } } });
    ids.web = await create('/connections', { name: 'a-orders', source_id: ids.src, destination_id: ids.des });
    ids.aTeam = a.teamId;
    ids.aKey = (await as(a, 'get', '/api-keys')).body.models[0].id;

    const ingested = await hub.api('post', `/e/${ids.src}`).set('x-shop-key', 'a-shop-sender-key').send({ order: 'a-1' });
    expect(ingested.status).toBe(200);
    ids.req = ingested.body.request_id;
    const event = await waitFor(
      async () => {
        const [e] = (await as(a, 'get', `/requests/${ids.req}/events`)).body.models;
        return e?.status === 'SUCCESSFUL' && e;
      },
      10_000,
      "A's delivery",
    );
    ids.evt = event.id;
    ids.atm = (await as(a, 'get', `/attempts?event_id=${ids.evt}`)).body.models[0].id;
    expect(ids.atm).toMatch(/^atm_/);
    before = await snapshotOfA();
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  // Bodies are valid, so that the only thing wrong with each request is whose resource it names.
  const crossWorkspace: { method: Method; path: string; body?: object }[] = [
    ...(['sources', 'destinations', 'connections'] as const).flatMap((kind) => {
      const id = { sources: '{src}', destinations: '{des}', connections: '{web}' }[kind];
      return [
        { method: 'get' as const, path: `/${kind}/${id}` },
        { method: 'get' as const, path: `/${kind}/${id}?include=config.auth` },
        { method: 'put' as const, path: `/${kind}/${id}`, body: { name: 'taken-over' } },
        { method: 'patch' as const, path: `/${kind}/${id}`, body: { description: 'taken over' } },
        { method: 'put' as const, path: `/${kind}/${id}/disable` },
        { method: 'post' as const, path: `/${kind}/${id}/disable` },
        { method: 'put' as const, path: `/${kind}/${id}/enable` },
        { method: 'post' as const, path: `/${kind}/${id}/enable` },
        { method: 'delete' as const, path: `/${kind}/${id}` },
      ];
    }),
    { method: 'patch', path: '/destinations/{des}', body: { config: { url: 'https://attacker.example/steal' } } },
    { method: 'put', path: '/connections/{web}/pause' },
    { method: 'post', path: '/connections/{web}/pause' },
    { method: 'put', path: '/connections/{web}/unpause' },
    { method: 'post', path: '/connections/{web}/unpause' },
    { method: 'get', path: '/connections/{web}/latest-input' },
    { method: 'put', path: '/connections', body: { id: '{web}', name: 'taken-over', source_id: '{src}', destination_id: '{des}' } },
    { method: 'get', path: '/requests/{req}' },
    { method: 'get', path: '/requests/{req}/events' },
    { method: 'get', path: '/requests/{req}/ignored_events' },
    // What became of a request, in sentences (issue 14, trap 2).
    { method: 'get', path: '/requests/{req}/outcome' },
    { method: 'post', path: '/requests/{req}/retry' },
    { method: 'get', path: '/events/{evt}' },
    { method: 'post', path: '/events/{evt}/retry' },
    { method: 'get', path: '/attempts/{atm}' },
    { method: 'delete', path: '/api-keys/{aKey}' },
    // The flow editor's sample of a source trigger, and listening for its next request (issue 14, item 5).
    { method: 'get', path: '/flows/source-sample?source_id={src}' },
    { method: 'get', path: '/flows/source-sample/listen?source_id={src}&wait=1' },
    { method: 'get', path: '/flows/source-sample/listen?source_id={src}&wait=1&after={req}' },
  ];

  it.each(crossWorkspace)("B: $method $path of A's → 404", async ({ method, path, body }) => {
    let t = as(b, method, fill(path));
    if (body) t = t.send(JSON.parse(fill(JSON.stringify(body))));
    const res = await t;
    expect(res.status, res.text).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(res.body.error.message).toEqual(expect.any(String));
    // Nothing of A's comes back, not even in the error.
    for (const word of ['a-shop', 'a-backend', 'a-orders', a.teamId, a.email]) expect(res.text).not.toContain(word);
  });

  it("B's lists show none of A's data, however they are filtered", async () => {
    const lists = [
      '/sources',
      '/destinations',
      '/connections',
      '/requests',
      '/events',
      '/attempts',
      '/connections?source_id={src}',
      '/connections?destination_id={des}',
      '/requests?source_id={src}',
      '/events?source_id={src}',
      '/events?connection_id={web}',
      '/events?webhook_id={web}',
      '/events?destination_id={des}',
      '/events?request_id={req}',
      '/attempts?event_id={evt}',
      '/attempts?destination_id={des}',
      '/sources?name=a-shop',
      '/destinations?name=a-backend',
      '/connections?name=a-orders',
      '/requests?status=accepted',
      '/requests?q={req}',
      '/events?q={evt}',
      '/requests?outcome=delivered',
      '/requests?source_id={src}&outcome=not_sent',
    ];
    for (const path of lists) {
      const res = await as(b, 'get', fill(path));
      expect(res.status, `${path}: ${res.text}`).toBe(200);
      expect(res.body.models, path).toEqual([]);
    }
    const keys = await as(b, 'get', '/api-keys');
    expect(keys.body.models.map((k: { id: string }) => k.id)).not.toContain(ids.aKey);
    const secrets = await as(b, 'get', '/project-secrets?reveal=true');
    expect(secrets.body.team_id).toBe(b.teamId);
    expect(secrets.body.api_key.value).not.toBe(before.secrets.api_key.value);
    expect(secrets.body.signing_secret.value).not.toBe(before.secrets.signing_secret.value);
    const me = await as(b, 'get', '/auth/me');
    expect(me.body.team.id).toBe(b.teamId);
    // Read through every list B has, in one go: none of A's ids or names appear anywhere.
    for (const path of ['/sources', '/destinations', '/connections', '/requests?include=data', '/events', '/attempts', '/api-keys']) {
      const text = (await as(b, 'get', path)).text;
      for (const word of [ids.src, ids.des, ids.web, ids.req, ids.evt, ids.atm, ids.aKey, a.teamId, 'a-shop']) expect(text, path).not.toContain(word);
    }
  });

  it("B cannot wire its own connection to A's source or destination (422, as if they did not exist)", async () => {
    const own = await as(b, 'post', '/destinations').send({ name: 'b-backend', config: { url: `${receiver.url}/b` } });
    expect(own.status).toBe(201);
    const res = await as(b, 'post', '/connections').send({ name: 'b-steals', source_id: ids.src, destination_id: own.body.id });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([{ path: 'source_id', message: `source ${ids.src} was not found` }]);
    const ownSrc = await as(b, 'post', '/sources').send({ name: 'b-shop' });
    const res2 = await as(b, 'post', '/connections').send({ name: 'b-steals', source_id: ownSrc.body.id, destination_id: ids.des });
    expect(res2.status).toBe(422);
    expect(res2.body.error.details).toEqual([{ path: 'destination_id', message: `destination ${ids.des} was not found` }]);
  });

  it("B's upserts by A's names make B's own resources and leave A's alone", async () => {
    const src = await as(b, 'put', '/sources').send({ name: 'a-shop' });
    expect(src.status).toBe(201);
    expect(src.body.id).not.toBe(ids.src);
    expect(src.body.team_id).toBe(b.teamId);
    const des = await as(b, 'put', '/destinations').send({ name: 'a-backend', url: `${receiver.url}/b2` });
    expect(des.status).toBe(201);
    expect(des.body.id).not.toBe(ids.des);
  });

  it("picking A's workspace with B's credentials is 403, by header or by query", async () => {
    const projectKey = (await as(b, 'get', '/project-secrets?reveal=true')).body.api_key.value as string;
    const tries = [
      { what: 'API key, x-team-id', t: () => as(b, 'get', '/sources').set('x-team-id', a.teamId) },
      { what: 'API key, ?team_id', t: () => as(b, 'get', `/sources?team_id=${a.teamId}`) },
      { what: 'API key, write', t: () => as(b, 'post', '/sources').set('x-team-id', a.teamId).send({ name: 'planted' }) },
      { what: 'API key, /auth/me', t: () => as(b, 'get', '/auth/me').set('x-team-id', a.teamId) },
      { what: 'session, x-team-id', t: () => as(b.token, 'get', '/sources').set('x-team-id', a.teamId) },
      { what: 'session, ?team_id', t: () => as(b.token, 'get', `/events?team_id=${a.teamId}`) },
      { what: 'project key, x-team-id', t: () => as(projectKey, 'get', '/requests').set('x-team-id', a.teamId) },
      { what: 'project key, ?team_id', t: () => as(projectKey, 'delete', `/sources/${ids.src}?team_id=${a.teamId}`) },
    ];
    for (const { what, t } of tries) {
      const res = await t();
      expect(res.status, `${what}: ${res.text}`).toBe(403);
      expect(res.body.error.code, what).toBe('FORBIDDEN');
      expect(res.body.error.message, what).toEqual(expect.any(String));
    }
    // The header itself works: A's own key may name A's workspace.
    expect((await as(a, 'get', '/sources').set('x-team-id', a.teamId)).status).toBe(200);
    expect((await as(a, 'get', `/sources?team_id=${a.teamId}`)).body.models.map((s: { id: string }) => s.id)).toEqual([ids.src]);
  });

  it("B cannot take over A's project API key by choosing the same value (409)", async () => {
    const chosen = 'a-chosen-project-key-0123456789';
    const set = await as(a, 'put', '/project-secrets').send({ api_key: chosen });
    expect(set.status).toBe(200);
    before.secrets = set.body;
    const res = await as(b, 'put', '/project-secrets').send({ api_key: chosen });
    expect(res.status, res.text).toBe(409);
    expect(res.body.error.code).toBe('RESOURCE_ALREADY_EXISTS');
    // The key still opens A's workspace, and only A's.
    const list = await hub.api('get', `${V}/sources`, chosen);
    expect(list.status).toBe(200);
    expect(list.body.models.map((s: { id: string }) => s.id)).toEqual([ids.src]);
  });

  it("leaves A's data exactly as it was, and retried nothing", async () => {
    await new Promise((r) => setTimeout(r, 300)); // a retry that slipped through would be delivered by now
    const after = await snapshotOfA();
    expect(after).toEqual(before);
    expect(after.source).toMatchObject({ name: 'a-shop', disabled_at: null, config: { auth: { api_key: 'a-shop-sender-key' } } });
    expect(after.destination).toMatchObject({ name: 'a-backend', disabled_at: null, config: { url: `${receiver.url}/a`, auth: { token: 'a-backend-token' } } });
    expect(after.connection).toMatchObject({ name: 'a-orders', disabled_at: null, paused_at: null });
    expect(after.request.events_count).toBe(1);
    expect(after.events).toHaveLength(1);
    expect(after.attempts).toHaveLength(1);
    expect(receiver.received.filter((r) => r.url === '/a')).toHaveLength(1);
    // A's key was not revoked either.
    expect(after.keys.map(([id]: string[]) => id)).toContain(ids.aKey);
  });
});

describe('API keys and sessions', () => {
  let hub: TestHub;
  let ws: Workspace;
  beforeAll(async () => {
    hub = await startTestHub();
    ws = await newWorkspace(hub);
  });
  afterAll(async () => hub?.close());

  const makeKey = async (name: string, scopes = ['read', 'write']) => {
    const res = await hub.api('post', `${V}/api-keys`, ws.token).send({ name, scopes });
    expect(res.status).toBe(201);
    return res.body as { id: string; key: string; prefix: string; scopes: string[]; last_used_at: string | null };
  };
  const listKeys = async () => (await hub.api('get', `${V}/api-keys`, ws.token)).body.models as Record<string, unknown>[];

  it('shows the full key only in the create response; lists show its prefix', async () => {
    const created = await makeKey('ci', ['write', 'read', 'read']);
    expect(created.key).toMatch(/^wh_live_[A-Za-z0-9_-]{30,}$/);
    expect(created.prefix).toBe(created.key.slice(0, 12));
    expect(created.scopes).toEqual(['read', 'write']);
    expect(created.last_used_at).toBeNull();
    const res = await hub.api('get', `${V}/api-keys`, ws.token);
    expect(res.text).not.toContain(created.key);
    const listed = res.body.models.find((k: { id: string }) => k.id === created.id);
    expect(Object.keys(listed).sort()).toEqual(['created_at', 'created_by', 'id', 'kind', 'last_used_at', 'name', 'prefix', 'scopes']);
    // No listed key, the project key included, carries its secret or its hash.
    for (const k of res.body.models) {
      expect(k.key).toBeUndefined();
      expect(k.key_hash).toBeUndefined();
      expect(k.prefix).toMatch(k.kind === 'api_key' ? /^wh_live_/ : /^(wh_proj_|custom$)/);
    }
  });

  it('records last_used_at once a key is used', async () => {
    const created = await makeKey('used');
    expect((await listKeys()).find((k) => k.id === created.id)?.last_used_at).toBeNull();
    const start = Date.now();
    expect((await hub.api('get', `${V}/sources`, created.key)).status).toBe(200);
    const used = await waitFor(async () => (await listKeys()).find((k) => k.id === created.id && k.last_used_at), 5000, 'last_used_at');
    const at = new Date(used.last_used_at as string).getTime();
    expect(at).toBeGreaterThanOrEqual(start - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('revokes a key at once on DELETE: the next call is 401', async () => {
    const created = await makeKey('doomed');
    expect((await hub.api('get', `${V}/sources`, created.key)).status).toBe(200);
    const del = await hub.api('delete', `${V}/api-keys/${created.id}`, ws.key);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ id: created.id, deleted: true });
    const after = await hub.api('get', `${V}/sources`, created.key);
    expect(after.status).toBe(401);
    expect(after.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/revoked/) });
    expect((await listKeys()).map((k) => k.id)).not.toContain(created.id);
    expect((await hub.api('delete', `${V}/api-keys/${created.id}`, ws.key)).status).toBe(404);

    // A key can revoke itself, and that, too, takes effect on the very next call.
    const self = await makeKey('self-revoking');
    expect((await hub.api('delete', `${V}/api-keys/${self.id}`, self.key)).status).toBe(200);
    expect((await hub.api('get', `${V}/api-keys`, self.key)).status).toBe(401);
  });

  it('refuses a logged-out session token (401), and only that one', async () => {
    const login = await hub.api('post', `${V}/auth/login`).send({ email: ws.email, password: 'correct horse battery' });
    expect(login.status).toBe(200);
    const token = login.body.token as string;
    expect((await hub.api('get', `${V}/sources`, token)).status).toBe(200);
    expect((await hub.api('post', `${V}/auth/logout`, token)).status).toBe(200);
    for (const [method, path] of [
      ['get', '/auth/me'],
      ['get', '/sources'],
      ['post', '/auth/logout'],
      ['post', '/api-keys'],
    ] as const) {
      const res = await hub.api(method, `${V}${path}`, token).send(method === 'post' ? { name: 'x', scopes: ['read'] } : undefined);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
    expect((await hub.api('get', `${V}/auth/me`, ws.token)).status).toBe(200);
  });
});

describe('API rate limit', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ apiRateLimitPerMinute: 5 });
  });
  afterAll(async () => hub?.close());

  it('answers 429 with Retry-After and the JSON error shape once a key has used its minute', async () => {
    const ws = await newWorkspace(hub); // its key is fresh: creating it counted against the session, not the key
    for (let i = 0; i < 5; i++) {
      const ok = await hub.api('get', `${V}/sources`, ws.key);
      expect(ok.status, `request ${i + 1}`).toBe(200);
    }
    const limited = await hub.api('get', `${V}/sources`, ws.key);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/json/);
    expect(limited.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/at most 5 per minute/) } });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Writes are limited just the same, and nothing is done.
    const write = await hub.api('post', `${V}/sources`, ws.key).send({ name: 'too-many' });
    expect(write.status).toBe(429);
    // The limit is per credential: the same user's session still has its own allowance.
    const session = await hub.api('get', `${V}/sources`, ws.token);
    expect(session.status).toBe(200);
    expect(session.body.models).toEqual([]);
    // Health checks and ingestion are not part of the API allowance.
    expect((await supertest(hub.url).get('/api/health')).status).toBe(200);
  });
});
