import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { FakeGoogleSheets } from './google-sheets.ts';

/**
 * A local stand-in for Google's OAuth 2.0 server (accounts.google.com and oauth2.googleapis.com):
 * the consent page (one "Allow" link that sends the browser back with a code, or "Cancel"), the
 * token endpoint (authorization_code with PKCE S256 and refresh_token grants, the client secret
 * checked on both) and revocation. Access tokens it issues are handed to the fake Sheets server,
 * so the real connector's requests are checked there as Google would.
 */

export type FakeGoogleOAuth = Awaited<ReturnType<typeof startFakeGoogleOAuth>>;

type Pending = { clientId: string; redirectUri: string; scope: string; state: string; challenge: string | null; method: string | null; account: string };
type Code = Pending & { expiresAt: number; used: boolean };
type Refresh = { clientId: string; account: string; scopes: string[]; revoked: boolean };
type Answer = { status: number; body: unknown; headers?: Record<string, string> };

export async function startFakeGoogleOAuth(opts: { clientId: string; clientSecret: string; redirectUri: string; sheets: FakeGoogleSheets; account?: string }) {
  const pendings = new Map<string, Pending>();
  const codes = new Map<string, Code>();
  const refreshTokens = new Map<string, Refresh>();
  /** access token → refresh token it came from, so revoking the grant forgets its access tokens too. */
  const accessTokens = new Map<string, string>();
  const log: { path: string; form: Record<string, string> }[] = [];
  let account = opts.account ?? 'jane.marketer@gmail.com';
  let accessTtlSeconds = 3600;
  /** Scopes the user leaves unticked on the consent page (Google's granular consent). */
  let untick: string[] = [];
  const stats = { codeExchanges: 0, refreshes: 0, revocations: 0 };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString('utf8');
      const form = Object.fromEntries(new URLSearchParams(raw)) as Record<string, string>;
      log.push({ path: url.pathname, form });
      let answer: Answer;
      if (url.pathname === '/o/oauth2/v2/auth') answer = authorize(url);
      else if (url.pathname === '/consent') answer = consent(url);
      else if (url.pathname === '/token' && req.method === 'POST') answer = token(form, req.headers.authorization);
      else if (url.pathname === '/revoke' && req.method === 'POST') answer = revoke(url.searchParams.get('token') ?? form.token ?? '');
      else answer = { status: 404, body: { error: 'not_found' } };
      const isHtml = typeof answer.body === 'string';
      res.writeHead(answer.status, { 'content-type': isHtml ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8', ...answer.headers });
      res.end(isHtml ? answer.body : JSON.stringify(answer.body));
    });
  });

  const html = (status: number, body: string): Answer => ({
    status,
    body: `<!doctype html><html><head><title>Sign in - Google Accounts</title></head><body>${body}</body></html>`,
  });

  /** Google shows an error page (no redirect) for an unknown client or a redirect URI not registered. */
  function authorize(url: URL): Answer {
    const p = url.searchParams;
    if (p.get('client_id') !== opts.clientId) return html(401, '<h1>Error 401: invalid_client</h1><p>The OAuth client was not found.</p>');
    if (p.get('redirect_uri') !== opts.redirectUri) return html(400, '<h1>Error 400: redirect_uri_mismatch</h1>');
    if (p.get('response_type') !== 'code') return html(400, '<h1>Error 400: unsupported_response_type</h1>');
    const txn = randomBytes(12).toString('base64url');
    pendings.set(txn, {
      clientId: opts.clientId,
      redirectUri: opts.redirectUri,
      scope: p.get('scope') ?? '',
      state: p.get('state') ?? '',
      challenge: p.get('code_challenge'),
      method: p.get('code_challenge_method'),
      account,
    });
    const scopes = (p.get('scope') ?? '').split(' ').filter(Boolean);
    return html(
      200,
      `<h1>Wirehub wants to access your Google Account</h1><p data-testid="consent-account">${account}</p>` +
        `<ul>${scopes.map((s) => `<li>${s}</li>`).join('')}</ul>` +
        `<p>access_type=${p.get('access_type')} prompt=${p.get('prompt')}</p>` +
        `<a id="cancel" href="/consent?txn=${txn}&decision=deny">Cancel</a> <a id="allow" href="/consent?txn=${txn}&decision=allow">Allow</a>`,
    );
  }

  function consent(url: URL): Answer {
    const pending = pendings.get(url.searchParams.get('txn') ?? '');
    if (!pending) return html(400, '<h1>This page has expired</h1>');
    pendings.delete(url.searchParams.get('txn') ?? '');
    const back = new URL(pending.redirectUri);
    if (url.searchParams.get('decision') !== 'allow') {
      back.searchParams.set('error', 'access_denied');
    } else {
      const code = `4/0fake-${randomBytes(16).toString('base64url')}`;
      codes.set(code, { ...pending, expiresAt: Date.now() + 60_000, used: false });
      back.searchParams.set('code', code);
      back.searchParams.set('scope', pending.scope);
    }
    back.searchParams.set('state', pending.state);
    return { status: 302, body: '', headers: { location: back.toString() } };
  }

  function clientOk(form: Record<string, string>, authorization: string | undefined): boolean {
    const basic = /^Basic (.+)$/.exec(authorization ?? '')?.[1];
    const [id, secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [form.client_id, form.client_secret];
    return id === opts.clientId && secret === opts.clientSecret;
  }

  function issueAccess(refreshToken: string, scopes: string[]): string {
    const accessToken = `ya29.oauth-${randomBytes(12).toString('base64url')}`;
    accessTokens.set(accessToken, refreshToken);
    opts.sheets.acceptToken(accessToken, Date.now() + accessTtlSeconds * 1000, scopes);
    return accessToken;
  }

  function idToken(email: string): string {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const sub = createHash('sha256').update(email).digest('hex').slice(0, 21);
    return `${part({ alg: 'RS256', kid: 'fake', typ: 'JWT' })}.${part({ iss: 'https://accounts.google.com', aud: opts.clientId, sub, email, email_verified: true, iat: now, exp: now + 3600 })}.${randomBytes(32).toString('base64url')}`;
  }

  const bad = (error: string, description: string, status = 400): Answer => ({ status, body: { error, error_description: description } });

  function token(form: Record<string, string>, authorization: string | undefined): Answer {
    if (!clientOk(form, authorization)) return bad('invalid_client', 'Unauthorized', 401);
    if (form.grant_type === 'authorization_code') {
      stats.codeExchanges++;
      const code = codes.get(form.code ?? '');
      if (!code || code.used || code.expiresAt < Date.now()) return bad('invalid_grant', 'Malformed auth code.');
      code.used = true;
      if (form.redirect_uri !== code.redirectUri) return bad('redirect_uri_mismatch', 'Bad Request');
      if (code.challenge) {
        const verifier = form.code_verifier ?? '';
        const computed = code.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
        if (!verifier || computed !== code.challenge) return bad('invalid_grant', 'Invalid code verifier.');
      }
      const scopes = code.scope.split(' ').filter((s) => s && !untick.includes(s));
      const refreshToken = `1//fake-${randomBytes(24).toString('base64url')}`;
      refreshTokens.set(refreshToken, { clientId: code.clientId, account: code.account, scopes, revoked: false });
      return {
        status: 200,
        body: {
          access_token: issueAccess(refreshToken, scopes),
          expires_in: accessTtlSeconds,
          refresh_token: refreshToken,
          scope: scopes.join(' '),
          token_type: 'Bearer',
          id_token: idToken(code.account),
        },
      };
    }
    if (form.grant_type === 'refresh_token') {
      stats.refreshes++;
      const grant = refreshTokens.get(form.refresh_token ?? '');
      if (!grant || grant.revoked) return bad('invalid_grant', 'Token has been expired or revoked.');
      return {
        status: 200,
        body: {
          access_token: issueAccess(form.refresh_token, grant.scopes),
          expires_in: accessTtlSeconds,
          scope: grant.scopes.join(' '),
          token_type: 'Bearer',
        },
      };
    }
    return bad('unsupported_grant_type', `Invalid grant_type: ${form.grant_type ?? ''}`);
  }

  function revoke(tokenText: string): Answer {
    stats.revocations++;
    const refresh = refreshTokens.get(tokenText);
    const fromAccess = accessTokens.get(tokenText);
    const grantToken = refresh ? tokenText : fromAccess;
    if (!grantToken) return bad('invalid_token', 'Token expired or revoked');
    refreshTokens.get(grantToken)!.revoked = true;
    for (const [access, from] of accessTokens) if (from === grantToken) opts.sheets.forgetToken(access);
    return { status: 200, body: {} };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  return {
    authUrl: `${origin}/o/oauth2/v2/auth`,
    tokenUrl: `${origin}/token`,
    revokeUrl: `${origin}/revoke`,
    stats,
    log,
    /** What a user does on the consent page: answers where Google sends the browser back (the callback URL with code and state). */
    async consent(authorizeUrl: string, decision: 'allow' | 'deny' = 'allow'): Promise<string> {
      const page = await fetch(authorizeUrl);
      const text = await page.text();
      const href = new RegExp(`id="${decision === 'allow' ? 'allow' : 'cancel'}" href="([^"]+)"`).exec(text)?.[1];
      if (!href) throw new Error(`no consent page (${page.status}): ${text.slice(0, 200)}`);
      const back = await fetch(new URL(href.replace(/&amp;/g, '&'), origin), { redirect: 'manual' });
      const location = back.headers.get('location');
      if (!location) throw new Error(`the consent did not redirect (${back.status})`);
      return location;
    },
    setAccount(email: string) {
      account = email;
    },
    setAccessTtl(seconds: number) {
      accessTtlSeconds = seconds;
    },
    untickScopes(scopes: string[]) {
      untick = scopes;
    },
    /** Google ends every access token early (the refresh tokens still work): the next API call answers 401. */
    expireAccessTokens() {
      for (const access of accessTokens.keys()) opts.sheets.forgetToken(access);
    },
    isRevoked: (refreshToken: string) => refreshTokens.get(refreshToken)?.revoked ?? null,
    refreshTokens: () => [...refreshTokens.keys()],
    accessTokens: () => [...accessTokens.keys()],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
