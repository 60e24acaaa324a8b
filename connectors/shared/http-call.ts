import { request } from 'undici';
import { policyOf, privateUrlRefusal, redirectTarget } from './guarded-http.ts';
import { maskHeaders } from './secret-headers.ts';
import type { DeliveryContext, DeliveryResult, ErrorCode } from '../types.ts';

export const MAX_STORED_RESPONSE_BYTES = 64 * 1024;

export type HttpCall = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  timeoutMs: number;
  /** Store the body sent with the attempt (when it is not the event's own body). */
  recordBody?: boolean;
  /** Headers carrying a credential under a name of the user's choosing (an api_key auth's header_key). */
  secretHeaders?: readonly string[];
};

/**
 * One HTTP exchange with a receiver or a vendor API, classified the way every connector needs:
 * 2xx ok; 410 gone; 408/429/5xx and network trouble retryable; other 4xx final only when the
 * caller says so (plain webhooks retry them, since receivers often answer 4xx while deploying).
 */
export async function httpCall(ctx: DeliveryContext, call: HttpCall, opts: { finalStatuses?: (status: number) => boolean } = {}): Promise<DeliveryResult> {
  const req = {
    method: call.method,
    url: call.url,
    headers: redact(call.headers, call.secretHeaders),
    ...(call.recordBody && call.body !== undefined ? { body: String(call.body) } : {}),
  };
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // Refused here with a clear message; the dispatcher refuses again when the socket is opened (DNS included).
  const refused = privateUrlRefusal(policyOf(ctx), call.url);
  if (refused) return fail(req, elapsed(), 'PRIVATE_ADDRESS', `${refused}; deliveries to it are refused`, false);
  try {
    const res = await request(call.url, {
      method: call.method as 'POST',
      headers: call.headers,
      body: call.method === 'GET' || call.method === 'HEAD' ? undefined : call.body,
      dispatcher: ctx.dispatcher,
      headersTimeout: call.timeoutMs,
      bodyTimeout: call.timeoutMs,
      signal: AbortSignal.timeout(call.timeoutMs),
    });
    const body = await readCapped(res.body);
    const response = { status: res.statusCode, headers: flatHeaders(res.headers), body };
    return statusResult(req, response, elapsed(), opts.finalStatuses);
  } catch (err) {
    const { code, message, retryable } = networkFailure(err);
    return fail(req, elapsed(), code, message, retryable);
  }
}

/**
 * What a receiver's answer means for the delivery. Shared with the built-in MOCK_API receiver, so
 * that a status it is told to answer goes through the same retries as a real receiver's.
 */
export function statusResult(
  request: DeliveryResult['request'],
  response: NonNullable<DeliveryResult['response']>,
  durationMs: number,
  finalStatuses?: (status: number) => boolean,
): DeliveryResult {
  const status = response.status;
  if (status >= 200 && status < 300) return { ok: true, status, request, response, durationMs };
  const final = status === 410 || (finalStatuses?.(status) ?? false);
  return {
    ok: false,
    retryable: !final,
    status,
    errorCode: 'HTTP_STATUS',
    // Redirects are never followed: the next hop could be anything, 169.254.169.254 included.
    error: status >= 300 && status < 400 ? redirectTarget(status, response.headers.location) : `receiver answered ${status}`,
    retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    gone: status === 410,
    request,
    response,
    durationMs,
  };
}

export function fail(request: DeliveryResult['request'], durationMs: number, errorCode: ErrorCode, error: string, retryable: boolean): DeliveryResult {
  return { ok: false, retryable, errorCode, error, request, durationMs };
}

/** Stored attempts must not leak the credentials we send (see secret-headers.ts for which those are). */
export function redact(headers: Record<string, string>, secretHeaders: readonly string[] = []): Record<string, string> {
  return maskHeaders(headers, secretHeaders);
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

/**
 * Socket, DNS, TLS and timeout trouble, classified the same for every connector. The code may sit
 * on a wrapped error (fetch and gaxios wrap the socket's), so the cause chain is searched.
 */
export function networkFailure(err: unknown, who = 'the receiver'): { code: ErrorCode; message: string; retryable: boolean } {
  const codes: string[] = [];
  const names: string[] = [];
  let innermost = err instanceof Error ? err.message : String(err);
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code !== undefined) codes.push(String(code));
    names.push(e.name);
    innermost = e.message;
  }
  const has = (...list: string[]) => list.some((c) => codes.includes(c) || names.includes(c));
  if (has('TimeoutError', 'AbortError', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT')) {
    return { code: 'TIMEOUT', message: `${who} did not answer in time`, retryable: true };
  }
  if (has('EPRIVATEADDRESS')) return { code: 'PRIVATE_ADDRESS', message: innermost, retryable: false };
  if (has('ECONNREFUSED')) return { code: 'CONNECTION_REFUSED', message: 'connection refused', retryable: true };
  if (has('ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE')) return { code: 'CONNECTION_RESET', message: 'the connection was reset', retryable: true };
  if (has('ENOTFOUND', 'EAI_AGAIN')) return { code: 'DNS', message: `host not found: ${innermost}`, retryable: true };
  if (codes.some((c) => /CERT|TLS|SSL|EPROTO/i.test(c)) || /certificate|TLS|SSL/i.test(innermost))
    return { code: 'TLS', message: `TLS failed: ${innermost}`, retryable: true };
  return { code: 'NETWORK', message: innermost, retryable: true };
}
