import { policyOf, privateUrlRefusal, redirectTarget } from '../shared/guarded-http.ts';
import { MAX_STORED_RESPONSE_BYTES, networkFailure, parseRetryAfter } from '../shared/http-call.ts';
import type { AttemptRecord, ConnectionTest, Connector, DeliveryContext, DeliveryResult, ErrorCode, OutboundMessage } from '../types.ts';
import { forgetClient, sheetsClient, type SheetsClient } from './client.ts';
import { GOOGLE_TOKEN_URL, GoogleSheetsConfigSchema, SHEETS_ROOT_URL, type GoogleSheetsConfig } from './config.ts';
import { a1, buildRow, compareHeader, type HeaderCheck } from './row.ts';

export { GoogleSheetsConfigSchema } from './config.ts';

export const googleSheetsConnector: Connector<typeof GoogleSheetsConfigSchema> = {
  id: 'google-sheets',
  displayName: 'Google Sheets',
  configSchema: GoogleSheetsConfigSchema,
  secretFields: ['credentials', 'oauth'],
  // A refresh token the hub got from Google itself: nobody pasted it, so nobody reads it back.
  hiddenFields: ['oauth'],
  targetUrls: (config) => [
    { path: 'api_root_url', url: config.api_root_url },
    { path: 'credentials.token_uri', url: config.credentials?.token_uri },
  ],
  // The key signs a token request to its token_uri; the access token it buys goes to api_root_url.
  sentCredentials: (config) =>
    config.oauth
      ? [{ field: 'oauth', what: 'the Google sign-in (the access token made from it)' }]
      : [{ field: 'credentials', what: 'the service-account key (the access token made from it)' }],
  // The owner shares the spreadsheet with this address, so it is shown even though the key is not.
  describe: (config) => (config.oauth ? { google_account: config.oauth.email } : { client_email: config.credentials?.client_email }),
  deliver: (ctx, config, message) => guarded(() => deliver(ctx, config, message)),
  testConnection: (ctx, config) =>
    testConnection(ctx, config).catch((err: unknown) => ({
      ok: false,
      message: `The connection test failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`,
      warnings: [],
    })),
};

type RequestRecord = AttemptRecord['request'];
type ResponseRecord = NonNullable<AttemptRecord['response']>;

/** What one failed step tells the hub: enough to build a failed DeliveryResult or a ConnectionTest. */
type Failure = {
  retryable: boolean;
  errorCode: ErrorCode;
  error: string;
  status?: number;
  retryAfterMs?: number;
  request: RequestRecord;
  response?: ResponseRecord;
};

type Step<T> = { ok: true; data: T; status: number; request: RequestRecord; response: ResponseRecord } | ({ ok: false } & Failure);

/**
 * The parts of a gaxios response the connector reads. Headers arrive as a fetch `Headers` (undici's,
 * so not `instanceof` the global one) on errors, and as a plain object on the client's successes.
 */
type HeaderBag = { forEach(fn: (value: string, key: string) => void): void } | Record<string, string | string[] | undefined>;
type VendorResponse<T> = { status: number; headers: HeaderBag; data: T };

/** The shape of gaxios' errors (and of the network errors it wraps), read without importing gaxios. */
type VendorError = Error & { code?: string | number; config?: { url?: string | URL }; response?: VendorResponse<unknown>; cause?: unknown };

/** The longest any header is trusted; each destination may trust it for less (`header_check_seconds`). */
const HEADER_TTL_MS = 3_600_000;
const verifiedHeaders = new Map<string, number>();
const pendingHeaderChecks = new Map<string, Promise<Step<HeaderCheck>>>();

function headerKey(client: SheetsClient, config: GoogleSheetsConfig): string {
  return JSON.stringify([client.rootUrl, config.spreadsheetId, config.sheetName, config.columns]);
}

async function deliver(ctx: DeliveryContext, config: GoogleSheetsConfig, message: OutboundMessage): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const range = a1(config.sheetName, 'A1');
  const appendRequest: RequestRecord = {
    method: 'POST',
    url: `${valuesUrl(config.api_root_url ?? SHEETS_ROOT_URL, config, range)}:append?valueInputOption=USER_ENTERED&insertDataOption=INSERT_ROWS`,
    headers: {},
  };

  const refused = privateAddressRefusal(ctx, config, appendRequest);
  if (refused) return failed(refused, elapsed());
  const payload = message.payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return failed(
      {
        retryable: false,
        errorCode: 'PAYLOAD',
        error: "The event body is not a JSON object, so there are no fields to put in the sheet's columns.",
        request: appendRequest,
      },
      elapsed(),
    );
  }
  const row = buildRow(config.columns, payload);
  appendRequest.body = JSON.stringify(row);
  if (row.every((cell) => cell === '')) {
    // A blank row is almost always misnamed columns (they are case-sensitive); say so instead of filling the sheet with blanks.
    return failed(
      {
        retryable: false,
        errorCode: 'PAYLOAD',
        error: `None of the columns is a field of this event. Its fields are: ${fieldNames(payload).join(', ') || 'none'}.`,
        request: appendRequest,
      },
      elapsed(),
    );
  }

  const client = sheetsClient(ctx, config);
  if ('unusable' in client) return failed(unusable(client.unusable, appendRequest), elapsed());
  const key = headerKey(client, config);
  const verifiedAt = verifiedHeaders.get(key);
  if (verifiedAt === undefined || Date.now() - verifiedAt >= config.header_check_seconds * 1000) {
    const header = await ensureHeader(ctx, client, config, key);
    if (!header.ok) return failed(header, elapsed());
    if (header.data.kind === 'drift') {
      // No status: Google answered the header read fine; the refusal is ours, and its evidence is that answer.
      const { request, response } = header;
      return {
        ok: false,
        retryable: false,
        errorCode: 'SCHEMA_DRIFT',
        error: header.data.message,
        warning: header.data.message,
        request,
        response,
        durationMs: elapsed(),
      };
    }
  }

  const appended = await step(ctx, client, config, appendRequest, () =>
    client.api.spreadsheets.values.append(
      {
        spreadsheetId: config.spreadsheetId,
        range,
        valueInputOption: 'USER_ENTERED',
        insertDataOption: 'INSERT_ROWS',
        requestBody: { majorDimension: 'ROWS', values: [row] },
      },
      callOptions(ctx),
    ),
  );
  if (!appended.ok) {
    verifiedHeaders.delete(key);
    return failed(appended, elapsed());
  }
  const recordId = appended.data.updates?.updatedRange ?? undefined;
  return { ok: true, status: appended.status, recordId, warning: null, request: appended.request, response: appended.response, durationMs: elapsed() };
}

function fieldNames(payload: object): string[] {
  const top = Object.keys(payload);
  const data = (payload as { data?: unknown }).data;
  const nested = typeof data === 'object' && data !== null && !Array.isArray(data) ? Object.keys(data).map((k) => `data.${k}`) : [];
  const names = [...top.filter((k) => k !== 'data' || nested.length === 0), ...nested];
  return names.length > 30 ? [...names.slice(0, 30), `… ${names.length - 30} more`] : names;
}

/**
 * Reads row 1 and writes the header into an empty sheet. Concurrent deliveries to the same sheet
 * share one check, so a burst of first leads writes the header once.
 */
function ensureHeader(ctx: DeliveryContext, client: SheetsClient, config: GoogleSheetsConfig, key: string): Promise<Step<HeaderCheck>> {
  const pending = pendingHeaderChecks.get(key);
  if (pending) return pending;
  const check = (async (): Promise<Step<HeaderCheck>> => {
    const read = await readHeader(ctx, client, config);
    if (!read.ok || read.data.kind === 'drift') return read;
    if (read.data.kind === 'empty') {
      const range = a1(config.sheetName, 'A1');
      const request: RequestRecord = {
        method: 'PUT',
        url: `${valuesUrl(client.rootUrl, config, range)}?valueInputOption=RAW`,
        headers: {},
        body: JSON.stringify([config.columns]),
      };
      const written = await step(ctx, client, config, request, () =>
        // RAW: a column named like a formula or a number must stay exactly the text configured.
        client.api.spreadsheets.values.update(
          { spreadsheetId: config.spreadsheetId, range, valueInputOption: 'RAW', requestBody: { majorDimension: 'ROWS', values: [config.columns] } },
          callOptions(ctx),
        ),
      );
      if (!written.ok) return written;
    }
    rememberHeader(key);
    return read;
  })();
  pendingHeaderChecks.set(key, check);
  return check.finally(() => pendingHeaderChecks.delete(key));
}

function rememberHeader(key: string): void {
  const now = Date.now();
  if (verifiedHeaders.size > 10_000) for (const [k, at] of verifiedHeaders) if (now - at > HEADER_TTL_MS) verifiedHeaders.delete(k);
  verifiedHeaders.set(key, now);
}

async function readHeader(ctx: DeliveryContext, client: SheetsClient, config: GoogleSheetsConfig): Promise<Step<HeaderCheck>> {
  const range = a1(config.sheetName, '1:1');
  const request: RequestRecord = { method: 'GET', url: `${valuesUrl(client.rootUrl, config, range)}?majorDimension=ROWS`, headers: {} };
  const read = await step(ctx, client, config, request, () =>
    client.api.spreadsheets.values.get({ spreadsheetId: config.spreadsheetId, range, majorDimension: 'ROWS' }, callOptions(ctx)),
  );
  if (!read.ok) return read;
  return { ...read, data: compareHeader(config.sheetName, config.columns, read.data.values?.[0] ?? []) };
}

async function testConnection(ctx: DeliveryContext, config: GoogleSheetsConfig): Promise<ConnectionTest> {
  const base = config.api_root_url ?? SHEETS_ROOT_URL;
  const request: RequestRecord = { method: 'GET', url: `${base}v4/spreadsheets/${encodeURIComponent(config.spreadsheetId)}`, headers: {} };
  const notOk = (f: Failure): ConnectionTest => ({ ok: false, message: f.error, warnings: [], details: { status: f.status ?? null } });
  const refused = privateAddressRefusal(ctx, config, request);
  if (refused) return notOk(refused);

  const client = sheetsClient(ctx, config);
  if ('unusable' in client) return notOk(unusable(client.unusable, request));
  const meta = await step(ctx, client, config, request, () =>
    client.api.spreadsheets.get({ spreadsheetId: config.spreadsheetId, fields: 'properties.title,sheets.properties.title' }, callOptions(ctx)),
  );
  if (!meta.ok) return notOk(meta);
  const title = meta.data.properties?.title ?? config.spreadsheetId;
  const tabs = (meta.data.sheets ?? []).map((s) => s.properties?.title ?? '').filter((t) => t !== '');
  const details = { title, sheets: tabs, ...(config.oauth ? { googleAccount: config.oauth.email } : { serviceAccount: config.credentials?.client_email }) };
  if (!tabs.includes(config.sheetName)) {
    return {
      ok: false,
      message: `Connected to "${title}", but it has no sheet "${config.sheetName}" (its sheets: ${tabs.map((t) => `"${t}"`).join(', ') || 'none'}). Create the tab or change the sheet name.`,
      warnings: [],
      details,
    };
  }

  const header = await readHeader(ctx, client, config);
  if (!header.ok) return notOk(header);
  // What was just read is fresher than the deliveries' cached verdict: a drift seen here stops them now.
  const key = headerKey(client, config);
  if (header.data.kind === 'match') rememberHeader(key);
  else verifiedHeaders.delete(key);
  const connected = `Connected to "${title}", sheet "${config.sheetName}"`;
  switch (header.data.kind) {
    case 'match':
      return { ok: true, message: connected, warnings: [], details };
    case 'empty':
      return {
        ok: true,
        message: `${connected}; the sheet's first row is empty, so the header row will be written before the first row.`,
        warnings: [],
        details,
      };
    case 'drift':
      return {
        ok: false,
        message: `${connected}, but: ${header.data.message}`,
        warnings: [header.data.message],
        details: { ...details, differences: header.data.differences },
      };
  }
}

// ---------------------------------------------------------------------------------------------
// One call to Google, recorded and classified

function callOptions(ctx: DeliveryContext) {
  const [product, version] = ctx.userAgent.split('/');
  return { userAgentDirectives: [{ product: product || 'Wirehub', version: version || '0' }] };
}

function valuesUrl(rootUrl: string, config: GoogleSheetsConfig, range: string): string {
  return `${rootUrl}v4/spreadsheets/${encodeURIComponent(config.spreadsheetId)}/values/${encodeURIComponent(range)}`;
}

async function step<T>(
  ctx: DeliveryContext,
  client: SheetsClient,
  config: GoogleSheetsConfig,
  request: RequestRecord,
  run: () => Promise<VendorResponse<T>>,
): Promise<Step<T>> {
  try {
    const res = await run();
    return { ok: true, data: res.data, status: res.status, request, response: record(res) };
  } catch (err) {
    const failure = classify(err, client, config, request);
    // A refused token or a key Google no longer accepts must not stay cached with the client.
    if (failure.errorCode === 'AUTH' && failure.request.url === client.tokenUrl) forgetClient(ctx, config);
    if (failure.status === 401) forgetClient(ctx, config);
    return { ok: false, ...failure };
  }
}

function flatHeaders(bag: HeaderBag): Record<string, string> {
  const headers: Record<string, string> = {};
  if (typeof bag.forEach === 'function') {
    (bag as { forEach(fn: (value: string, key: string) => void): void }).forEach((value, key) => {
      headers[key.toLowerCase()] = value;
    });
    return headers;
  }
  for (const [k, v] of Object.entries(bag)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  return headers;
}

function record(res: VendorResponse<unknown>): ResponseRecord {
  const headers = flatHeaders(res.headers);
  const text = typeof res.data === 'string' ? res.data : res.data === undefined ? '' : JSON.stringify(res.data);
  const bytes = Buffer.from(text, 'utf8');
  const body =
    bytes.length > MAX_STORED_RESPONSE_BYTES ? `${bytes.subarray(0, MAX_STORED_RESPONSE_BYTES).toString('utf8')}…[truncated, ${bytes.length} bytes]` : text;
  return { status: res.status, headers, body };
}

/** Google's JSON error: `{error: {code, message, status, details: [{reason}]}}`; the token endpoint's: `{error, error_description}`. */
function googleError(data: unknown): { message: string; status: string; reasons: string[] } {
  const body = typeof data === 'string' ? safeJson(data) : data;
  if (typeof body !== 'object' || body === null) return { message: typeof data === 'string' ? data.slice(0, 300) : '', status: '', reasons: [] };
  const e = (body as { error?: unknown }).error;
  if (typeof e === 'string') {
    const description = (body as { error_description?: unknown }).error_description;
    return { message: typeof description === 'string' ? `${e}: ${description}` : e, status: e, reasons: [] };
  }
  if (typeof e !== 'object' || e === null) return { message: '', status: '', reasons: [] };
  const err = e as { message?: unknown; status?: unknown; details?: unknown; errors?: unknown };
  const reasons = [err.details, err.errors]
    .flatMap((list) => (Array.isArray(list) ? list : []))
    .map((d: unknown) =>
      typeof d === 'object' && d !== null && typeof (d as { reason?: unknown }).reason === 'string' ? (d as { reason: string }).reason : '',
    )
    .filter((r) => r !== '');
  return { message: typeof err.message === 'string' ? err.message : '', status: typeof err.status === 'string' ? err.status : '', reasons };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function classify(err: unknown, client: SheetsClient, config: GoogleSheetsConfig, request: RequestRecord): Failure {
  const e = (err instanceof Error ? err : new Error(String(err))) as VendorError;
  const email = accountOf(config);
  const id = config.spreadsheetId;
  const configUrl = e.config?.url === undefined ? '' : String(e.config.url);
  const fromTokenEndpoint = configUrl === GOOGLE_TOKEN_URL || configUrl === client.tokenUrl;
  const tokenRequest: RequestRecord = { method: 'POST', url: client.tokenUrl, headers: {} };

  if (e.response) {
    const status = e.response.status;
    const response = record(e.response);
    const g = googleError(e.response.data);
    const detail = g.message || e.message;
    const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
    if (status >= 300 && status < 400) {
      // fetch runs with redirect 'manual': a hop elsewhere is never taken, and Google's APIs do not redirect, so the configured URL is wrong.
      const who = fromTokenEndpoint ? "Google's token endpoint" : 'Google Sheets';
      return {
        retryable: false,
        errorCode: 'HTTP_STATUS',
        status,
        error: `${who} answered with a ${redirectTarget(status, response.headers.location)}`,
        request: fromTokenEndpoint ? tokenRequest : request,
        response,
      };
    }
    if (fromTokenEndpoint) {
      if (status === 429 || status >= 500) {
        return {
          retryable: true,
          errorCode: 'HTTP_STATUS',
          status,
          retryAfterMs,
          error: `Google's token endpoint answered ${status}: ${detail}`,
          request: tokenRequest,
          response,
        };
      }
      return {
        retryable: false,
        errorCode: 'AUTH',
        status,
        error: config.oauth
          ? `Google no longer accepts the sign-in of ${email} (${detail}): the access was revoked, or the account's password changed. Sign in with Google again in the flow's Google Sheet step.`
          : `Google refused the service account key of ${email} (${detail}). The key may have been deleted or the account disabled: create a new key and paste it into the destination.`,
        request: tokenRequest,
        response,
      };
    }
    const base = { status, request, response, retryAfterMs };
    if (status === 429 || g.status === 'RESOURCE_EXHAUSTED' || g.reasons.some((r) => /rateLimitExceeded|RATE_LIMIT_EXCEEDED/.test(r))) {
      return { ...base, retryable: true, errorCode: 'HTTP_STATUS', error: `Google Sheets' rate limit was reached (${status}): ${detail}` };
    }
    if (status >= 500 || status === 408) return { ...base, retryable: true, errorCode: 'HTTP_STATUS', error: `Google Sheets answered ${status}: ${detail}` };
    if (status === 401) {
      return {
        ...base,
        retryable: true,
        errorCode: 'AUTH',
        error: `Google Sheets did not accept the access token (401: ${detail}); a new token is fetched on the next attempt.`,
      };
    }
    if (
      status === 403 &&
      (g.reasons.includes('SERVICE_DISABLED') || g.reasons.includes('accessNotConfigured') || /has not been used|is disabled/i.test(detail))
    ) {
      if (config.oauth)
        return {
          ...base,
          retryable: false,
          errorCode: 'AUTH',
          error: `The Google Sheets API is not enabled in the Google Cloud project of this server's OAuth client: the operator must enable it in the Google Cloud console (${detail}).`,
        };
      const project = config.credentials?.project_id ? ` "${config.credentials.project_id}"` : '';
      return {
        ...base,
        retryable: false,
        errorCode: 'AUTH',
        error: `The Google Sheets API is not enabled in the service account's project${project}: enable it in the Google Cloud console (${detail}).`,
      };
    }
    if (status === 403) {
      return {
        ...base,
        retryable: false,
        errorCode: 'AUTH',
        error: config.oauth
          ? `Google Sheets denied ${email} access to spreadsheet ${id}: the account can only view it. Ask its owner to share it with ${email} as Editor.`
          : `Google Sheets denied access to spreadsheet ${id}. Share the spreadsheet with ${email} (as Editor).`,
      };
    }
    if (status === 404) {
      return {
        ...base,
        retryable: false,
        errorCode: 'AUTH',
        error: config.oauth
          ? `Spreadsheet ${id} was not found, or ${email} cannot see it. Pick the spreadsheet again from the list.`
          : `Spreadsheet ${id} was not found. Check the spreadsheet ID, and share the spreadsheet with ${email} (as Editor).`,
      };
    }
    if (status === 400 && /unable to parse range/i.test(detail)) {
      return {
        ...base,
        retryable: false,
        errorCode: 'CONFIG',
        error: `Spreadsheet ${id} has no sheet "${config.sheetName}". Create the tab or change the destination's sheet name.`,
      };
    }
    return { ...base, retryable: false, errorCode: 'HTTP_STATUS', error: `Google Sheets refused the request (${status}): ${detail}` };
  }

  const { code, message, retryable } = networkFailure(e, 'Google');
  return {
    retryable,
    errorCode: code,
    error: fromTokenEndpoint ? `Google's token endpoint: ${message}` : message,
    request: fromTokenEndpoint ? tokenRequest : request,
  };
}

function privateAddressRefusal(ctx: DeliveryContext, config: GoogleSheetsConfig, request: RequestRecord): Failure | null {
  // Refused here with a clear message; the dispatcher refuses again when the socket is opened (DNS included).
  const tokenUrl = config.oauth ? (ctx.googleOAuth?.tokenUrl ?? GOOGLE_TOKEN_URL) : (config.credentials?.token_uri ?? GOOGLE_TOKEN_URL);
  for (const url of [config.api_root_url ?? SHEETS_ROOT_URL, tokenUrl]) {
    const refused = privateUrlRefusal(policyOf(ctx), url);
    if (refused) return { retryable: false, errorCode: 'PRIVATE_ADDRESS', error: `${refused}; requests to it are refused`, request };
  }
  return null;
}

function unusable(error: string, request: RequestRecord): Failure {
  return { retryable: false, errorCode: 'AUTH', error, request };
}

/** Whose access writes the rows: the signed-in Google account, or the service account. */
function accountOf(config: GoogleSheetsConfig): string {
  return config.oauth?.email ?? config.credentials?.client_email ?? 'the service account';
}

function failed(f: Failure, durationMs: number): DeliveryResult {
  return {
    ok: false,
    retryable: f.retryable,
    status: f.status,
    errorCode: f.errorCode,
    error: f.error,
    retryAfterMs: f.retryAfterMs,
    request: f.request,
    response: f.response,
    durationMs,
  };
}

/** deliver must never throw: a bug here becomes a retryable failure the hub records. */
async function guarded(run: () => Promise<DeliveryResult>): Promise<DeliveryResult> {
  try {
    return await run();
  } catch (err) {
    return {
      ok: false,
      retryable: true,
      errorCode: 'NETWORK',
      error: `unexpected error in the Google Sheets connector: ${err instanceof Error ? err.message : String(err)}`,
      request: { method: 'POST', url: SHEETS_ROOT_URL, headers: {} },
      durationMs: 0,
    };
  }
}
