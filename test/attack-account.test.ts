import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.ts';
import { startTestHub, type TestHub } from './support/hub.ts';
import { startMailbox } from './support/mailbox.ts';
import { startReceiver } from './support/receiver.ts';

const V = '/api/v1';
const CLIENT_ID = '1234567890-wirehub.apps.googleusercontent.com';
const KID = 'attack-key-1';
const PUBLIC_URL = 'https://hub.example.test';

/** Google's key endpoint (oauth2/v1/certs), played locally. */
function keyServer(publicKey: KeyObject) {
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return startReceiver(() => ({
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'max-age=3600' },
    body: JSON.stringify({ [KID]: pem }),
  }));
}

/** An ID token as Google would issue it for `email`, signed with our key. */
function idToken(privateKey: KeyObject, email: string, sub: string) {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = b64({ alg: 'RS256', kid: KID, typ: 'JWT' });
  const body = b64({
    iss: 'https://accounts.google.com',
    aud: CLIENT_ID,
    azp: CLIENT_ID,
    sub,
    email,
    email_verified: true,
    name: 'Victoria Victim',
    iat: now,
    exp: now + 3600,
  });
  return `${head}.${body}.${sign('sha256', Buffer.from(`${head}.${body}`), privateKey).toString('base64url')}`;
}

const mailbox = () => startMailbox(PUBLIC_URL);

const PASSWORD = 'squatter-password-1';

describe('account pre-hijack and e-mail verification', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let keys: Awaited<ReturnType<typeof keyServer>>;
  let smtp: Awaited<ReturnType<typeof mailbox>>;
  let plain: TestHub; // Google sign-in, no SMTP
  let mail: TestHub; // Google sign-in and SMTP

  beforeAll(async () => {
    [keys, smtp] = await Promise.all([keyServer(publicKey), mailbox()]);
    const google = { GOOGLE_CLIENT_ID: CLIENT_ID, WIREHUB_GOOGLE_CERTS_URL: `${keys.url}/oauth2/v1/certs`, PUBLIC_URL };
    [plain, mail] = await Promise.all([startTestHub({}, google), startTestHub({}, { ...google, SMTP_URL: smtp.url, SMTP_FROM: 'Wirehub <hub@example.test>' })]);
  });
  afterAll(async () => Promise.all([plain?.close(), mail?.close(), keys?.close(), smtp?.close()]));

  const signup = async (hub: TestHub, email: string, password = PASSWORD) => {
    const res = await hub.api('post', `${V}/auth/signup`).send({ email, password, name: 'Mallory', workspace: 'Victim Corp' });
    expect(res.status, res.text).toBe(201);
    return res.body as { token: string; user: { id: string; email_verified_at: string | null }; team: { id: string } };
  };
  const login = (hub: TestHub, email: string, password: string) => hub.api('post', `${V}/auth/login`).send({ email, password });
  const google = (hub: TestHub, email: string, sub: string) => hub.api('post', `${V}/auth/google/login`).send({ credential: idToken(privateKey, email, sub) });

  it('a squatter who signed up with the victim’s address is locked out when the victim signs in with Google (no SMTP)', async () => {
    const victim = 'victoria@corp.test';
    // Mallory opens an account under Victoria's address, arms it with credentials that outlive a
    // session, and invites a second account of hers into the team.
    const squat = await signup(plain, victim);
    const me = await plain.api('get', `${V}/auth/me`, squat.token);
    expect(me.body).toMatchObject({ user: { email: victim, email_verified_at: null }, email_verification: 'unavailable' });
    const key = await plain.api('post', `${V}/api-keys`, squat.token).send({ name: 'backdoor', scopes: ['read', 'write'] });
    expect(key.status, key.text).toBe(201);
    const projectKey = (await plain.api('get', `${V}/project-secrets?reveal=true`, squat.token)).body.api_key.value as string;
    expect((await plain.api('get', `${V}/sources`, projectKey)).status).toBe(200);
    const invite = await plain.api('post', `${V}/teams/${squat.team.id}/invites`, squat.token).send({ email: 'mallory@evil.test', role: 'owner' });
    expect(invite.status, invite.text).toBe(201);

    // Victoria signs in with Google. The account is hers now; she is told what was undone.
    const res = await google(plain, victim, 'google-victoria');
    expect(res.status, res.text).toBe(200);
    expect(res.body.user.id).toBe(squat.user.id);
    expect(res.body.account_claimed).toEqual({
      password_removed: true,
      sessions_ended: 1,
      api_keys_revoked: 1,
      invites_revoked: 1,
      project_keys_rotated: 1,
      members_it_invited: 0,
    });
    expect((await plain.api('get', `${V}/auth/me`, res.body.token)).body).toMatchObject({
      user: { email_verified_at: expect.any(String) },
      email_verification: 'verified',
    });

    // Every way Mallory had in is shut.
    const again = await login(plain, victim, PASSWORD);
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('INVALID_CREDENTIALS');
    expect((await plain.api('get', `${V}/auth/me`, squat.token)).status).toBe(401);
    expect((await plain.api('get', `${V}/sources`, key.body.key)).status).toBe(401);
    expect((await plain.api('get', `${V}/sources`, projectKey)).status).toBe(401);
    const inviteToken = (invite.body.url as string).split('/invite/')[1];
    expect((await plain.api('get', `${V}/invites/${inviteToken}`)).status).toBe(404);
    // The team and its data stay with the account, which is Victoria's.
    expect((await plain.api('get', `${V}/teams/${squat.team.id}`, res.body.token)).body).toMatchObject({
      name: 'Victim Corp',
      role: 'owner',
      members_count: 1,
    });
  });

  it('a squatter who let a second account of hers in, or minted a key with the project key, keeps neither the project key nor that key', async () => {
    const victim = 'valerie@corp.test';
    const squat = await signup(plain, victim);
    const projectKey = (await plain.api('get', `${V}/project-secrets?reveal=true`, squat.token)).body.api_key.value as string;
    // A key made with the project key would answer to nobody, so it is refused.
    const minted = await plain.api('post', `${V}/api-keys`, projectKey).send({ name: 'nobody’s', scopes: ['read', 'write'] });
    expect(minted.status, minted.text).toBe(403);
    // Her second account joins as an owner, so the team is no longer the account's alone.
    const accomplice = await signup(plain, 'mallory.two@evil.test');
    const invite = await plain.api('post', `${V}/teams/${squat.team.id}/invites`, squat.token).send({ email: 'mallory.two@evil.test', role: 'owner' });
    expect((await plain.api('post', `${V}/invites/${(invite.body.url as string).split('/invite/')[1]}/accept`, accomplice.token)).status).toBe(200);

    const res = await google(plain, victim, 'google-valerie');
    expect(res.status, res.text).toBe(200);
    expect(res.body.account_claimed).toMatchObject({ project_keys_rotated: 1, members_it_invited: 1 });
    // The project key she revealed no longer opens the team; the member she let in is reported for review.
    expect((await plain.api('get', `${V}/sources`, projectKey)).status).toBe(401);
  });

  it('says what is not available without SMTP', async () => {
    expect((await plain.api('get', `${V}/auth/providers`)).body.email).toEqual({ enabled: false, verification: false, password_reset: false });
    const reset = await plain.api('post', `${V}/auth/password-reset`).send({ email: 'victoria@corp.test' });
    expect(reset.status).toBe(404);
    expect(reset.body.error.message).toMatch(/SMTP_URL/);
    const user = await signup(plain, 'nomail@corp.test');
    const resend = await plain.api('post', `${V}/auth/verify-email/resend`, user.token);
    expect(resend.status).toBe(404);
    expect(resend.body.error.message).toMatch(/SMTP_URL/);
  });

  it('verifies an address by the mailed link once, and then links Google without dropping anything', async () => {
    expect((await mail.api('get', `${V}/auth/providers`)).body.email).toEqual({ enabled: true, verification: true, password_reset: true });
    const address = 'owner@corp.test';
    const user = await signup(mail, address, 'owner-password-1');
    expect((await mail.api('get', `${V}/auth/me`, user.token)).body.email_verification).toBe('pending');
    const token = await smtp.link(address, 'verify-email');
    expect(smtp.to(address)[0].raw).toMatch(/^From: Wirehub <hub@example\.test>/m);

    const verified = await mail.api('post', `${V}/auth/verify-email`, user.token).send({ token });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toMatchObject({ email: address, email_verified_at: expect.any(String) });
    const replay = await mail.api('post', `${V}/auth/verify-email`, user.token).send({ token });
    expect(replay.status).toBe(404);
    expect((await mail.api('post', `${V}/auth/verify-email`, user.token).send({ token: 'x'.repeat(43) })).status).toBe(404);
    expect((await mail.api('post', `${V}/auth/verify-email`, user.token).send({})).status).toBe(400);
    expect((await mail.api('post', `${V}/auth/verify-email/resend`, user.token)).status).toBe(409);
    // The token is kept only as a hash.
    const stored = await mail.deps.db.selectFrom('email_tokens').select('token_hash').execute();
    expect(stored.map((r) => r.token_hash.toString('base64url'))).not.toContain(token);

    // A proven address is the owner's: Google links to it and the password and session live on.
    const res = await google(mail, address, 'google-owner');
    expect(res.status, res.text).toBe(200);
    expect(res.body.account_claimed).toBeUndefined();
    expect((await mail.api('get', `${V}/auth/me`, user.token)).status).toBe(200);
    expect((await login(mail, address, 'owner-password-1')).status).toBe(200);
  });

  it('lets the mailbox owner reset the password of an account squatted in their name', async () => {
    const victim = 'reset-victim@corp.test';
    const squat = await signup(mail, victim);
    const key = await mail.api('post', `${V}/api-keys`, squat.token).send({ name: 'backdoor', scopes: ['read'] });
    await smtp.link(victim, 'verify-email'); // Victoria ignores this one: she never signed up.

    // The answer is the same whether or not an account uses the address.
    const known = await mail.api('post', `${V}/auth/password-reset`).send({ email: victim.toUpperCase() });
    const unknown = await mail.api('post', `${V}/auth/password-reset`).send({ email: 'nobody@corp.test' });
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(known.body).toEqual(unknown.body);
    const token = await smtp.link(victim, 'reset-password');
    expect((await mail.api('post', `${V}/auth/password-reset/confirm`).send({ token, password: 'short' })).status).toBe(400);

    const done = await mail.api('post', `${V}/auth/password-reset/confirm`).send({ token, password: 'victorias-own-password' });
    expect(done.status, done.text).toBe(200);
    expect(done.body).toMatchObject({ email: victim, password_changed: true, account_claimed: { password_removed: true, api_keys_revoked: 1 } });
    expect((await mail.api('post', `${V}/auth/password-reset/confirm`).send({ token, password: 'another-password-1' })).status).toBe(404);
    expect((await mail.api('get', `${V}/auth/me`, squat.token)).status).toBe(401);
    expect((await mail.api('get', `${V}/sources`, key.body.key)).status).toBe(401);
    expect((await login(mail, victim, PASSWORD)).status).toBe(401);
    const mine = await login(mail, victim, 'victorias-own-password');
    expect(mine.status).toBe(200);
    expect(mine.body.user.email_verified_at).toEqual(expect.any(String));
    expect(smtp.to('nobody@corp.test')).toEqual([]);
  });

  it('caps the mails one account gets, refuses expired links and ends every session on reset', async () => {
    const address = 'busy@corp.test';
    const user = await signup(mail, address, 'first-password-1');
    const verify = await smtp.link(address, 'verify-email');
    expect((await mail.api('post', `${V}/auth/verify-email`, user.token).send({ token: verify })).status).toBe(200);
    const other = await login(mail, address, 'first-password-1');
    for (let i = 0; i < 5; i++) expect((await mail.api('post', `${V}/auth/password-reset`).send({ email: address })).status).toBe(202);
    await smtp.link(address, 'reset-password', 3);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.to(address).filter((m) => m.raw.includes('/reset-password/'))).toHaveLength(3);

    const first = await smtp.link(address, 'reset-password', 3);
    await mail.deps.db
      .updateTable('email_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('purpose', '=', 'password_reset')
      .where('email', '=', address)
      .execute();
    const late = await mail.api('post', `${V}/auth/password-reset/confirm`).send({ token: first, password: 'second-password-1' });
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('LINK_EXPIRED');
    expect((await mail.api('get', `${V}/auth/me`, user.token)).status).toBe(200);
    expect((await mail.api('get', `${V}/auth/me`, other.body.token)).status).toBe(200);

    // A quarter of an hour later another link may be sent; using it ends both sessions.
    await mail.deps.db
      .updateTable('email_tokens')
      .set({ created_at: new Date(Date.now() - 16 * 60_000) })
      .where('email', '=', address)
      .execute();
    expect((await mail.api('post', `${V}/auth/password-reset`).send({ email: address })).status).toBe(202);
    const fresh = await smtp.link(address, 'reset-password', 4);
    const done = await mail.api('post', `${V}/auth/password-reset/confirm`).send({ token: fresh, password: 'second-password-1' });
    expect(done.status, done.text).toBe(200);
    expect(done.body).toEqual({ email: address, password_changed: true, sessions_ended: 2 });
    expect((await mail.api('get', `${V}/auth/me`, user.token)).status).toBe(401);
    expect((await mail.api('get', `${V}/auth/me`, other.body.token)).status).toBe(401);
    expect((await login(mail, address, 'first-password-1')).status).toBe(401);
    expect((await login(mail, address, 'second-password-1')).status).toBe(200);
  });

  it('refuses an invite to a session whose address was never proven (SMTP on)', async () => {
    const owner = await google(mail, 'boss@corp.test', 'google-boss');
    const invite = await mail.api('post', `${V}/teams/${owner.body.team.id}/invites`, owner.body.token).send({ email: 'newhire@corp.test', role: 'admin' });
    expect(invite.status, invite.text).toBe(201);
    const inviteToken = (invite.body.url as string).split('/invite/')[1];

    // The link leaks; Mallory signs up under the invited address and tries it.
    const squat = await signup(mail, 'newhire@corp.test');
    const refused = await mail.api('post', `${V}/invites/${inviteToken}/accept`, squat.token);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('EMAIL_NOT_VERIFIED');
    expect((await mail.api('get', `${V}/teams/${owner.body.team.id}/members`, owner.body.token)).body.models).toHaveLength(1);

    // Nor can she get the address confirmed by the new hire following the verification mail: the
    // link works only in the session of the account it was sent for.
    const verifyToken = await smtp.link('newhire@corp.test', 'verify-email');
    const other = await mail.api('post', `${V}/auth/verify-email`, owner.body.token).send({ token: verifyToken });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('EMAIL_LINK_OTHER_ACCOUNT');
    expect((await mail.api('post', `${V}/auth/verify-email`).send({ token: verifyToken })).status).toBe(401);

    // The real new hire takes the address back by a password reset, which shuts Mallory out, and joins.
    expect((await mail.api('post', `${V}/auth/password-reset`).send({ email: 'newhire@corp.test' })).status).toBe(202);
    const resetToken = await smtp.link('newhire@corp.test', 'reset-password');
    expect((await mail.api('post', `${V}/auth/password-reset/confirm`).send({ token: resetToken, password: 'new-hire-password' })).status).toBe(200);
    expect((await mail.api('post', `${V}/invites/${inviteToken}/accept`, squat.token)).status).toBe(401);
    const hire = await login(mail, 'newhire@corp.test', 'new-hire-password');
    const joined = await mail.api('post', `${V}/invites/${inviteToken}/accept`, hire.body.token);
    expect(joined.status, joined.text).toBe(200);
    expect(joined.body.team).toMatchObject({ id: owner.body.team.id, role: 'admin' });
  });

  it('limits how many resets one client may ask for', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 11; i++) answers.push((await mail.api('post', `${V}/auth/password-reset`).send({ email: `flood${i}@corp.test` })).status);
    expect(answers).toContain(429);
    const last = await mail.api('post', `${V}/auth/password-reset`).send({ email: 'flood@corp.test' });
    expect(last.status).toBe(429);
    expect(last.body.error.code).toBe('RATE_LIMITED');
  });

  it('checks SMTP_URL at start-up', () => {
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example.test' })).toThrow(/SMTP_URL: must start with smtp:\/\/ or smtps:\/\//);
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.test:465', PUBLIC_URL: 'https://hooks.example.test' }).smtp).toEqual({
      url: 'smtps://u:p@mail.example.test:465',
      from: 'Wirehub <no-reply@hooks.example.test>',
    });
    expect(loadConfig({}).smtp).toBeNull();
  });
});
