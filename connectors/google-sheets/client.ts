import { createHash, createPrivateKey } from 'node:crypto';
import { auth, sheets, type GlobalOptions, type sheets_v4 } from '@googleapis/sheets';
import type { Dispatcher } from 'undici';
import { noRedirectFetch } from '../shared/guarded-http.ts';
import type { DeliveryContext } from '../types.ts';
import { GOOGLE_TOKEN_URL, SHEETS_ROOT_URL, type GoogleOAuthGrant, type GoogleSheetsConfig } from './config.ts';

export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';
/** One request; a delivery makes at most four (token, header read, header write, append). */
export const REQUEST_TIMEOUT_MS = 10_000;

type JwtClient = InstanceType<typeof auth.JWT>;
export type OAuthClient = InstanceType<typeof auth.OAuth2>;
type Adapter = NonNullable<GlobalOptions['adapter']>;

export type SheetsClient = {
  api: sheets_v4.Sheets;
  /** Signs requests: a service account's JWT client, or a signed-in account's OAuth2 client. */
  auth: JwtClient | OAuthClient;
  /** Where the token request really goes (the key's token_uri). */
  tokenUrl: string;
  rootUrl: string;
};

/**
 * gtoken (under google-auth-library's JWT client) always posts the assertion to Google's own token
 * URL and ignores the key's `token_uri`. The transporter's adapter hook is the library's supported
 * place to change where a request goes, so the key's token_uri is honoured there.
 */
function tokenUrlAdapter(tokenUrl: string): Adapter {
  return (options, defaultAdapter) =>
    tokenUrl !== GOOGLE_TOKEN_URL && options.url.href === GOOGLE_TOKEN_URL ? defaultAdapter({ ...options, url: new URL(tokenUrl) }) : defaultAdapter(options);
}

/** Access tokens live an hour: one client (and its token) per key, not one per delivery. */
const clients = new WeakMap<Dispatcher, Map<string, SheetsClient>>();
const MAX_CLIENTS_PER_DISPATCHER = 500;

function cacheKey(ctx: Pick<DeliveryContext, 'googleOAuth'>, config: GoogleSheetsConfig): string {
  const c = config.credentials;
  const o = ctx.googleOAuth;
  const parts = c
    ? [c.client_email, c.private_key, c.token_uri ?? '']
    : ['oauth', config.oauth?.refresh_token ?? '', o?.clientId ?? '', o?.clientSecret ?? '', o?.tokenUrl ?? ''];
  return createHash('sha256')
    .update([...parts, config.api_root_url ?? ''].join('\0'))
    .digest('base64url');
}

/** What both kinds of client share: no redirects, the delivery's timeout, no hidden retries. */
function transporterOptions(dispatcher: Dispatcher, tokenUrl: string) {
  return {
    // The dispatcher refuses private addresses at connect time (DNS rebinding included) and pools
    // sockets with the other deliveries; without redirect 'manual', a 302 from a configured
    // api_root_url or token_uri would take gaxios to any address and hand back what it found there.
    fetchImplementation: noRedirectFetch(dispatcher),
    adapter: tokenUrlAdapter(tokenUrl),
    timeout: REQUEST_TIMEOUT_MS,
    // The hub retries with backoff and records each attempt; hidden retries here would only
    // stretch one attempt past its lease.
    retryConfig: { retry: 0, noResponseRetries: 0 },
  };
}

/**
 * An OAuth2 client holding a signed-in account's refresh token: it buys an access token when it
 * has none or the one it has is about to expire, and once more when Google answers 401 anyway
 * (forceRefreshOnFailure: a token revoked or expired early). Also used to list the account's files.
 */
export function oauthClient(
  dispatcher: Dispatcher,
  client: NonNullable<DeliveryContext['googleOAuth']>,
  grant: Pick<GoogleOAuthGrant, 'refresh_token'>,
): OAuthClient {
  const oauth = new auth.OAuth2({
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    endpoints: { oauth2TokenUrl: client.tokenUrl },
    forceRefreshOnFailure: true,
    transporterOptions: transporterOptions(dispatcher, client.tokenUrl),
  });
  oauth.setCredentials({ refresh_token: grant.refresh_token });
  return oauth;
}

/** Why a signed-in account cannot be used here: the operator has not configured the OAuth client. */
export const NO_OAUTH_CLIENT =
  'This destination writes as a Google account signed in with Google, but this server has no OAuth client for that any more (GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET are not set). Ask the operator to set them, or use a service account key.';

/**
 * The library only finds out that a key is unusable deep inside token signing, with an OpenSSL
 * message; checking it here lets the connector say which key is wrong.
 */
function keyProblem(pem: string): string | null {
  try {
    createPrivateKey(pem);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export function sheetsClient(ctx: Pick<DeliveryContext, 'dispatcher' | 'googleOAuth'>, config: GoogleSheetsConfig): SheetsClient | { unusable: string } {
  const { dispatcher } = ctx;
  let byKey = clients.get(dispatcher);
  if (!byKey) clients.set(dispatcher, (byKey = new Map()));
  const key = cacheKey(ctx, config);
  const cached = byKey.get(key);
  if (cached) {
    // Re-inserting keeps the Map in least-recently-used order for eviction.
    byKey.delete(key);
    byKey.set(key, cached);
    return cached;
  }
  const rootUrl = config.api_root_url ?? SHEETS_ROOT_URL;
  let client: SheetsClient;
  if (config.credentials) {
    const keyError = keyProblem(config.credentials.private_key);
    if (keyError)
      return {
        unusable: `The private key of ${config.credentials.client_email} cannot be used (${keyError}). Paste the service account's JSON key file again.`,
      };
    const tokenUrl = config.credentials.token_uri ?? GOOGLE_TOKEN_URL;
    const jwt = new auth.JWT({
      email: config.credentials.client_email,
      key: config.credentials.private_key,
      keyId: config.credentials.private_key_id,
      scopes: [SHEETS_SCOPE],
      transporterOptions: transporterOptions(dispatcher, tokenUrl),
    });
    client = { api: sheets({ version: 'v4', auth: jwt, rootUrl, retry: false, timeout: REQUEST_TIMEOUT_MS }), auth: jwt, tokenUrl, rootUrl };
  } else if (config.oauth) {
    if (!ctx.googleOAuth) return { unusable: NO_OAUTH_CLIENT };
    const oauth = oauthClient(dispatcher, ctx.googleOAuth, config.oauth);
    client = {
      api: sheets({ version: 'v4', auth: oauth, rootUrl, retry: false, timeout: REQUEST_TIMEOUT_MS }),
      auth: oauth,
      tokenUrl: ctx.googleOAuth.tokenUrl,
      rootUrl,
    };
  } else {
    return { unusable: 'The destination has neither a service account key nor a Google sign-in.' };
  }
  byKey.set(key, client);
  if (byKey.size > MAX_CLIENTS_PER_DISPATCHER) byKey.delete(byKey.keys().next().value as string);
  return client;
}

/** After Google refuses a token, the next attempt must not reuse the client that holds it. */
export function forgetClient(ctx: Pick<DeliveryContext, 'dispatcher' | 'googleOAuth'>, config: GoogleSheetsConfig): void {
  clients.get(ctx.dispatcher)?.delete(cacheKey(ctx, config));
}
