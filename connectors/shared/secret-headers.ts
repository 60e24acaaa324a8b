/**
 * Which header values are credentials, and how they are kept in logs (attempts, requests,
 * transformation executions, the Mock API's recordings). Verification and delivery use the real
 * values; only what is stored is masked, so a log read by every member of a team (or leaked with a
 * backup) hands nobody a key. Signatures are not masked: an HMAC reveals nothing of its secret and a
 * receiver needs it to check a replay. `x-wirehub-signature` is the exception, because in
 * `shared-secret` mode it is the secret itself.
 */
const ALWAYS_SECRET = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-wirehub-signature']);

export const REDACTED = '[redacted]';

export function isSecretHeader(name: string, secretHeaders: ReadonlySet<string> = new Set()): boolean {
  const l = name.toLowerCase();
  return (
    secretHeaders.has(l) ||
    ALWAYS_SECRET.has(l) ||
    l.includes('api-key') ||
    l.includes('apikey') ||
    l.includes('token') ||
    l.includes('secret') ||
    l.includes('password')
  );
}

/** A query string's credentials (`?token=…`, `?api_key=…`, `?secret=…`, as some senders sign their calls), masked by the same name rule. */
export function maskQuery(query: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(query)) {
    if (!isSecretHeader(k.replaceAll('_', '-'))) continue;
    out ??= { ...query };
    out[k] = REDACTED;
  }
  return out ?? query;
}

/** A copy for storage: every credential's value replaced by `[redacted]`; names (and so their presence) are kept. */
export function maskHeaders(headers: Record<string, string>, secretHeaders: readonly string[] = []): Record<string, string> {
  const secret = new Set(secretHeaders.map((h) => h.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = isSecretHeader(k, secret) ? REDACTED : v;
  return out;
}
