import { createHash, createPrivateKey } from 'node:crypto';
import { auth, sheets, type GlobalOptions, type sheets_v4 } from '@googleapis/sheets';
import type { Dispatcher } from 'undici';
import { noRedirectFetch } from '../shared/guarded-http.ts';
import { GOOGLE_TOKEN_URL, SHEETS_ROOT_URL, type GoogleSheetsConfig } from './config.ts';

export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';
/** One request; a delivery makes at most four (token, header read, header write, append). */
export const REQUEST_TIMEOUT_MS = 10_000;

type JwtClient = InstanceType<typeof auth.JWT>;
type Adapter = NonNullable<GlobalOptions['adapter']>;

export type SheetsClient = {
  api: sheets_v4.Sheets;
  jwt: JwtClient;
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

function cacheKey(config: GoogleSheetsConfig): string {
  const c = config.credentials;
  return createHash('sha256')
    .update([c.client_email, c.private_key, c.token_uri ?? '', config.api_root_url ?? ''].join('\0'))
    .digest('base64url');
}

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

export function sheetsClient(dispatcher: Dispatcher, config: GoogleSheetsConfig): SheetsClient | { keyError: string } {
  let byKey = clients.get(dispatcher);
  if (!byKey) clients.set(dispatcher, (byKey = new Map()));
  const key = cacheKey(config);
  const cached = byKey.get(key);
  if (cached) {
    // Re-inserting keeps the Map in least-recently-used order for eviction.
    byKey.delete(key);
    byKey.set(key, cached);
    return cached;
  }
  const keyError = keyProblem(config.credentials.private_key);
  if (keyError) return { keyError };
  const tokenUrl = config.credentials.token_uri ?? GOOGLE_TOKEN_URL;
  const rootUrl = config.api_root_url ?? SHEETS_ROOT_URL;
  const jwt = new auth.JWT({
    email: config.credentials.client_email,
    key: config.credentials.private_key,
    keyId: config.credentials.private_key_id,
    scopes: [SHEETS_SCOPE],
    transporterOptions: {
      // The dispatcher refuses private addresses at connect time (DNS rebinding included) and pools
      // sockets with the other deliveries; without redirect 'manual', a 302 from a configured
      // api_root_url or token_uri would take gaxios to any address and hand back what it found there.
      fetchImplementation: noRedirectFetch(dispatcher),
      adapter: tokenUrlAdapter(tokenUrl),
      timeout: REQUEST_TIMEOUT_MS,
      // The hub retries with backoff and records each attempt; hidden retries here would only
      // stretch one attempt past its lease.
      retryConfig: { retry: 0, noResponseRetries: 0 },
    },
  });
  const api = sheets({ version: 'v4', auth: jwt, rootUrl, retry: false, timeout: REQUEST_TIMEOUT_MS });
  const client = { api, jwt, tokenUrl, rootUrl };
  byKey.set(key, client);
  if (byKey.size > MAX_CLIENTS_PER_DISPATCHER) byKey.delete(byKey.keys().next().value as string);
  return client;
}

/** After Google refuses a token, the next attempt must not reuse the client that holds it. */
export function forgetClient(dispatcher: Dispatcher, config: GoogleSheetsConfig): void {
  clients.get(dispatcher)?.delete(cacheKey(config));
}
