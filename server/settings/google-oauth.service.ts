import { auth as googleAuth } from '@googleapis/sheets';
import { SHEETS_SCOPE } from '../../connectors/google-sheets/client.ts';
import type { GoogleOAuthGrant } from '../../connectors/google-sheets/config.ts';
import { operatorFetch } from '../../connectors/shared/guarded-http.ts';
import type { AuthContext } from '../auth/auth.middleware.ts';
import { mayManageSecrets } from '../auth/privileges.ts';
import type { GoogleOAuthConfig } from '../config.ts';
import { randomToken, safeEqual, sha256 } from '../core/crypto.ts';
import { AppError } from '../core/errors.ts';
import type { Deps } from '../deps.ts';
import type { CredentialOut, CredentialsService } from './credentials.service.ts';

/** Where Google sends the browser back; the operator registers PUBLIC_URL + this as the client's redirect URI. */
export const CALLBACK_PATH = '/api/v1/google/oauth/callback';
/** Ties the callback to the browser that started the sign-in (HttpOnly, sent back only to the callback). */
export const BROWSER_COOKIE = 'wirehub_google_oauth';
/** Long enough to pick an account and read the consent screen, short enough that a leaked link is soon useless. */
export const STATE_TTL_MS = 10 * 60_000;

/**
 * Rows are appended with the Sheets scope; the spreadsheets to pick from are listed with Drive's
 * read-only metadata scope (names and ids, never contents); openid and email name the account.
 */
export const DRIVE_METADATA_SCOPE = 'https://www.googleapis.com/auth/drive.metadata.readonly';
export const GOOGLE_SCOPES = ['openid', 'email', SHEETS_SCOPE, DRIVE_METADATA_SCOPE];

export const NOT_CONFIGURED =
  'Sign in with Google is not set up on this server: the operator must create an OAuth client (type "Web application") in Google Cloud and set GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET (see the README, "Google Sheets").';

type OAuth2 = InstanceType<typeof googleAuth.OAuth2>;

/** The operator configured these URLs, so their own hosts may be private (a test double, a proxy); nothing else is. */
const operatorFetchImpl = ((input: string | URL | Request, init?: RequestInit) =>
  operatorFetch(input instanceof Request ? input.url : String(input), init)) as typeof fetch;

/**
 * What went wrong talking to Google, without the request: gaxios errors carry the request's URL and
 * form, and those hold the code, the client secret or the token being revoked.
 */
export function googleFailure(err: unknown): { status: number | null; error: string } {
  const e = err as { response?: { status?: number; data?: unknown }; code?: unknown };
  const data = e?.response?.data as { error?: unknown; error_description?: unknown } | undefined;
  const error =
    typeof data?.error === 'string'
      ? data.error
      : typeof data?.error === 'object' && data.error
        ? String((data.error as { message?: unknown }).message ?? '')
        : '';
  const description = typeof data?.error_description === 'string' ? `: ${data.error_description}` : '';
  if (e?.response) return { status: e.response.status ?? null, error: `${error || 'error'}${description}`.slice(0, 300) };
  return { status: null, error: typeof e?.code === 'string' ? e.code : 'the request did not complete' };
}

export type GoogleOAuthStatus = { enabled: boolean; redirect_uri: string; message: string | null };

export function googleOAuthService(deps: Pick<Deps, 'db' | 'box' | 'config' | 'log'>, credentials: CredentialsService) {
  const config = deps.config.googleOAuth;
  const redirectUri = `${deps.config.publicUrl}${CALLBACK_PATH}`;

  const client = (c: GoogleOAuthConfig): OAuth2 =>
    new googleAuth.OAuth2({
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      redirectUri,
      endpoints: { oauth2AuthBaseUrl: c.authUrl, oauth2TokenUrl: c.tokenUrl, oauth2RevokeUrl: c.revokeUrl },
      transporterOptions: { fetchImplementation: operatorFetchImpl, timeout: 10_000, retryConfig: { retry: 0, noResponseRetries: 0 } },
    });

  const configured = (): GoogleOAuthConfig => {
    if (!config) throw new AppError(409, 'GOOGLE_OAUTH_NOT_CONFIGURED', NOT_CONFIGURED);
    return config;
  };

  /** Refused sign-ins end the same way whatever the reason: start again from the portal. */
  const refused = (code: string, message: string) => new AppError(400, code, message);

  return {
    status(): GoogleOAuthStatus {
      return { enabled: config !== null, redirect_uri: redirectUri, message: config ? null : NOT_CONFIGURED };
    },

    /**
     * Starts "Sign in with Google" for the caller's session and workspace: a single-use state (only
     * its hash is kept), a PKCE verifier (sealed), and a nonce for a cookie in this browser. Answers
     * Google's consent URL and that nonce.
     */
    async start(caller: AuthContext): Promise<{ authorize_url: string; browserNonce: string; expires_at: Date }> {
      const c = configured();
      if (caller.kind !== 'session' || !caller.sessionId || !caller.userId) {
        throw new AppError(403, 'SESSION_REQUIRED', 'Sign in with Google from the portal: it needs a browser session, not an API key.');
      }
      const state = randomToken(32);
      const browserNonce = randomToken(32);
      const oauth = client(c);
      const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
      const expiresAt = new Date(Date.now() + STATE_TTL_MS);
      await deps.db
        .insertInto('oauth_states')
        .values({
          state_hash: sha256(state),
          session_id: caller.sessionId,
          workspace_id: caller.workspaceId,
          user_id: caller.userId,
          browser_hash: sha256(browserNonce),
          code_verifier_enc: deps.box.seal(codeVerifier),
          expires_at: expiresAt,
        })
        .execute();
      const authorizeUrl = oauth.generateAuthUrl({
        // offline + consent: Google sends a refresh token every time, so the hub can write rows later without the user.
        access_type: 'offline',
        prompt: 'consent',
        include_granted_scopes: true,
        scope: GOOGLE_SCOPES,
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256' as NonNullable<Parameters<OAuth2['generateAuthUrl']>[0]>['code_challenge_method'],
      });
      return { authorize_url: authorizeUrl, browserNonce, expires_at: expiresAt };
    },

    /**
     * Google sent the browser back. The state is taken (deleted) before anything else, so it works
     * once; it must come back in the browser that started (the cookie) while the session that
     * started is still signed in and may still save credentials. Then the code is exchanged, with
     * the PKCE verifier, and the account's refresh token saved sealed as a workspace credential.
     */
    async finish(input: { state?: string; code?: string; error?: string }, browserNonce: string | undefined): Promise<CredentialOut> {
      const c = configured();
      if (!input.state)
        throw refused('OAUTH_STATE_MISSING', 'Google sent the browser back without the sign-in’s state; start again from the Google Sheet step.');
      const row = await deps.db.deleteFrom('oauth_states').where('state_hash', '=', sha256(input.state)).returningAll().executeTakeFirst();
      if (!row)
        throw refused('OAUTH_STATE_INVALID', 'This sign-in link was already used or is not one this server started; start again from the Google Sheet step.');
      if (row.expires_at.getTime() <= Date.now())
        throw refused('OAUTH_STATE_EXPIRED', 'This sign-in took longer than 10 minutes; start again from the Google Sheet step.');
      if (!browserNonce || !safeEqual(sha256(browserNonce), row.browser_hash)) {
        throw refused(
          'OAUTH_STATE_MISMATCH',
          'This sign-in was started in another browser (or its cookie was lost); start again from the Google Sheet step in this browser.',
        );
      }
      const member = await deps.db
        .selectFrom('sessions')
        .innerJoin('memberships', (j) => j.onRef('memberships.user_id', '=', 'sessions.user_id').on('memberships.workspace_id', '=', row.workspace_id))
        .select(['memberships.role', 'sessions.expires_at'])
        .where('sessions.id', '=', row.session_id)
        .where('sessions.user_id', '=', row.user_id)
        .executeTakeFirst();
      if (!member || member.expires_at.getTime() <= Date.now())
        throw new AppError(401, 'UNAUTHORIZED', 'You were signed out of Wirehub meanwhile; sign in and start again.');
      const auth: AuthContext = {
        kind: 'session',
        userId: row.user_id,
        sessionId: row.session_id,
        sessionExpiresAt: member.expires_at,
        apiKeyId: null,
        actsFor: row.user_id,
        workspaceId: row.workspace_id,
        role: member.role,
        scopes: ['read', 'write'],
      };
      if (!mayManageSecrets(auth)) throw new AppError(403, 'FORBIDDEN', 'Only owners and admins can connect a Google account to the team.');
      if (input.error) {
        throw refused(
          'GOOGLE_DENIED',
          input.error === 'access_denied'
            ? 'Google access was not granted (you chose Cancel or Deny), so nothing was connected.'
            : `Google did not grant access (${input.error.slice(0, 100)}).`,
        );
      }
      if (!input.code) throw refused('OAUTH_CODE_MISSING', 'Google sent the browser back without an authorization code; start again.');

      let tokens: { refresh_token?: string | null; id_token?: string | null; scope?: string | null };
      try {
        ({ tokens } = await client(c).getToken({ code: input.code, codeVerifier: deps.box.open(row.code_verifier_enc), redirect_uri: redirectUri }));
      } catch (err) {
        const f = googleFailure(err);
        deps.log.warn({ status: f.status, error: f.error }, 'Google refused the authorization code');
        throw new AppError(
          502,
          'GOOGLE_REFUSED',
          `Google refused to complete the sign-in (${f.error}); start again. If it keeps failing, the operator should check GOOGLE_OAUTH_CLIENT_SECRET and that ${redirectUri} is an authorized redirect URI.`,
        );
      }
      const granted = (tokens.scope ?? '').split(/\s+/);
      if (!granted.includes(SHEETS_SCOPE)) {
        throw refused(
          'GOOGLE_SCOPE_MISSING',
          'Google did not grant access to your spreadsheets (the box “See, edit, create and delete your Google Sheets spreadsheets” was left unticked); sign in again and tick it.',
        );
      }
      if (!tokens.refresh_token)
        throw new AppError(502, 'GOOGLE_NO_REFRESH_TOKEN', 'Google sent no refresh token, so rows could only be written for an hour; start again.');
      const email = emailOf(tokens.id_token);
      if (!email) throw new AppError(502, 'GOOGLE_NO_EMAIL', 'Google did not say which account signed in (no e-mail in the ID token); start again.');
      const grant: GoogleOAuthGrant = { refresh_token: tokens.refresh_token, email, scope: granted.join(' ') };
      return credentials.saveGoogleAccount(row.workspace_id, grant);
    },

    /** Disconnecting: the token is revoked at Google too, so a copy of it anywhere is worthless. Best effort. */
    async revoke(grant: GoogleOAuthGrant): Promise<boolean> {
      if (!config) return false;
      try {
        await client(config).revokeToken(grant.refresh_token);
        return true;
      } catch (err) {
        const f = googleFailure(err);
        // invalid_token: Google had already forgotten it (revoked in the Google account's settings).
        if (f.status === 400 && /invalid_token/.test(f.error)) return true;
        deps.log.warn({ status: f.status, error: f.error }, 'revoking a Google account at Google failed; it was deleted here');
        return false;
      }
    },
  };
}

/**
 * The account's address from the ID token of the code exchange. It came straight from the token
 * endpoint over TLS, so its signature need not be checked (OpenID Connect Core 3.1.3.7).
 */
function emailOf(idToken: string | null | undefined): string | null {
  const payload = idToken?.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { email?: unknown };
    return typeof claims.email === 'string' && claims.email.length <= 320 ? claims.email.toLowerCase() : null;
  } catch {
    return null;
  }
}
