import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleSigningKeys } from '../server/auth/google-keys.ts';
import { GoogleVerifier } from '../server/auth/google-login.ts';
import { createLogger } from '../server/core/logger.ts';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const V = '/api/v1';
const CLIENT_ID = '1234567890-wirehub.apps.googleusercontent.com';
const KID = 'test-key-1';

/** Google's key endpoint, played locally: the PEM map of oauth2/v1/certs and the JWKS of oauth2/v3/certs. */
function keyServer(publicKey: KeyObject) {
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' };
  return startReceiver((req) => ({
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600, must-revalidate' },
    body: JSON.stringify(req.url.startsWith('/oauth2/v3/') ? { keys: [jwk] } : { [KID]: pem }),
  }));
}

const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An ID token shaped like Google's, signed RS256 with our key. */
function idToken(privateKey: KeyObject, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url({ alg: 'RS256', kid: KID, typ: 'JWT', ...header });
  const body = b64url({
    iss: 'https://accounts.google.com',
    azp: CLIENT_ID,
    aud: CLIENT_ID,
    sub: '110169484474386276334',
    email: 'grace@example.test',
    email_verified: true,
    name: 'Grace Hopper',
    picture: 'https://lh3.googleusercontent.com/a/grace',
    iat: now,
    exp: now + 3600,
    ...claims,
  });
  return `${head}.${body}.${sign('sha256', Buffer.from(`${head}.${body}`), privateKey).toString('base64url')}`;
}

describe('Google sign-in', () => {
  let hub: TestHub;
  let off: TestHub;
  let keys: Awaited<ReturnType<typeof keyServer>>;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const login = (credential: unknown, extra: object = {}) => hub.api('post', `${V}/auth/google/login`).send({ credential, ...extra });

  beforeAll(async () => {
    keys = await keyServer(publicKey);
    [hub, off] = await Promise.all([
      startTestHub({}, { GOOGLE_CLIENT_ID: CLIENT_ID, WIREHUB_GOOGLE_CERTS_URL: `${keys.url}/oauth2/v1/certs` }),
      startTestHub(),
    ]);
  });
  afterAll(async () => Promise.all([hub?.close(), off?.close(), keys?.close()]));

  it('creates the user and a personal team on first sign-in, and reuses them on the next', async () => {
    const providers = await hub.api('get', `${V}/auth/providers`);
    expect(providers.body).toMatchObject({ password: true, google: { enabled: true, client_id: CLIENT_ID } });

    const first = await login(idToken(privateKey));
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({
      token: expect.stringMatching(/^whs_/),
      user: { email: 'grace@example.test', name: 'Grace Hopper', picture_url: 'https://lh3.googleusercontent.com/a/grace' },
      team: { name: "Grace Hopper's team", role: 'owner' },
      session: { expires_at: expect.any(String) },
    });
    const me = await hub.api('get', `${V}/auth/me`, first.body.token);
    expect(me.body).toMatchObject({
      user: { id: first.body.user.id, picture_url: expect.any(String) },
      team: { id: first.body.team.id },
      session: { expires_at: expect.any(String) },
    });
    expect(me.body.memberships.map((m: { team_id: string }) => m.team_id)).toEqual([first.body.team.id]);

    const again = await login(idToken(privateKey, { picture: 'https://lh3.googleusercontent.com/a/grace-2' }));
    expect(again.status).toBe(200);
    expect(again.body.user).toMatchObject({ id: first.body.user.id, picture_url: 'https://lh3.googleusercontent.com/a/grace-2' });
    expect(again.body.team.id).toBe(first.body.team.id);
    const count = await hub.deps.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('email', '=', 'grace@example.test')
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
    // A Google account has no password: the password log-in refuses it like any wrong password.
    expect((await hub.api('post', `${V}/auth/login`).send({ email: 'grace@example.test', password: '' })).status).toBe(401);
    // The keys were fetched once and served from the cache (max-age=3600) since.
    expect(keys.received.length).toBe(1);
  });

  it('refuses forged, expired, foreign and unverified credentials with 401 and says why', async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = idToken(privateKey, { sub: 'sub-refusals', email: 'refusals@example.test' });
    const [head, body] = good.split('.');
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const cases: [string, unknown, RegExp][] = [
      ['wrong audience', idToken(privateKey, { aud: 'someone-else.apps.googleusercontent.com' }), /audience/],
      ['expired', idToken(privateKey, { iat: now - 7200, exp: now - 3600 }), /expired/],
      [
        'tampered payload',
        `${head}.${b64url({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), email: 'admin@example.test' })}.${good.split('.')[2]}`,
        /signature/,
      ],
      ['signed by another key', idToken(otherKey), /signature/],
      ['unknown kid', idToken(privateKey, {}, { kid: 'not-a-google-key' }), /kid/],
      ['unsigned (alg none)', `${b64url({ alg: 'none', kid: KID })}.${body}.`, /RS256/],
      ['HS256 with the public key as secret', idToken(privateKey, {}, { alg: 'HS256' }), /RS256/],
      ['wrong issuer', idToken(privateKey, { iss: 'https://evil.example' }), /issued by accounts.google.com/],
      ['unverified email', idToken(privateKey, { email_verified: false }), /not verified/],
      ['no email', idToken(privateKey, { email: undefined }), /e-mail/],
      ['not a JWT', 'hello', /JWT/],
      ['garbage header', 'a.b.c', /header/],
    ];
    for (const [what, credential, message] of cases) {
      const res = await login(credential);
      expect(res.status, `${what}: ${res.text}`).toBe(401);
      expect(res.body.error.code, what).toBe('INVALID_CREDENTIALS');
      expect(res.body.error.message, what).toMatch(message);
      expect(res.text, what).not.toContain(String(credential).slice(-20) || '<empty>');
    }
    const missing = await hub.api('post', `${V}/auth/google/login`).send({});
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].path).toBe('body.credential');
    // None of them made an account.
    const made = await hub.deps.db.selectFrom('users').select('email').where('email', 'in', ['admin@example.test', 'refusals@example.test']).execute();
    expect(made).toEqual([]);
  });

  it('links a password account with the same verified address, and picks the team asked for', async () => {
    const ws = await newWorkspace(hub);
    const me = await hub.api('get', `${V}/auth/me`, ws.token);
    const res = await login(idToken(privateKey, { sub: 'sub-linked', email: ws.email.toUpperCase(), name: 'Someone Else' }));
    expect(res.status, res.text).toBe(200);
    expect(res.body.user).toMatchObject({ id: me.body.user.id, name: 'Test User' });
    expect(res.body.team.id).toBe(ws.teamId);
    // Without SMTP the password account's address was never proven: Google's verified owner claims
    // it, and the password and its sessions no longer open it (test/attack-account.test.ts).
    expect((await hub.api('post', `${V}/auth/login`).send({ email: ws.email, password: 'correct horse battery' })).status).toBe(401);
    expect((await hub.api('get', `${V}/auth/me`, ws.token)).status).toBe(401);

    const second = await hub.api('post', `${V}/teams`, res.body.token).send({ name: 'Second' });
    const picked = await login(idToken(privateKey, { sub: 'sub-linked', email: ws.email }), { team_id: second.body.id });
    expect(picked.body.team).toMatchObject({ id: second.body.id, role: 'owner' });
    const other = await newWorkspace(hub);
    const refused = await login(idToken(privateKey, { sub: 'sub-linked', email: ws.email }), { team_id: other.teamId });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain(other.teamId);
  });

  it('reads a JWKS (oauth2/v3/certs) as well as the PEM map', async () => {
    const verifier = new GoogleVerifier(CLIENT_ID, new GoogleSigningKeys(`${keys.url}/oauth2/v3/certs`, createLogger('silent')));
    await expect(verifier.verify(idToken(privateKey, { sub: 'jwks' }))).resolves.toMatchObject({ sub: 'jwks', email: 'grace@example.test' });
    await expect(verifier.verify(idToken(privateKey, { aud: 'other' }))).rejects.toMatchObject({ status: 401 });
  });

  it('is off, and says so, without GOOGLE_CLIENT_ID', async () => {
    expect((await off.api('get', `${V}/auth/providers`)).body.google).toEqual({ enabled: false, client_id: null });
    const res = await off.api('post', `${V}/auth/google/login`).send({ credential: idToken(privateKey) });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(/GOOGLE_CLIENT_ID/);
  });
});

describe('teams, members and invites', () => {
  let hub: TestHub;
  type Person = Awaited<ReturnType<typeof newWorkspace>>;
  let ann: Person; // owns "Acme"
  let bob: Person;
  let cat: Person;
  let acme: string;

  const as = (p: Person, method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) => hub.api(method, `${V}${path}`, p.token);
  const userId = async (p: Person) => (await as(p, 'get', '/auth/me')).body.user.id as string;
  const invite = async (by: Person, email: string, role = 'member') => {
    const res = await as(by, 'post', `/teams/${acme}/invites`).send({ email, role });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; url: string };
  };
  const tokenOf = (url: string) => url.split('/invite/')[1];

  beforeAll(async () => {
    hub = await startTestHub({ publicUrl: 'https://hub.example.test' });
    [ann, bob, cat] = [await newWorkspace(hub), await newWorkspace(hub), await newWorkspace(hub)];
  });
  afterAll(async () => hub?.close());

  it('creates, lists, reads and renames teams', async () => {
    const created = await as(ann, 'post', '/teams').send({ name: '  Acme  ' });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^tm_/), name: 'Acme', role: 'owner' });
    acme = created.body.id;
    const list = await as(ann, 'get', '/teams');
    expect(list.body.models.map((t: { id: string; role: string }) => [t.id, t.role])).toEqual([
      [ann.teamId, 'owner'],
      [acme, 'owner'],
    ]);
    expect((await as(ann, 'get', `/teams/${acme}`)).body).toMatchObject({ id: acme, name: 'Acme', role: 'owner', members_count: 1 });
    expect((await as(ann, 'patch', `/teams/${acme}`).send({ name: 'Acme Inc' })).body.name).toBe('Acme Inc');
    expect((await as(ann, 'put', `/teams/${acme}`).send({ name: 'Acme' })).body.name).toBe('Acme');
    expect((await as(ann, 'post', '/teams').send({ name: '' })).status).toBe(400);
    // The new team is where requests go with x-team-id, and /auth/me lists it.
    const me = await as(ann, 'get', '/auth/me').set('x-team-id', acme);
    expect(me.body.team).toMatchObject({ id: acme, role: 'owner' });
    expect(me.body.memberships.map((m: { team_id: string }) => m.team_id)).toContain(acme);
    // Teams are people's business: an API key is told to use a session.
    expect((await hub.api('get', `${V}/teams`, ann.key)).status).toBe(403);
  });

  it('invites by a one-time link that only the invited address can accept', async () => {
    const inv = await invite(ann, bob.email.toUpperCase());
    expect(inv.url).toMatch(/^https:\/\/hub\.example\.test\/invite\/[A-Za-z0-9_-]{43}$/);
    const token = tokenOf(inv.url);

    const preview = await hub.api('get', `${V}/invites/${token}`);
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({
      team: { id: acme, name: 'Acme' },
      invited_by: { name: 'Test User' },
      email: bob.email,
      role: 'member',
      expires_at: expect.any(String),
    });
    const listed = await as(ann, 'get', `/teams/${acme}/invites`);
    expect(listed.body.models).toMatchObject([{ id: inv.id, email: bob.email, status: 'pending' }]);
    expect(listed.text).not.toContain(token);
    const stored = await hub.deps.db.selectFrom('team_invites').selectAll().where('id', '=', inv.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(token);

    const wrongUser = await as(cat, 'post', `/invites/${token}/accept`);
    expect(wrongUser.status).toBe(403);
    expect(wrongUser.body.error.code).toBe('INVITE_EMAIL_MISMATCH');

    const accepted = await as(bob, 'post', `/invites/${token}/accept`);
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.team).toEqual({ id: acme, name: 'Acme', role: 'member' });
    expect((await as(bob, 'post', `/invites/${token}/accept`)).status).toBe(410);
    expect((await hub.api('get', `${V}/invites/${token}`)).body.error.code).toBe('INVITE_ALREADY_USED');
    expect((await as(bob, 'get', '/teams')).body.models.map((t: { id: string }) => t.id)).toContain(acme);
    expect((await as(ann, 'get', `/teams/${acme}/invites`)).body.models).toEqual([]);
    expect((await hub.api('get', `${V}/invites/${'x'.repeat(43)}`)).status).toBe(404);

    // A second invite to someone already in: refused.
    expect((await as(ann, 'post', `/teams/${acme}/invites`).send({ email: bob.email })).status).toBe(409);
  });

  it('expires invites, replaces a re-sent one and revokes on request', async () => {
    const first = await invite(ann, cat.email);
    const second = await invite(ann, cat.email);
    expect((await hub.api('get', `${V}/invites/${tokenOf(first.url)}`)).status).toBe(404); // replaced by the second
    await hub.deps.db
      .updateTable('team_invites')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', second.id)
      .execute();
    expect((await hub.api('get', `${V}/invites/${tokenOf(second.url)}`)).body.error.code).toBe('INVITE_EXPIRED');
    expect((await as(cat, 'post', `/invites/${tokenOf(second.url)}/accept`)).status).toBe(410);
    expect((await as(ann, 'get', `/teams/${acme}/invites`)).body.models).toMatchObject([{ id: second.id, status: 'expired' }]);

    const third = await invite(ann, 'nobody@example.test');
    expect((await as(ann, 'delete', `/teams/${acme}/invites/${third.id}`)).status).toBe(200);
    expect((await as(ann, 'delete', `/teams/${acme}/invites/${third.id}`)).status).toBe(404);
    expect((await hub.api('get', `${V}/invites/${tokenOf(third.url)}`)).status).toBe(404);
  });

  it('lets only owners and admins manage, and only owners touch owners', async () => {
    const [annId, bobId] = [await userId(ann), await userId(bob)];
    // bob is a member: no managing at all.
    expect((await as(bob, 'post', `/teams/${acme}/invites`).send({ email: 'x@example.test' })).status).toBe(403);
    expect((await as(bob, 'get', `/teams/${acme}/invites`)).status).toBe(403);
    expect((await as(bob, 'patch', `/teams/${acme}`).send({ name: 'Mine' })).status).toBe(403);
    expect((await as(bob, 'patch', `/teams/${acme}/members/${annId}`).send({ role: 'member' })).status).toBe(403);
    expect((await as(bob, 'delete', `/teams/${acme}/members/${annId}`)).status).toBe(403);
    expect((await as(bob, 'get', `/teams/${acme}/members`)).body.models.map((m: { user_id: string; role: string }) => [m.user_id, m.role])).toEqual([
      [annId, 'owner'],
      [bobId, 'member'],
    ]);

    // An admin manages members and invites, but not owners.
    expect((await as(ann, 'patch', `/teams/${acme}/members/${bobId}`).send({ role: 'admin' })).body).toEqual({ team_id: acme, user_id: bobId, role: 'admin' });
    expect((await as(bob, 'patch', `/teams/${acme}/members/${bobId}`).send({ role: 'owner' })).status).toBe(403);
    expect((await as(bob, 'patch', `/teams/${acme}/members/${annId}`).send({ role: 'admin' })).status).toBe(403);
    expect((await as(bob, 'delete', `/teams/${acme}/members/${annId}`)).status).toBe(403);
    expect((await as(bob, 'post', `/teams/${acme}/invites`).send({ email: 'owner@example.test', role: 'owner' })).status).toBe(403);
    const byAdmin = await invite(bob, cat.email);
    expect((await as(cat, 'post', `/invites/${tokenOf(byAdmin.url)}/accept`)).body.team.role).toBe('member');
    expect((await as(ann, 'patch', `/teams/${acme}/members/${bobId}`).send({ role: 'boss' })).status).toBe(400);
  });

  it('keeps a last owner: who cannot leave, be removed or be demoted', async () => {
    const [annId, bobId, catId] = [await userId(ann), await userId(bob), await userId(cat)];
    const demote = await as(ann, 'patch', `/teams/${acme}/members/${annId}`).send({ role: 'admin' });
    expect(demote.status).toBe(409);
    expect(demote.body.error).toMatchObject({ code: 'LAST_OWNER', message: expect.stringMatching(/last owner/) });
    expect((await as(ann, 'delete', `/teams/${acme}/members/${annId}`)).status).toBe(409);

    // With a second owner, the first may go; then the second is the last.
    expect((await as(ann, 'patch', `/teams/${acme}/members/${bobId}`).send({ role: 'owner' })).status).toBe(200);
    expect((await as(bob, 'delete', `/teams/${acme}/members/${annId}`)).status).toBe(200); // an owner removes an owner
    expect((await as(ann, 'get', `/teams/${acme}`)).status).toBe(403);
    expect((await as(bob, 'delete', `/teams/${acme}/members/${bobId}`)).body.error.code).toBe('LAST_OWNER');
    expect((await as(bob, 'patch', `/teams/${acme}/members/${bobId}`).send({ role: 'member' })).status).toBe(409);

    // A member leaves by removing themselves.
    expect((await as(cat, 'delete', `/teams/${acme}/members/${catId}`)).body).toEqual({ team_id: acme, user_id: catId, removed: true });
    expect((await as(bob, 'get', `/teams/${acme}/members`)).body.count).toBe(1);
    expect((await as(bob, 'delete', `/teams/${acme}/members/${catId}`)).status).toBe(404);
  });

  it('moves a session off a team its user left, so it keeps working', async () => {
    // dan's session runs in his own team; he joins Acme, hands his team to bob, leaves it, and carries on in Acme.
    const dan = await newWorkspace(hub);
    const danId = await userId(dan);
    await as(dan, 'post', `/invites/${tokenOf((await invite(bob, dan.email)).url)}/accept`);
    expect((await as(dan, 'delete', `/teams/${dan.teamId}/members/${danId}`)).status).toBe(409); // his team's last owner
    const handover = await as(dan, 'post', `/teams/${dan.teamId}/invites`).send({ email: bob.email, role: 'owner' });
    expect((await as(bob, 'post', `/invites/${tokenOf(handover.body.url)}/accept`)).status).toBe(200);
    expect((await as(dan, 'delete', `/teams/${dan.teamId}/members/${danId}`)).status).toBe(200);
    const danMe = await as(dan, 'get', '/auth/me');
    expect(danMe.status, danMe.text).toBe(200);
    expect(danMe.body.team).toMatchObject({ id: acme, role: 'member' });

    // eve hands her only team to dan and leaves: she gets a fresh team of her own instead of a dead session.
    const eve = await newWorkspace(hub);
    const toDan = await as(eve, 'post', `/teams/${eve.teamId}/invites`).send({ email: dan.email, role: 'owner' });
    expect((await as(dan, 'post', `/invites/${tokenOf(toDan.body.url)}/accept`)).status).toBe(200);
    expect((await as(eve, 'delete', `/teams/${eve.teamId}/members/${await userId(eve)}`)).status).toBe(200);
    const eveMe = await as(eve, 'get', '/auth/me');
    expect(eveMe.status, eveMe.text).toBe(200);
    expect(eveMe.body.team).toMatchObject({ role: 'owner', name: "Test User's team" });
    expect(eveMe.body.team.id).not.toBe(eve.teamId);
    expect(eveMe.body.memberships).toHaveLength(1);
  });

  it("forbids a member of one team to act in another by x-team-id, team_id or the team's path", async () => {
    const outsider = await newWorkspace(hub);
    const paths: [method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object][] = [
      ['get', `/teams/${acme}`],
      ['patch', `/teams/${acme}`, { name: 'Taken' }],
      ['get', `/teams/${acme}/members`],
      ['get', `/teams/${acme}/invites`],
      ['post', `/teams/${acme}/invites`, { email: 'spy@example.test' }],
      ['delete', `/teams/${acme}/members/${await userId(bob)}`],
    ];
    for (const [method, path, body] of paths) {
      const res = body ? await as(outsider, method, path).send(body) : await as(outsider, method, path);
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    const header = await as(outsider, 'get', '/sources').set('x-team-id', acme);
    const query = await as(outsider, 'get', `/sources?team_id=${acme}`);
    const keyHeader = await hub.api('get', `${V}/sources`, outsider.key).set('x-team-id', acme);
    const keyQuery = await hub.api('get', `${V}/sources?team_id=${acme}`, outsider.key);
    for (const res of [header, query, keyHeader, keyQuery]) expect(res.status, res.text).toBe(403);
    // The same for a team that does not exist: nothing tells the two apart.
    expect((await as(outsider, 'get', `/teams/tm_${'0'.repeat(26)}`)).status).toBe(403);
    // And Acme is unchanged.
    expect((await as(bob, 'get', `/teams/${acme}`)).body).toMatchObject({ name: 'Acme', role: 'owner' });
  });

  it('stores nothing but the hash of a link', async () => {
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM team_invites WHERE octet_length(token_hash) <> 32`.execute(hub.deps.db);
    expect(rows.rows[0].n).toBe(0);
  });
});
