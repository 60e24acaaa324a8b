import { request } from 'undici';
import { createHmac } from 'node:crypto';
import type { Connector, DeliveryContext, DeliveryResult, ErrorCode, OutboundMessage } from '../types.ts';
import { isForbiddenHost } from './address.ts';
import { HttpConfigSchema, type HttpConfig } from './config.ts';

export const MAX_STORED_RESPONSE_BYTES = 64 * 1024;

export const httpConnector: Connector<typeof HttpConfigSchema> = {
  id: 'HTTP',
  displayName: 'HTTPS webhook',
  configSchema: HttpConfigSchema,
  secretFields: ['auth'],
  deliver: deliverHttp,
};

/** Standard Webhooks keys are the base64 part after `whsec_`; other secrets are used as their bytes. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

export function signatureHeaders(message: OutboundMessage): Record<string, string> {
  const sw = createHmac('sha256', signingKey(message.signingSecret))
    .update(`${message.eventId}.${message.timestamp}.`)
    .update(message.body)
    .digest('base64');
  const gh = createHmac('sha256', message.signingSecret).update(message.body).digest('hex');
  return {
    'webhook-id': message.eventId,
    'webhook-timestamp': String(message.timestamp),
    'webhook-signature': `v1,${sw}`,
    'x-wirehub-signature-256': `sha256=${gh}`,
  };
}

function authHeaders(auth: HttpConfig['auth']): Record<string, string> {
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

async function deliverHttp(ctx: DeliveryContext, config: HttpConfig, message: OutboundMessage): Promise<DeliveryResult> {
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(config.headers).map(([k, v]) => [k.toLowerCase(), v])),
    'user-agent': ctx.userAgent,
    ...(message.contentType ? { 'content-type': message.contentType } : {}),
    ...authHeaders(config.auth),
    ...signatureHeaders(message),
  };
  const req = { method: config.http_method, url: config.url, headers: redact(headers) };
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const host = new URL(config.url).hostname;
  // Sockets to IP literals skip DNS, so the dispatcher's lookup guard never sees them.
  if (!ctx.allowPrivateDestinations && isForbiddenHost(host)) {
    return fail(req, elapsed(), 'PRIVATE_ADDRESS', `${host} is a private address; deliveries to it are refused`, false);
  }
  try {
    const sendsBody = config.http_method !== 'GET';
    const res = await request(config.url, {
      method: config.http_method,
      headers,
      body: sendsBody ? message.body : undefined,
      dispatcher: ctx.dispatcher,
      headersTimeout: config.timeout_ms,
      bodyTimeout: config.timeout_ms,
      signal: AbortSignal.timeout(config.timeout_ms),
    });
    const body = await readCapped(res.body);
    const response = { status: res.statusCode, headers: flatHeaders(res.headers), body };
    const durationMs = elapsed();
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode, request: req, response, durationMs };
    return {
      ok: false,
      retryable: res.statusCode !== 410,
      status: res.statusCode,
      errorCode: 'HTTP_STATUS',
      error: res.statusCode >= 300 && res.statusCode < 400 ? `redirect (${res.statusCode}) not followed` : `receiver answered ${res.statusCode}`,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      disableDestination: res.statusCode === 410,
      request: req,
      response,
      durationMs,
    };
  } catch (err) {
    const { code, message, retryable } = classify(err);
    return fail(req, elapsed(), code, message, retryable);
  }
}

function fail(request: DeliveryResult['request'], durationMs: number, errorCode: ErrorCode, error: string, retryable: boolean): DeliveryResult {
  return { ok: false, retryable, errorCode, error, request, durationMs };
}

/** Stored attempts must not leak the credentials we send. */
function redact(headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  for (const k of Object.keys(out)) {
    if (k === 'authorization' || k.includes('api-key') || k.includes('apikey') || k.includes('token')) out[k] = '[redacted]';
  }
  return out;
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < MAX_STORED_RESPONSE_BYTES) chunks.push(chunk);
    size += chunk.length;
    if (size > 4 * MAX_STORED_RESPONSE_BYTES) {
      // Draining a huge answer would only keep the socket busy; drop the connection instead.
      body.destroy();
      break;
    }
  }
  const text = Buffer.concat(chunks).subarray(0, MAX_STORED_RESPONSE_BYTES).toString('utf8');
  return size > MAX_STORED_RESPONSE_BYTES ? `${text}…[truncated, ${size} bytes]` : text;
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function classify(err: unknown): { code: ErrorCode; message: string; retryable: boolean } {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.code ?? e.cause?.code ?? '';
  const message = e.cause?.message ?? e.message ?? String(err);
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return { code: 'TIMEOUT', message: 'the receiver did not answer in time', retryable: true };
  }
  if (code === 'EPRIVATEADDRESS') return { code: 'PRIVATE_ADDRESS', message, retryable: false };
  if (code === 'ECONNREFUSED') return { code: 'CONNECTION_REFUSED', message: 'connection refused', retryable: true };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return { code: 'CONNECTION_RESET', message: 'the connection was reset', retryable: true };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { code: 'DNS', message: `host not found: ${message}`, retryable: true };
  if (/CERT|TLS|SSL|EPROTO/i.test(code) || /certificate|TLS|SSL/i.test(message)) return { code: 'TLS', message: `TLS failed: ${message}`, retryable: true };
  return { code: 'NETWORK', message, retryable: true };
}
