import { createHmac } from 'node:crypto';
import { httpCall } from '../shared/http-call.ts';
import type { ConnectionTest, Connector, DeliveryContext, OutboundMessage } from '../types.ts';
import { HttpConfigSchema, type HttpConfig } from './config.ts';
import { resolveSignature, sendsSecret, signatureOf, type Signature, type SignatureFormat } from './signature.ts';

export const httpConnector: Connector<typeof HttpConfigSchema> = {
  id: 'http-webhook',
  displayName: 'HTTPS webhook',
  configSchema: HttpConfigSchema,
  secretFields: ['auth', 'headers', 'secret'],
  targetUrls: (config) => [{ path: 'url', url: config.url }],
  sentCredentials: (config) => [
    ...(config.auth.type !== 'none' ? [{ field: 'auth', what: `the ${config.auth.type} auth` }] : []),
    ...(Object.keys(config.headers).length ? [{ field: 'headers', what: `the custom headers (${Object.keys(config.headers).join(', ')})` }] : []),
    // In shared-secret mode the secret itself is the header; without one of its own, the workspace's goes.
    ...(sendsSecret(signatureOf(config))
      ? [
          {
            field: 'secret',
            what: config.secret ? 'the signing secret (sent as-is in shared-secret mode)' : "the workspace's signing secret (sent as-is in shared-secret mode)",
          },
        ]
      : []),
  ],
  deliver: (ctx, config, message) => {
    const headers = { ...message.forward?.headers, ...webhookHeaders(ctx, config, message) };
    const url = forwardedUrl(config.url, message.forward);
    // The custom headers are stored encrypted as secrets: the attempt's log must not show them either.
    return httpCall(ctx, {
      method: config.http_method,
      url,
      headers,
      body: message.body,
      timeoutMs: config.timeout_ms,
      secretHeaders: [...secretHeaderNames(config.auth), ...Object.keys(config.headers), ...secretSignatureHeader(signatureOf(config))],
    });
  },
  testConnection: (ctx, config) => probe(ctx, config),
};

/** A transformation's path is appended to the destination's path and its query parameters set on the URL, as Hookdeck does. */
export function forwardedUrl(base: string, forward: OutboundMessage['forward']): string {
  if (!forward?.path && !forward?.query) return base;
  const url = new URL(base);
  if (forward.path && forward.path !== '/') url.pathname = url.pathname.replace(/\/+$/, '') + forward.path;
  for (const [k, v] of Object.entries(forward.query ?? {})) {
    url.searchParams.delete(k);
    for (const one of Array.isArray(v) ? v : [v]) {
      if (one !== undefined && one !== null) url.searchParams.append(k, typeof one === 'object' ? JSON.stringify(one) : String(one));
    }
  }
  return url.toString();
}

/** Standard Webhooks keys are the base64 part after `whsec_`; other secrets are used as their bytes. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * The signature and event headers of one delivery, as the webhook's signature says (signature.ts).
 * Standard Webhooks, the default, is what every webhook sent before presets existed: its three
 * headers and the GitHub-style X-Wirehub-Signature-256 beside them. Names go out in lower case, as
 * every other header here (HTTP names are case-insensitive).
 */
export function signatureHeaders(
  message: OutboundMessage,
  signature: Signature = { preset: 'standard-webhooks' },
  secret = message.signingSecret,
): Record<string, string> {
  const ids = { 'webhook-id': message.eventId, 'webhook-timestamp': String(message.timestamp) };
  const r = resolveSignature(signature);
  const event = r.eventHeader && message.eventType ? { [r.eventHeader.toLowerCase()]: message.eventType } : {};
  if (r.scheme === 'none') return { ...ids, ...event };
  if (r.scheme === 'header') return { ...ids, ...event, [r.header.toLowerCase()]: signatureValue(r.format, message.body, secret) };
  const sw = createHmac('sha256', signingKey(secret)).update(`${message.eventId}.${message.timestamp}.`).update(message.body).digest('base64');
  return { ...ids, ...event, 'webhook-signature': `v1,${sw}`, 'x-wirehub-signature-256': `sha256=${hmac(secret, message.body, 'hex')}` };
}

const hmac = (secret: string, body: Buffer, encoding: 'hex' | 'base64') => createHmac('sha256', secret).update(body).digest(encoding);

function signatureValue(format: SignatureFormat, body: Buffer, secret: string): string {
  switch (format) {
    case 'hex':
      return hmac(secret, body, 'hex');
    case 'sha256=hex':
      return `sha256=${hmac(secret, body, 'hex')}`;
    case 'base64':
      return hmac(secret, body, 'base64');
    case 'secret':
      return secret;
  }
}

/** A header that carries the secret itself is named by the user, so redact() must be told it, as for Authorization. */
export function secretSignatureHeader(signature: Signature): string[] {
  const r = resolveSignature(signature);
  return r.scheme === 'header' && r.format === 'secret' ? [r.header.toLowerCase()] : [];
}

export function authHeaders(auth: HttpConfig['auth']): Record<string, string> {
  switch (auth.type) {
    case 'none':
      return {};
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
    case 'api_key':
      return { [auth.header_key.toLowerCase()]: auth.api_key };
    case 'custom':
      return { authorization: auth.value };
  }
}

/** The header an api_key auth puts its key in is named by the user, so redact() cannot know it by name. */
export function secretHeaderNames(auth: HttpConfig['auth']): string[] {
  return auth.type === 'api_key' ? [auth.header_key.toLowerCase()] : [];
}

/** Every header a webhook carries but the transport's own; the MOCK_API receiver records the same. */
export function webhookHeaders(
  ctx: DeliveryContext,
  config: Pick<HttpConfig, 'headers' | 'auth' | 'signing' | 'signature' | 'secret'>,
  message: OutboundMessage,
): Record<string, string> {
  return {
    ...Object.fromEntries(Object.entries(config.headers).map(([k, v]) => [k.toLowerCase(), v])),
    'user-agent': ctx.userAgent,
    ...(message.contentType ? { 'content-type': message.contentType } : {}),
    ...(message.eventType ? { 'x-wirehub-event': message.eventType } : {}),
    ...authHeaders(config.auth),
    ...signatureHeaders(message, signatureOf(config), config.secret ?? message.signingSecret),
  };
}

/** Reachability without side effects: a HEAD the receiver may well refuse (405, 404), which still proves it answers. */
async function probe(ctx: DeliveryContext, config: HttpConfig): Promise<ConnectionTest> {
  const r = await httpCall(ctx, {
    method: 'HEAD',
    url: config.url,
    headers: { 'user-agent': ctx.userAgent, ...authHeaders(config.auth) },
    timeoutMs: config.timeout_ms,
    secretHeaders: secretHeaderNames(config.auth),
  });
  const host = new URL(config.url).host;
  const status = r.status;
  // We sent the configured credentials: a 401/403 says they are refused, which the owner must fix.
  if (status === 401 || status === 403) {
    return {
      ok: false,
      message: `${host} refused the request (${status}): check the destination's auth settings against what the receiver expects.`,
      warnings: [],
      details: { status },
    };
  }
  if (status !== undefined && status < 500)
    return { ok: true, message: `${host} answered ${status} in ${r.durationMs} ms.`, warnings: [], details: { status } };
  return { ok: false, message: `${host} could not be reached: ${r.ok ? status : r.error}.`, warnings: [], details: { status: status ?? null } };
}
