import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { operatorFetch } from '../../connectors/shared/guarded-http.ts';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';

/** key id → PEM public key or certificate: the map google-auth-library verifies against. */
export type SigningKeys = Record<string, string>;

/** Without a max-age, keys are reused this long before the next fetch. */
const DEFAULT_FRESH_MS = 60_000;
/**
 * An unknown key id makes us re-read the keys (Google rotates them), but at most this often, so a
 * stream of forged ids cannot turn every sign-in attempt into a request to Google.
 */
const UNKNOWN_KID_REFETCH_MS = 60_000;
const FETCH_TIMEOUT_MS = 5_000;

/**
 * Google's ID-token signing keys, read from a configurable URL and cached for as long as its
 * Cache-Control allows. Both of Google's formats are understood: the PEM map of oauth2/v1/certs
 * (what google-auth-library fetches on Node) and the JWKS of oauth2/v3/certs, converted to PEM.
 */
export class GoogleSigningKeys {
  private keys: SigningKeys = {};
  private freshUntil = 0;
  private fetchedAt = 0;
  private pending: Promise<SigningKeys> | null = null;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  /** The keys to check a token signed with `kid` against; refreshed when stale or when `kid` is new to us. */
  async lookup(kid: string): Promise<SigningKeys> {
    const now = Date.now();
    const stale = now >= this.freshUntil;
    const unknown = !Object.hasOwn(this.keys, kid);
    if (!stale && !(unknown && now - this.fetchedAt >= UNKNOWN_KID_REFETCH_MS)) return this.keys;
    try {
      return await this.refresh();
    } catch (err) {
      // Stale keys still verify tokens Google signed before a short outage of its key endpoint.
      if (Object.keys(this.keys).length === 0) throw err;
      this.log.warn({ err, url: this.url }, 'could not refresh Google signing keys; using the previous ones');
      return this.keys;
    }
  }

  private refresh(): Promise<SigningKeys> {
    // Concurrent sign-ins share one fetch.
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetchKeys(): Promise<SigningKeys> {
    let res: Response;
    try {
      // A redirect is refused (!res.ok below), not followed: the keys come from the configured URL or not at all.
      res = await operatorFetch(this.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
    } catch (err) {
      this.log.warn({ err, url: this.url }, 'fetching Google signing keys failed');
      throw unavailable();
    }
    if (!res.ok) {
      this.log.warn({ status: res.status, url: this.url }, 'fetching Google signing keys failed');
      throw unavailable();
    }
    let keys: SigningKeys;
    try {
      keys = parseKeys(await res.json());
    } catch (err) {
      this.log.warn({ err, url: this.url }, 'Google signing keys are in an unknown format');
      throw unavailable();
    }
    const now = Date.now();
    this.keys = keys;
    this.fetchedAt = now;
    this.freshUntil = now + freshFor(res.headers);
    return keys;
  }
}

const unavailable = () =>
  new AppError(503, 'SERVICE_UNAVAILABLE', "Google's signing keys could not be fetched, so the credential cannot be checked; try again shortly.", undefined, {
    'Retry-After': '5',
  });

/** `max-age` less the `Age` a cache in between already spent; `no-store`/`no-cache` mean every sign-in re-reads. */
export function freshFor(headers: Headers): number {
  const cc = headers.get('cache-control') ?? '';
  if (/\b(no-store|no-cache)\b/i.test(cc)) return 0;
  const maxAge = /\bmax-age=(\d+)/i.exec(cc);
  if (!maxAge) return DEFAULT_FRESH_MS;
  const age = Number(headers.get('age') ?? 0) || 0;
  return Math.max(0, Number(maxAge[1]) - age) * 1000;
}

export function parseKeys(json: unknown): SigningKeys {
  if (!json || typeof json !== 'object') throw new Error('not a JSON object');
  const out: SigningKeys = {};
  const jwks = (json as { keys?: unknown }).keys;
  if (Array.isArray(jwks)) {
    for (const jwk of jwks as (JsonWebKey & { kid?: unknown })[]) {
      if (typeof jwk?.kid !== 'string' || jwk.kty !== 'RSA') continue;
      out[jwk.kid] = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    }
  } else {
    for (const [kid, pem] of Object.entries(json)) {
      if (typeof pem === 'string' && pem.startsWith('-----BEGIN ')) out[kid] = pem;
    }
  }
  if (Object.keys(out).length === 0) throw new Error('no RSA keys in the answer');
  return out;
}
