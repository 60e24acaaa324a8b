import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

describe('accounts, sessions and secrets at rest', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => hub?.close());

  it('signs up, logs in, updates the profile and logs out', async () => {
    const signup = await hub
      .api('post', '/api/v1/auth/signup')
      .send({ email: 'Ada@Example.test', password: 'analytical-engine', name: 'Ada', workspace: 'Engines' });
    expect(signup.status).toBe(201);
    expect(signup.body).toMatchObject({
      token: expect.stringMatching(/^whs_/),
      user: { email: 'ada@example.test', name: 'Ada' },
      team: { name: 'Engines', role: 'owner' },
    });
    expect(signup.body.user.password_hash).toBeUndefined();

    expect((await hub.api('post', '/api/v1/auth/login').send({ email: 'ada@example.test', password: 'wrong-password' })).status).toBe(401);
    const login = await hub.api('post', '/api/v1/auth/login').send({ email: 'ADA@example.test', password: 'analytical-engine' });
    expect(login.status).toBe(200);
    const token = login.body.token as string;

    const me = await hub.api('get', '/api/auth/me', token); // the un-versioned prefix answers too
    expect(me.body).toMatchObject({ user: { name: 'Ada' }, team: { id: signup.body.team.id }, session: { expires_at: expect.any(String) } });
    expect(me.body.memberships).toEqual([{ team_id: signup.body.team.id, team_name: 'Engines', role: 'owner' }]);

    expect((await hub.api('patch', '/api/v1/auth/me', token).send({ name: 'Ada L.' })).body.user.name).toBe('Ada L.');
    expect((await hub.api('put', '/api/v1/auth/me', token).send({ name: 'Ada Lovelace' })).body.user.name).toBe('Ada Lovelace');

    expect((await hub.api('post', '/api/v1/auth/logout', token)).status).toBe(200);
    expect((await hub.api('get', '/api/v1/auth/me', token)).status).toBe(401);
    expect((await hub.api('get', '/api/v1/auth/me', signup.body.token)).status).toBe(200); // other sessions live on
  });

  it('opens the same demo workspace on every demo login', async () => {
    const [a, b] = await Promise.all([hub.api('post', '/api/v1/auth/demo/login'), hub.api('post', '/api/v1/auth/demo/login')]);
    expect(a.status).toBe(200);
    expect(a.body.team.id).toBe(b.body.team.id);
  });

  it('keeps API keys and tokens only as hashes, and credentials only encrypted', async () => {
    const ws = await newWorkspace(hub);
    const secret = 'very-secret-source-key-123';
    const src = await hub
      .api('post', '/api/v1/sources', ws.key)
      .send({ name: 'enc', config: { auth: { type: 'api_key', header_key: 'x-api-key', api_key: secret } } });
    expect(src.status).toBe(201);
    await hub
      .api('post', '/api/v1/destinations', ws.key)
      .send({ name: 'enc', config: { url: 'https://example.test/hook', auth: { type: 'bearer', token: 'dest-token-456' } } });
    const dump = await sql<{ t: string }>`
      SELECT concat_ws(' ', (SELECT string_agg(s::text, ' ') FROM sources s), (SELECT string_agg(d::text, ' ') FROM destinations d),
                            (SELECT string_agg(k::text, ' ') FROM api_keys k), (SELECT string_agg(x::text, ' ') FROM sessions x),
                            (SELECT string_agg(p::text, ' ') FROM project_secrets p)) AS t`.execute(hub.deps.db);
    const text = dump.rows[0].t;
    expect(text).not.toContain(secret);
    expect(text).not.toContain('dest-token-456');
    expect(text).not.toContain(ws.key);
    expect(text).not.toContain(ws.token);
    const secrets = await hub.api('get', '/api/v1/project-secrets?reveal=true', ws.key);
    expect(text).not.toContain(secrets.body.signing_secret.value);
    // and yet they are usable: a request with the right key is verified
    const ok = await hub.api('post', `/e/${src.body.id}`).set('x-api-key', secret).send({ a: 1 });
    expect(ok.status).toBe(200);
    expect((await hub.api('post', `/e/${src.body.id}`).set('x-api-key', 'nope').send({ a: 1 })).status).toBe(401);
  });

  it('rotates the signing secret: the old one stops at once', async () => {
    const ws = await newWorkspace(hub);
    const before = await hub.api('get', '/api/v1/project-secrets', ws.key);
    expect(before.body.signing_secret.value).toBeUndefined();
    expect(before.body.signing_secret.masked_value).toMatch(/…/);
    const rotated = await hub.api('post', '/api/v1/project-secrets/rotate', ws.key).send({ rotate: ['signing_secret'] });
    expect(rotated.status).toBe(200);
    expect(rotated.body.signing_secret.masked_value).not.toBe(before.body.signing_secret.masked_value);
    expect(rotated.body.api_key.masked_value).toBe(before.body.api_key.masked_value);
    const put = await hub.api('put', '/api/v1/project-secrets', ws.key).send({ signing_secret: 'my-own-secret-value' });
    expect(put.body.signing_secret.value).toBe('my-own-secret-value');
    // The project API key authenticates like a read/write key until it is rotated.
    const projectKey = put.body.api_key.value as string;
    expect((await hub.api('get', '/api/v1/sources', projectKey)).status).toBe(200);
    await hub.api('post', '/api/v1/project-secrets/rotate', ws.key).send({});
    expect((await hub.api('get', '/api/v1/sources', projectKey)).status).toBe(401);
  });
});

describe('guessing credentials', () => {
  it('is limited per address, however many different tokens are tried', async () => {
    const hub = await startTestHub({ apiRateLimitPerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++) statuses.push((await hub.api('get', '/api/v1/sources', `wh_live_guess${i}`)).status);
      expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
      const blocked = await hub.api('get', '/api/v1/sources', 'wh_live_guess_last');
      expect(blocked.status).toBe(429);
      expect(blocked.body.error.code).toBe('RATE_LIMITED');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await hub.close();
    }
  });
});
