import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import http from 'node:http';
import type { z } from 'zod';
import { googleSheetsConnector } from '../../../connectors/google-sheets/index.ts';
import type { Connector, OutboundMessage } from '../../../connectors/types.ts';
import type { ContractHarness, FakeVendor, VendorMode } from '../connector-contract.ts';

/**
 * A local stand-in for Google: the OAuth2 token endpoint (JWT-bearer grant, RS256 assertions checked
 * against the fake service account's public key) and the part of Sheets API v4 the connector uses,
 * over an in-memory grid. Error bodies have Google's shape, so the real client parses them as it
 * would Google's.
 */

export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const DEFAULT_SPREADSHEET_ID = '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms';

export type LoggedRequest = { method: string; path: string; query: Record<string, string>; body: unknown; authorization: string | undefined };
export type TokenMode = 'ok' | 'invalid_grant' | 'unavailable';

type Sheet = { sheetId: number; rows: string[][] };
type Spreadsheet = { title: string; sheets: Map<string, Sheet>; modified: number; owner: string };
type Answer = { status: number; body: unknown; headers?: Record<string, string> };

export type FakeGoogleSheets = Awaited<ReturnType<typeof startFakeGoogleSheets>>;

export async function startFakeGoogleSheets(opts: { title?: string; sheets?: string[] } = {}) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `wirehub-writer@fake-project-${randomBytes(3).toString('hex')}.iam.gserviceaccount.com`;
  const spreadsheets = new Map<string, Spreadsheet>();
  const tokens = new Map<string, number>();
  /** Scopes of tokens another fake (the OAuth double) issued; service-account tokens have none listed. */
  const tokenScopes = new Map<string, string[]>();
  const requests: LoggedRequest[] = [];
  let tokenRequests = 0;
  let mode: VendorMode = 'ok';
  let tokenMode: TokenMode = 'ok';
  let nextSheetId = 0;

  let clock = Date.parse('2026-11-01T09:00:00Z');
  function addSpreadsheet(id: string, title: string, sheetNames: string[], owner = 'owner@example.com') {
    spreadsheets.set(id, { title, sheets: new Map(sheetNames.map((n) => [n, { sheetId: nextSheetId++, rows: [] }])), modified: (clock += 60_000), owner });
  }
  addSpreadsheet(DEFAULT_SPREADSHEET_ID, opts.title ?? 'Leads 2026', opts.sheets ?? ['Sheet1']);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = parseBody(raw, req.headers['content-type']);
      requests.push({
        method: req.method ?? '',
        path: decodeURIComponent(url.pathname),
        query: Object.fromEntries(url.searchParams),
        body,
        authorization: req.headers.authorization,
      });
      const answer =
        url.pathname === '/token'
          ? token(req.method ?? '', body)
          : url.pathname === '/drive/v3/files'
            ? driveFiles(req.method ?? '', url, req.headers.authorization)
            : sheetsApi(req.method ?? '', url, body, req.headers.authorization);
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });

  function token(method: string, body: unknown): Answer {
    tokenRequests++;
    const refuse = (description: string): Answer => ({ status: 400, body: { error: 'invalid_grant', error_description: description } });
    if (tokenMode === 'unavailable') return { status: 503, body: { error: 'temporarily_unavailable', error_description: 'Try again later.' } };
    if (tokenMode === 'invalid_grant') return refuse('Invalid grant: account not found');
    const form = body as Record<string, string>;
    if (method !== 'POST' || form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' } };
    }
    const parts = String(form.assertion ?? '').split('.');
    if (parts.length !== 3) return refuse('Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.');
    const [h, p, sig] = parts;
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'RS256' || !verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(sig, 'base64url')))
      return refuse('Invalid JWT Signature.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { iss?: string; scope?: string; aud?: string; exp?: number; iat?: number };
    const now = Math.floor(Date.now() / 1000);
    if (claims.iss !== clientEmail) return refuse('Invalid JWT: iss is not a known service account.');
    if (
      !String(claims.scope ?? '')
        .split(' ')
        .includes(SHEETS_SCOPE)
    )
      return { status: 400, body: { error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' } };
    if (claims.aud !== GOOGLE_TOKEN_URL && claims.aud !== tokenUrl) return refuse('Invalid JWT: aud is not the token endpoint.');
    if (!claims.exp || !claims.iat || claims.exp <= now || claims.iat > now + 300 || claims.exp - claims.iat > 3600)
      return refuse('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    const accessToken = `ya29.fake-${randomBytes(12).toString('base64url')}`;
    tokens.set(accessToken, Date.now() + 3600_000);
    return { status: 200, body: { access_token: accessToken, expires_in: 3600, token_type: 'Bearer' } };
  }

  /**
   * Drive's files.list, as far as the spreadsheet picker uses it: spreadsheets only, `name contains`,
   * newest first. Needs the metadata scope when the token says which it has (tokens from the OAuth double).
   */
  function driveFiles(method: string, url: URL, authorization: string | undefined): Answer {
    const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!bearer || (tokens.get(bearer) ?? 0) < Date.now()) return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    const scopes = tokenScopes.get(bearer);
    if (scopes && !scopes.some((s) => /auth\/drive/.test(s))) return googleError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.');
    if (method !== 'GET') return googleError(405, 'INVALID_ARGUMENT', 'Method not allowed');
    const q = url.searchParams.get('q') ?? '';
    if (!q.includes("mimeType='application/vnd.google-apps.spreadsheet'")) return googleError(400, 'INVALID_ARGUMENT', 'the fake lists spreadsheets only');
    const contains = /name contains '((?:[^'\\]|\\.)*)'/.exec(q)?.[1]?.replace(/\\(.)/g, '$1');
    const files = [...spreadsheets]
      .filter(([, book]) => contains === undefined || book.title.toLowerCase().includes(contains.toLowerCase()))
      .sort(([, a], [, b]) => b.modified - a.modified)
      .map(([id, book]) => ({
        id,
        name: book.title,
        mimeType: 'application/vnd.google-apps.spreadsheet',
        modifiedTime: new Date(book.modified).toISOString(),
        owners: [{ emailAddress: book.owner }],
      }));
    return { status: 200, body: { files } };
  }

  function sheetsApi(method: string, url: URL, body: unknown, authorization: string | undefined): Answer {
    const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!bearer || (tokens.get(bearer) ?? 0) < Date.now()) {
      return googleError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    switch (mode) {
      case 'server-error':
        return googleError(500, 'INTERNAL', 'Internal error encountered.');
      case 'rate-limited':
        return {
          ...googleError(
            429,
            'RESOURCE_EXHAUSTED',
            "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com'.",
          ),
          headers: { 'retry-after': '7' },
        };
      case 'auth':
        return googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission');
      case 'not-found':
        return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
      case 'ok':
        break;
    }
    // Ranges arrive percent-encoded; ':append' is a literal suffix after the range.
    const m = /^\/v4\/spreadsheets\/([^/]+)(?:\/values\/([^/]+?)(:append)?)?$/.exec(url.pathname);
    if (!m) return googleError(404, 'NOT_FOUND', `No route for ${method} ${url.pathname}`);
    const book = spreadsheets.get(decodeURIComponent(m[1]));
    if (!book) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
    const spreadsheetId = decodeURIComponent(m[1]);
    if (m[2] === undefined) {
      if (method !== 'GET') return googleError(405, 'INVALID_ARGUMENT', 'Method not allowed');
      return {
        status: 200,
        body: {
          spreadsheetId,
          properties: { title: book.title, locale: 'en_US' },
          sheets: [...book.sheets].map(([title, s], index) => ({ properties: { sheetId: s.sheetId, title, index, sheetType: 'GRID' } })),
        },
      };
    }
    const rangeText = decodeURIComponent(m[2]);
    const range = parseRange(rangeText);
    const sheet = range && book.sheets.get(range.sheet);
    if (!range || !sheet) return googleError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${rangeText}`);
    const input = url.searchParams.get('valueInputOption');
    const values = (body as { values?: unknown[][] } | undefined)?.values ?? [];

    if (method === 'GET' && !m[3]) {
      const r0 = range.startRow ?? 0;
      const r1 = Math.min(range.endRow ?? sheet.rows.length - 1, sheet.rows.length - 1);
      const c0 = range.startCol ?? 0;
      const out: string[][] = [];
      for (let r = r0; r <= r1; r++) {
        const row = (sheet.rows[r] ?? []).slice(c0, range.endCol === undefined ? undefined : range.endCol + 1);
        out.push(trimEnd(row));
      }
      while (out.length && out[out.length - 1].length === 0) out.pop();
      // Like Google, an empty range has no `values` at all.
      return {
        status: 200,
        body: { range: formatRange(range.sheet, rangeText.split('!')[1] ?? ''), majorDimension: 'ROWS', ...(out.length ? { values: out } : {}) },
      };
    }
    if (method === 'PUT' && !m[3]) {
      if (input !== 'RAW' && input !== 'USER_ENTERED') return googleError(400, 'INVALID_ARGUMENT', "'valueInputOption' is required but not specified");
      const r0 = range.startRow ?? 0;
      const c0 = range.startCol ?? 0;
      values.forEach((row, i) => row.forEach((v, j) => setCell(sheet, r0 + i, c0 + j, stored(v, input))));
      return { status: 200, body: { spreadsheetId, ...updates(range.sheet, r0, c0, values) } };
    }
    if (method === 'POST' && m[3]) {
      if (input !== 'RAW' && input !== 'USER_ENTERED') return googleError(400, 'INVALID_ARGUMENT', "'valueInputOption' is required but not specified");
      if (url.searchParams.get('insertDataOption') !== 'INSERT_ROWS')
        return googleError(400, 'INVALID_ARGUMENT', 'the fake only implements insertDataOption=INSERT_ROWS');
      const tableEnd = lastFilledRow(sheet);
      const c0 = range.startCol ?? 0;
      const r0 = tableEnd + 1;
      values.forEach((row, i) => row.forEach((v, j) => setCell(sheet, r0 + i, c0 + j, stored(v, input))));
      const width = Math.max(0, ...sheet.rows.slice(0, r0).map((r) => trimEnd(r).length));
      const tableRange = tableEnd >= 0 ? `${formatRange(range.sheet, `A1:${letter(Math.max(width, 1) - 1)}${tableEnd + 1}`)}` : undefined;
      return {
        status: 200,
        body: { spreadsheetId, ...(tableRange ? { tableRange } : {}), updates: { spreadsheetId, ...updates(range.sheet, r0, c0, values) } },
      };
    }
    return googleError(400, 'INVALID_ARGUMENT', `the fake does not implement ${method} on values`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}/`;
  const tokenUrl = `${url}token`;

  const spreadsheet = (id: string) => {
    const book = spreadsheets.get(id);
    if (!book) throw new Error(`the fake has no spreadsheet ${id}`);
    return book;
  };
  const sheetOf = (name: string, id: string) => {
    const sheet = spreadsheet(id).sheets.get(name);
    if (!sheet) throw new Error(`the fake has no sheet ${name} in ${id}`);
    return sheet;
  };

  return {
    /** Root of the fake Sheets API, to use as `api_root_url`. */
    url,
    tokenUrl,
    spreadsheetId: DEFAULT_SPREADSHEET_ID,
    clientEmail,
    /** A service-account key as Google would download it, its `token_uri` pointing at the fake. */
    serviceAccountKey(overrides: { private_key?: string; client_email?: string; token_uri?: string } = {}) {
      return {
        type: 'service_account',
        project_id: 'fake-project',
        private_key_id: randomBytes(20).toString('hex'),
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: clientEmail,
        client_id: '109876543210987654321',
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: tokenUrl,
        auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
        client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
        universe_domain: 'googleapis.com',
        ...overrides,
      };
    },
    addSpreadsheet,
    addSheet(name: string, id = DEFAULT_SPREADSHEET_ID) {
      spreadsheet(id).sheets.set(name, { sheetId: nextSheetId++, rows: [] });
    },
    /** The sheet's cells as a user would see them (trailing empty cells and rows dropped). */
    grid(sheetName = 'Sheet1', id = DEFAULT_SPREADSHEET_ID): string[][] {
      const rows = sheetOf(sheetName, id).rows.map((r) => trimEnd(r));
      while (rows.length && rows[rows.length - 1].length === 0) rows.pop();
      return rows;
    },
    /** What a user typing into row 1 does: rename (or clear, with '') one header cell. */
    renameHeaderCell(column: number, text: string, sheetName = 'Sheet1', id = DEFAULT_SPREADSHEET_ID) {
      setCell(sheetOf(sheetName, id), 0, column, text);
    },
    setRow(rowIndex: number, cells: string[], sheetName = 'Sheet1', id = DEFAULT_SPREADSHEET_ID) {
      const sheet = sheetOf(sheetName, id);
      sheet.rows[rowIndex] = [...cells];
    },
    setMode(m: VendorMode) {
      mode = m;
    },
    setTokenMode(m: TokenMode) {
      tokenMode = m;
    },
    /** Lets an access token another fake issued (the OAuth double's) call this API until `expiresAt`. */
    acceptToken(accessToken: string, expiresAt: number, scopes: string[]) {
      tokens.set(accessToken, expiresAt);
      tokenScopes.set(accessToken, scopes);
    },
    /** Google forgets a token (revoked, or expired early): the next call with it answers 401. */
    forgetToken(accessToken: string) {
      tokens.delete(accessToken);
    },
    requests,
    tokenRequests: () => tokenRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    /** Public half of the fake account's key, for tests that sign their own assertions. */
    publicKey,
  };
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (!raw) return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function googleError(code: number, status: string, message: string): Answer {
  return { status: code, body: { error: { code, message, status } } };
}

/** `Sheet1!A1:C3`, `'My Sheet'!1:1`, `'It''s'!A:C`, or a bare sheet name. Rows and columns are 0-based. */
export function parseRange(text: string): { sheet: string; startRow?: number; startCol?: number; endRow?: number; endCol?: number } | null {
  let sheet: string;
  let rest: string;
  if (text.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'(?:!(.*))?$/.exec(text);
    if (!m) return null;
    sheet = m[1].replace(/''/g, "'");
    rest = m[2] ?? '';
  } else {
    const i = text.indexOf('!');
    sheet = i < 0 ? text : text.slice(0, i);
    rest = i < 0 ? '' : text.slice(i + 1);
  }
  if (!rest) return { sheet };
  const [a, b] = rest.split(':');
  const start = parseCell(a);
  const end = b === undefined ? start : parseCell(b);
  if (!start || !end) return null;
  return { sheet, startRow: start.row, startCol: start.col, endRow: end.row, endCol: end.col };
}

function parseCell(ref: string): { row?: number; col?: number } | null {
  const m = /^([A-Z]*)(\d*)$/i.exec(ref);
  if (!m || (!m[1] && !m[2])) return null;
  const col = m[1] ? [...m[1].toUpperCase()].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1 : undefined;
  const row = m[2] ? Number(m[2]) - 1 : undefined;
  return { row, col };
}

function letter(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    out = String.fromCharCode(65 + ((n - 1) % 26)) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** Google quotes a sheet name in the ranges it returns only when the name needs it. */
function formatRange(sheet: string, cells: string): string {
  const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(sheet) ? sheet : `'${sheet.replace(/'/g, "''")}'`;
  return cells ? `${name}!${cells}` : name;
}

function updates(sheet: string, r0: number, c0: number, values: unknown[][]) {
  const rows = values.length;
  const cols = Math.max(0, ...values.map((r) => r.length));
  return {
    updatedRange: formatRange(sheet, `${letter(c0)}${r0 + 1}:${letter(c0 + Math.max(cols, 1) - 1)}${r0 + rows}`),
    updatedRows: rows,
    updatedColumns: cols,
    updatedCells: values.reduce((n, r) => n + r.length, 0),
  };
}

/**
 * What the cell shows. USER_ENTERED: a leading apostrophe forces text and is not shown; RAW keeps
 * the text exactly. (The fake does not evaluate formulas or reformat numbers and dates.)
 */
function stored(value: unknown, input: 'RAW' | 'USER_ENTERED'): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  const text = String(value);
  return input === 'USER_ENTERED' && text.startsWith("'") ? text.slice(1) : text;
}

function setCell(sheet: Sheet, row: number, col: number, value: string) {
  while (sheet.rows.length <= row) sheet.rows.push([]);
  const r = sheet.rows[row];
  while (r.length <= col) r.push('');
  r[col] = value;
}

function trimEnd(row: string[]): string[] {
  const out = [...row];
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

function lastFilledRow(sheet: Sheet): number {
  for (let r = sheet.rows.length - 1; r >= 0; r--) if (sheet.rows[r].some((c) => c !== '')) return r;
  return -1;
}

export const LEAD_COLUMNS = ['name', 'email', 'phone', 'eventType', 'eventTimestamp', 'eventId', 'customerId'];

export function leadMessage(payload: Record<string, unknown> = {}): OutboundMessage {
  const body = {
    name: 'Jane Smith',
    email: 'jane@example.com',
    phone: '+15555550123',
    eventType: 'lead.captured',
    eventTimestamp: '2026-05-03T14:22:08Z',
    eventId: 'msg_2wF8kLq9',
    customerId: 'cus_a1b2c3',
    ...payload,
  };
  const eventId = typeof body.eventId === 'string' ? body.eventId : 'msg_2wF8kLq9';
  return {
    eventId,
    eventType: 'lead.captured',
    timestamp: Math.floor(Date.now() / 1000),
    body: Buffer.from(JSON.stringify(body)),
    contentType: 'application/json',
    payload: body,
    signingSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  };
}

export const googleSheetsHarness: ContractHarness = {
  // The contract suite handles every connector through the widest config type.
  connector: googleSheetsConnector as unknown as Connector<z.ZodType>,
  async startVendor(): Promise<FakeVendor> {
    const fake = await startFakeGoogleSheets({ sheets: ['Leads'] });
    return {
      config: { credentials: fake.serviceAccountKey(), spreadsheetId: fake.spreadsheetId, sheetName: 'Leads', columns: LEAD_COLUMNS, api_root_url: fake.url },
      setMode: (m) => fake.setMode(m),
      written: () => Math.max(0, fake.grid('Leads').length - 1),
      close: () => fake.close(),
    };
  },
  message: () => leadMessage(),
};
