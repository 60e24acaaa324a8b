// "Sign in with Google" for Google Sheets, against a local OAuth double and the fake Sheets API: the
// authorization-code flow with PKCE and a single-use state tied to the session and the browser,
// the refresh token sealed in the database, the pickers' lists, rows appended as the signed-in
// account (refreshing its token on expiry and on a 401), team isolation, and disconnecting.
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/child-hub.ts';
import { startFakeGoogleOAuth, type FakeGoogleOAuth } from './support/fakes/google-oauth.ts';
import { startFakeGoogleSheets, type FakeGoogleSheets } from './support/fakes/google-sheets.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';

const V = '/api/v1';
const CLIENT = { clientId: '1234-wirehub.apps.googleusercontent.example', clientSecret: 'GOCSPX-fake-client-secret' };
const BUDGET_ID = '1BudgetXRA5nFMdKvBdBZjgmUUqptlbs74OgvE2up';
const lead = { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', intent: 'request_quote' };

type Workspace = Awaited<ReturnType<typeof newWorkspace>>;

describe('Google Sheets: Sign in with Google', () => {
  let hub: TestHub;
  let sheets: FakeGoogleSheets;
  let google: FakeGoogleOAuth;
  let a: Workspace;
  let b: Workspace;
  /** Everything the hub logs, at debug level, to look for secrets in. */
  const logged: string[] = [];
  const seenCodes: string[] = [];
  const api = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, token: string) => hub.api(method, `${V}${path}`, token);

  /** Starts a sign-in as `who`'s session: the consent URL and the browser's cookie. */
  async function start(who: Workspace) {
    const res = await api('post', '/google/oauth/start', who.token);
    expect(res.status, res.text).toBe(201);
    const cookie = String(res.headers['set-cookie']).split(';')[0];
    expect(cookie).toMatch(/^wirehub_google_oauth=/);
    return { url: new URL(res.body.authorize_url as string), cookie };
  }
  /** Google's redirect back, followed by the browser (with its cookie, or another). */
  const callback = (location: string, cookie?: string) => {
    const back = new URL(location);
    const code = back.searchParams.get('code');
    if (code) seenCodes.push(code);
    const req = hub.api('get', `${back.pathname}${back.search}`);
    return cookie ? req.set('cookie', cookie) : req;
  };
  async function connect(who: Workspace): Promise<{ id: string; refreshToken: string }> {
    const { url, cookie } = await start(who);
    const res = await callback(await google.consent(url.toString()), cookie);
    expect(res.status, res.text).toBe(200);
    const id = /"credential_id":"(cred_[0-9a-z]+)"/.exec(res.text)?.[1];
    expect(id).toBeDefined();
    return { id: id!, refreshToken: google.refreshTokens().at(-1)! };
  }
  const flowGraph = (credentialId: string) => ({
    nodes: [
      { id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } },
      {
        id: 'm1',
        kind: 'map',
        position: { x: 0, y: 100 },
        data: { envelope: 'flat', mappings: ['name', 'email', 'phone'].map((f) => ({ to: f, from: `data.${f}` })) },
      },
      {
        id: 's1',
        kind: 'sheets',
        position: { x: 0, y: 200 },
        data: { spreadsheetId: sheets.spreadsheetId, sheetName: 'Leads', columns: ['name', 'email', 'phone'], credentialId },
      },
    ],
    edges: [
      { id: 't1-m1', source: 't1', target: 'm1' },
      { id: 'm1-s1', source: 'm1', target: 's1' },
    ],
  });
  const publish = async (who: Workspace, data: object) => {
    const res = await api('post', '/publish', who.key).send({ eventType: 'lead.captured', data, customerId: 'cus_1' });
    expect(res.status).toBe(202);
    return res.body.eventId as string;
  };

  beforeAll(async () => {
    sheets = await startFakeGoogleSheets({ title: 'Leads 2026', sheets: ['Leads', 'Archive'] });
    sheets.addSpreadsheet(BUDGET_ID, 'Budget 2027', ['Q1']);
    sheets.setRow(0, ['name', 'email', 'phone'], 'Leads');
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    google = await startFakeGoogleOAuth({ ...CLIENT, redirectUri: `${publicUrl}/api/v1/google/oauth/callback`, sheets });
    hub = await startTestHub(
      {
        port,
        publicUrl,
        retrySchedule: [0, 50, 50],
        vendorUrls: { googleSheets: sheets.url, googleDrive: sheets.url },
        googleOAuth: { ...CLIENT, authUrl: google.authUrl, tokenUrl: google.tokenUrl, revokeUrl: google.revokeUrl },
      },
      {},
      pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => (logged.push(String(chunk)), done()) })),
    );
    a = await newWorkspace(hub);
    b = await newWorkspace(hub);
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([google?.close(), sheets?.close()]);
  });

  it('asks Google for offline access with consent, PKCE (S256) and a state; the code exchange sends the verifier and the client secret', async () => {
    const status = await api('get', '/google/oauth', a.token);
    expect(status.body).toEqual({ enabled: true, redirect_uri: `${hub.deps.config.publicUrl}/api/v1/google/oauth/callback`, message: null });
    const { url, cookie } = await start(a);
    const p = url.searchParams;
    expect(`${url.origin}${url.pathname}`).toBe(google.authUrl);
    expect(p.get('client_id')).toBe(CLIENT.clientId);
    expect(p.get('access_type')).toBe('offline');
    expect(p.get('prompt')).toBe('consent');
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('state')!.length).toBeGreaterThanOrEqual(32);
    expect(p.get('scope')!.split(' ')).toEqual(
      expect.arrayContaining(['https://www.googleapis.com/auth/spreadsheets', 'https://www.googleapis.com/auth/drive.metadata.readonly', 'email']),
    );

    const res = await callback(await google.consent(url.toString()), cookie);
    expect(res.status, res.text).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('Connected jane.marketer@gmail.com');
    const exchange = google.log.find((l) => l.path === '/token' && l.form.grant_type === 'authorization_code')!;
    expect(exchange.form).toMatchObject({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, redirect_uri: status.body.redirect_uri });
    expect(exchange.form.code_verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);

    const list = await api('get', '/credentials?kind=google-oauth', a.token);
    expect(list.body.models).toEqual([
      expect.objectContaining({ kind: 'google-oauth', name: 'jane.marketer@gmail.com', google_account: 'jane.marketer@gmail.com' }),
    ]);
    // Signing in again as the same account replaces its token instead of adding a twin.
    const again = await connect(a);
    expect(again.id).toBe(list.body.models[0].id);
    expect((await api('get', '/credentials?kind=google-oauth', a.token)).body.count).toBe(1);
  });

  it('keeps the refresh token sealed in the database and out of every answer', async () => {
    const { id, refreshToken } = await connect(a);
    const raw = await sql<{ kind: string; hint: string; secret_enc: string }>`SELECT kind, hint, secret_enc FROM credentials WHERE id = ${id}`.execute(
      hub.deps.db,
    );
    expect(raw.rows[0]).toMatchObject({ kind: 'google-oauth', hint: 'jane.marketer@gmail.com' });
    expect(raw.rows[0].secret_enc).toMatch(/^v1\./);
    expect(raw.rows[0].secret_enc).not.toContain(refreshToken);
    expect(raw.rows[0].secret_enc).not.toContain(refreshToken.slice(8, 30));
    expect(hub.deps.box.openJson<{ refresh_token: string }>(raw.rows[0].secret_enc).refresh_token).toBe(refreshToken);
    for (const path of ['/credentials', `/credentials/${id}`]) expect((await api('get', path, a.token)).text).not.toContain(refreshToken);
    // A pasted secret cannot replace it: renewing is signing in again.
    const patch = await api('patch', `/credentials/${id}`, a.token).send({ secret: 'something' });
    expect(patch.status).toBe(422);
    expect(patch.body.error.code).toBe('SECRET_NOT_EDITABLE');
  });

  it('refuses a replayed, tampered, expired or other-browser state, and a session that signed out', async () => {
    // Replay: the state works once.
    const first = await start(a);
    const location = await google.consent(first.url.toString());
    expect((await callback(location, first.cookie)).status).toBe(200);
    const replay = await callback(location, first.cookie);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('already used');

    // Tampered: a state this server never made.
    const second = await start(a);
    const back = new URL(await google.consent(second.url.toString()));
    back.searchParams.set('state', `${back.searchParams.get('state')}x`);
    expect((await callback(back.toString(), second.cookie)).status).toBe(400);

    // Another browser: the right state without the cookie of the browser that started it (login CSRF).
    const third = await start(a);
    const other = await start(a);
    const thirdBack = await google.consent(third.url.toString());
    const stolen = await callback(thirdBack, other.cookie);
    expect(stolen.status).toBe(400);
    expect(stolen.text).toContain('started in another browser');
    expect((await callback(thirdBack, third.cookie)).status).toBe(400); // and it is spent

    // Expired.
    const fourth = await start(a);
    await sql`UPDATE oauth_states SET expires_at = now() - interval '1 second'`.execute(hub.deps.db);
    const late = await callback(await google.consent(fourth.url.toString()), fourth.cookie);
    expect(late.status).toBe(400);
    expect(late.text).toContain('longer than 10 minutes');

    // Signed out meanwhile: the state dies with the session.
    const session = await hub.api('post', `${V}/auth/login`).send({ email: a.email, password: 'correct horse battery' });
    const fifth = await start({ ...a, token: session.body.token });
    expect((await api('post', '/auth/logout', session.body.token)).status).toBeLessThan(300);
    expect((await callback(await google.consent(fifth.url.toString()), fifth.cookie)).status).toBe(400);

    // Denied on the consent page: nothing saved, and the page says so.
    const sixth = await start(b);
    const denied = await callback(await google.consent(sixth.url.toString(), 'deny'), sixth.cookie);
    expect(denied.status).toBe(400);
    expect(denied.text).toContain('not granted');
    expect((await api('get', '/credentials?kind=google-oauth', b.token)).body.count).toBe(0);

    // An API key cannot start one: the state must belong to a browser session.
    expect((await api('post', '/google/oauth/start', a.key)).status).toBe(403);
  });

  it('refuses an account that left the spreadsheets box unticked', async () => {
    google.untickScopes(['https://www.googleapis.com/auth/spreadsheets']);
    try {
      const { url, cookie } = await start(b);
      const res = await callback(await google.consent(url.toString()), cookie);
      expect(res.status).toBe(400);
      expect(res.text).toContain('tick it');
    } finally {
      google.untickScopes([]);
    }
  });

  it("lists the account's spreadsheets, a spreadsheet's tabs and a tab's header row; another team gets 404", async () => {
    const { id } = await connect(a);
    const files = await api('get', `/credentials/${id}/spreadsheets`, a.token);
    expect(files.status, files.text).toBe(200);
    expect(files.body.models.map((f: { name: string }) => f.name)).toEqual(['Budget 2027', 'Leads 2026']);
    const narrowed = await api('get', `/credentials/${id}/spreadsheets?q=${encodeURIComponent("lead's")}`, a.token);
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.count).toBe(0);
    expect((await api('get', `/credentials/${id}/spreadsheets?q=leads`, a.token)).body.models).toEqual([
      expect.objectContaining({ id: sheets.spreadsheetId, name: 'Leads 2026' }),
    ]);
    const tabs = await api('get', `/credentials/${id}/spreadsheets/${sheets.spreadsheetId}`, a.token);
    expect(tabs.body).toEqual({
      id: sheets.spreadsheetId,
      title: 'Leads 2026',
      sheets: [
        { title: 'Leads', index: 0 },
        { title: 'Archive', index: 1 },
      ],
    });
    const header = await api('get', `/credentials/${id}/spreadsheets/${sheets.spreadsheetId}/columns?sheet=Leads`, a.token);
    expect(header.body).toEqual({ sheet: 'Leads', columns: ['name', 'email', 'phone'] });
    expect((await api('get', `/credentials/${id}/spreadsheets/${sheets.spreadsheetId}/columns?sheet=Archive`, a.token)).body.columns).toEqual([]);
    expect((await api('get', `/credentials/${id}/spreadsheets/not-an-id!`, a.token)).status).toBe(400);

    // Team B cannot list through team A's account, nor draw a sheet that writes with it.
    expect((await api('get', `/credentials/${id}/spreadsheets`, b.token)).status).toBe(404);
    expect((await api('get', `/credentials/${id}/spreadsheets/${sheets.spreadsheetId}`, b.token)).status).toBe(404);
    const stolen = await api('post', '/flows', b.token).send({ name: 'Not mine', graph: flowGraph(id) });
    expect(stolen.status).toBe(422);
    expect(stolen.text).toContain('not found in this workspace');
    const dest = await api('post', '/destinations', b.key).send({
      name: 'Not mine',
      type: 'google-sheets',
      config: { credential_id: id, spreadsheetId: sheets.spreadsheetId, columns: ['name'], api_root_url: sheets.url },
    });
    expect(dest.status).toBe(422);
  });

  it('appends rows as the signed-in account, refreshing its token when it expires and when Google answers 401; tokens stay out of answers and attempts', async () => {
    const { id, refreshToken } = await connect(a);
    const flow = await api('post', '/flows', a.token).send({ name: 'Leads to Sheet - Google account', graph: flowGraph(id) });
    expect(flow.status, flow.text).toBe(201);
    const destinationId = flow.body.graph.nodes.find((n: { id: string }) => n.id === 's1').data.destinationId as string;

    await publish(a, lead);
    await waitFor(() => sheets.grid('Leads').length === 2, 10_000, 'the first row');
    expect(sheets.grid('Leads')[1]).toEqual(['Jane Smith', 'jane@example.com', '+15555550123']);
    const appended = sheets.requests.filter((r) => r.path.endsWith(':append'));
    const bearer = appended.at(-1)!.authorization!;
    expect(bearer).toMatch(/^Bearer ya29\.oauth-/);

    // Google ends the access token early: the append answers 401, the client refreshes and sends again, in one attempt.
    const refreshes = google.stats.refreshes;
    google.expireAccessTokens();
    await publish(a, { ...lead, name: 'Second Lead' });
    await waitFor(() => sheets.grid('Leads').length === 3, 10_000, 'the row after a 401');
    expect(google.stats.refreshes).toBe(refreshes + 1);
    const afterExpiry = sheets.requests.filter((r) => r.path.endsWith(':append')).at(-1)!.authorization;
    expect(afterExpiry).not.toBe(bearer);
    const delivered = await waitFor(async () => {
      const list = (await api('get', `/events?destination_id=${destinationId}`, a.key)).body.models as { status: string; attempts: number }[];
      return list.length === 2 && list.every((e) => e.status === 'SUCCESSFUL') && list;
    });
    expect(delivered.map((e) => e.attempts)).toEqual([1, 1]);

    // A token about to expire is refreshed before it is used (no 401 needed).
    google.setAccessTtl(1);
    try {
      google.expireAccessTokens();
      await publish(a, { ...lead, name: 'Third Lead' });
      await waitFor(() => sheets.grid('Leads').length === 4, 10_000, 'the third row');
      const before = google.stats.refreshes;
      const unauthorized = sheets.requests.length;
      await new Promise((r) => setTimeout(r, 1100));
      await publish(a, { ...lead, name: 'Fourth Lead' });
      await waitFor(() => sheets.grid('Leads').length === 5, 10_000, 'the fourth row');
      expect(google.stats.refreshes).toBeGreaterThan(before);
      // Every request since went with a live token: the refresh came first.
      expect(sheets.requests.slice(unauthorized).every((r) => r.authorization && r.authorization !== bearer)).toBe(true);
    } finally {
      google.setAccessTtl(3600);
    }

    // Neither token shows anywhere a user or an owner can read.
    const dest = await api('get', `/destinations/${destinationId}?include=config.auth`, a.token);
    expect(dest.status).toBe(200);
    expect(dest.body.config.oauth).toBe('••••');
    expect(dest.body.config.google_account).toBe('jane.marketer@gmail.com');
    const attempts = await api('get', `/attempts?destination_id=${destinationId}`, a.key);
    expect(attempts.body.models.length).toBeGreaterThanOrEqual(4);
    const shown = [
      dest.text,
      attempts.text,
      (await api('get', `/events?destination_id=${destinationId}`, a.key)).text,
      (await api('get', `/flows/${flow.body.id}`, a.token)).text,
    ].join('\n');
    expect(shown).not.toContain(refreshToken);
    expect(shown).not.toContain(bearer.slice('Bearer '.length));
    expect(shown).not.toContain(CLIENT.clientSecret);

    // The user removes Wirehub's access in their Google account: the next row fails for good, saying to sign in again.
    await fetch(`${google.revokeUrl}?token=${encodeURIComponent(refreshToken)}`, { method: 'POST' });
    await publish(a, { ...lead, name: 'After revoke' });
    const failed = await waitFor(async () => {
      const list = (await api('get', `/events?destination_id=${destinationId}&status=FAILED`, a.key)).body.models as { id: string; attempts: number }[];
      return list[0];
    });
    expect(failed.attempts).toBe(1);
    const attempt = (await api('get', `/attempts?event_id=${failed.id}`, a.key)).body.models[0];
    expect(JSON.stringify(attempt)).toContain('Sign in with Google again');
    expect(JSON.stringify(attempt)).not.toContain(refreshToken);
  });

  it('disconnecting revokes the token at Google and deletes it; an account still used by a flow stays', async () => {
    const { id, refreshToken } = await connect(b);
    const flow = await api('post', '/flows', b.token).send({ name: 'B leads', graph: flowGraph(id) });
    expect(flow.status, flow.text).toBe(201);
    const inUse = await api('delete', `/credentials/${id}`, b.token);
    expect(inUse.status).toBe(409);
    expect(google.isRevoked(refreshToken)).toBe(false);
    expect((await api('delete', `/flows/${flow.body.id}`, b.token)).status).toBeLessThan(300);
    // Team A cannot disconnect team B's account.
    expect((await api('delete', `/credentials/${id}`, a.token)).status).toBe(404);
    const gone = await api('delete', `/credentials/${id}`, b.token);
    expect(gone.status, gone.text).toBe(200);
    expect(gone.body).toEqual({ id, deleted: true, revoked: true });
    expect(google.isRevoked(refreshToken)).toBe(true);
    const row = await sql`SELECT id FROM credentials WHERE id = ${id}`.execute(hub.deps.db);
    expect(row.rows).toHaveLength(0);
  });

  it('never writes a token, the client secret or an authorization code to the log', () => {
    const text = logged.join('');
    expect(text.length).toBeGreaterThan(0);
    const secrets = [...google.refreshTokens(), ...google.accessTokens(), ...seenCodes, CLIENT.clientSecret];
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

describe('Google Sheets: Sign in with Google, not configured', () => {
  let hub: TestHub;
  afterAll(async () => hub?.close());

  it('says what the operator must set', async () => {
    hub = await startTestHub();
    const ws = await newWorkspace(hub);
    const status = await hub.api('get', `${V}/google/oauth`, ws.token);
    expect(status.body.enabled).toBe(false);
    expect(status.body.message).toContain('GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET');
    const start = await hub.api('post', `${V}/google/oauth/start`, ws.token);
    expect(start.status).toBe(409);
    expect(start.body.error.code).toBe('GOOGLE_OAUTH_NOT_CONFIGURED');
    const back = await hub.api('get', `${V}/google/oauth/callback?state=x&code=y`);
    expect(back.status).toBe(409);
  });
});
