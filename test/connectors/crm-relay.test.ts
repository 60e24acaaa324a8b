import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CrmRelayConfigSchema, crmRelayConnector } from '../../connectors/crm-relay/index.ts';
import type { DeliveryContext, DeliveryResult } from '../../connectors/types.ts';
import { crmHarness, leadMessage, startCrmFake, type CrmFake } from '../support/fakes/crm.ts';

const dispatcher = new Agent();
const ctx: DeliveryContext = { dispatcher, allowPrivateDestinations: true, userAgent: 'Wirehub/test' };
const deliver = (config: unknown, message = leadMessage()) => crmRelayConnector.deliver(ctx, CrmRelayConfigSchema.parse(config), message);

let fake: CrmFake;
beforeAll(async () => {
  fake = await startCrmFake();
});
afterAll(async () => {
  await fake.close();
  await dispatcher.close();
});
beforeEach(() => {
  fake.setMode('ok');
  fake.contacts.clear();
  fake.persons.clear();
  fake.leads.clear();
  fake.requests.length = 0;
});

const hubspot = (extra: Record<string, unknown> = {}) => ({ preset: 'hubspot', token: fake.hubspotToken, base_url: fake.url, ...extra });
const pipedrive = (extra: Record<string, unknown> = {}) => ({ preset: 'pipedrive', api_token: fake.pipedriveToken, base_url: fake.url, ...extra });
const generic = (extra: Record<string, unknown> = {}) => ({
  preset: 'generic',
  url: `${fake.url}/generic/leads`,
  auth: { type: 'bearer', token: fake.genericToken },
  update_url: `${fake.url}/generic/leads/{id}`,
  ...extra,
});

function failure(result: DeliveryResult) {
  if (result.ok) throw new Error(`expected a failure, got ${result.status}`);
  return result;
}

describe('crm-relay: HubSpot', () => {
  it('creates a contact from a lead, then a replay with the returned id updates that same contact', async () => {
    const first = await deliver(hubspot());
    expect(first.ok).toBe(true);
    // The id the hub stores for replays is the one HubSpot gave the contact it made.
    expect([...fake.contacts.keys()]).toEqual([first.recordId]);
    expect([...fake.contacts.values()].map((c) => c.properties)).toEqual([
      { firstname: 'Jane', lastname: 'Smith', phone: '+15555550123', email: 'jane@example.com' },
    ]);
    expect(fake.contacts.get(first.recordId!)?.id).toBe(first.recordId);
    const sent = fake.requests[0];
    expect([sent.method, sent.path, sent.headers.authorization]).toEqual(['POST', '/crm/v3/objects/contacts', `Bearer ${fake.hubspotToken}`]);

    const second = await deliver(hubspot(), leadMessage({ phone: '+15555559999' }, { previousRecordId: first.recordId }));
    expect(second).toMatchObject({ ok: true, status: 200, recordId: first.recordId });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/crm/v3/objects/contacts/${first.recordId}` });
    expect(fake.contacts.size).toBe(1);
    expect(fake.contacts.get(first.recordId!)?.properties.phone).toBe('+15555559999');
  });

  it('updates the contact that already has the email instead of creating a duplicate', async () => {
    const first = await deliver(hubspot());
    const again = await deliver(hubspot(), leadMessage({ name: 'Jane Q. Smith' }));
    expect(again).toMatchObject({ ok: true, recordId: first.recordId });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /crm/v3/objects/contacts',
      'POST /crm/v3/objects/contacts',
      `PATCH /crm/v3/objects/contacts/${first.recordId}`,
    ]);
    expect(fake.contacts.size).toBe(1);
    expect(fake.contacts.get(first.recordId!)?.properties).toMatchObject({ firstname: 'Jane', lastname: 'Q. Smith' });
  });

  it('re-creates a contact that was deleted in HubSpot since the first delivery', async () => {
    const first = await deliver(hubspot());
    fake.contacts.clear();
    const replay = await deliver(hubspot(), leadMessage({}, { previousRecordId: first.recordId }));
    expect(replay.ok).toBe(true);
    expect(replay.recordId).not.toBe(first.recordId);
    expect(fake.contacts.get(replay.recordId!)?.properties.email).toBe('jane@example.com');
    expect(fake.requests.slice(1).map((r) => r.method)).toEqual(['PATCH', 'POST']);
  });

  it('takes the fields from `data` in a nested envelope and applies the property map', async () => {
    const payload = {
      event: 'lead.captured',
      timestamp: '2026-05-03T14:22:08Z',
      workspace_id: 'ws_1',
      id: 'evt_1',
      data: { name: 'Ana', email: 'ana@example.com', intent: 'request_quote' },
    };
    const message = leadMessage({}, { payload, body: Buffer.from(JSON.stringify(payload)) });
    const result = await deliver(hubspot({ property_map: { intent: 'lead_intent' } }), message);
    expect(result.ok).toBe(true);
    expect(fake.contacts.get(result.recordId!)?.properties).toEqual({ firstname: 'Ana', email: 'ana@example.com', lead_intent: 'request_quote' });
  });

  it('refuses a lead without a valid email before calling HubSpot (final PAYLOAD)', async () => {
    for (const email of [undefined, 'not-an-email']) {
      const result = failure(await deliver(hubspot(), leadMessage({ email })));
      expect(result).toMatchObject({ retryable: false, errorCode: 'PAYLOAD' });
      expect(result.error).toMatch(/email/);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it("reports HubSpot's validation message as a final PAYLOAD failure", async () => {
    const result = failure(await deliver(hubspot({ property_map: { intent: 'no_such_property' } })));
    expect(result).toMatchObject({ retryable: false, errorCode: 'PAYLOAD', status: 400 });
    expect(result.error).toMatch(/^HubSpot rejected the record \(400\): Property values were not valid: .*no_such_property.*does not exist/);
  });

  it('a refused token is a final AUTH failure that says what to check', async () => {
    const result = failure(await deliver(hubspot({ token: 'pat-na1-wrong' })));
    expect(result).toMatchObject({ retryable: false, errorCode: 'AUTH', status: 401 });
    expect(result.error).toMatch(/token.*crm\.objects\.contacts\.write/);
    fake.setMode('auth');
    expect(failure(await deliver(hubspot()))).toMatchObject({ retryable: false, errorCode: 'AUTH' });
  });

  it('429 and 5xx are retryable, and Retry-After is passed on', async () => {
    fake.setMode('rate-limited');
    expect(failure(await deliver(hubspot()))).toMatchObject({ retryable: true, status: 429, retryAfterMs: 2000 });
    fake.setMode('server-error');
    expect(failure(await deliver(hubspot()))).toMatchObject({ retryable: true, status: 500 });
    const closed = await startCrmFake();
    await closed.close();
    expect(failure(await deliver(hubspot({ base_url: closed.url })))).toMatchObject({ retryable: true, errorCode: 'CONNECTION_REFUSED' });
  });

  it('records the body it sent but never the token', async () => {
    const result = await deliver(hubspot());
    expect(result.request.headers.authorization).toBe('[redacted]');
    expect(JSON.parse(result.request.body ?? '')).toEqual({
      properties: { firstname: 'Jane', lastname: 'Smith', phone: '+15555550123', email: 'jane@example.com' },
    });
    expect(JSON.stringify(result)).not.toContain(fake.hubspotToken);
  });

  it('testConnection reads one contact; a bad token gets an actionable message; nothing is written', async () => {
    const ok = await crmRelayConnector.testConnection(ctx, CrmRelayConfigSchema.parse(hubspot()));
    expect(ok.ok).toBe(true);
    expect(fake.requests.map((r) => `${r.method} ${r.path}?${r.query}`)).toEqual(['GET /crm/v3/objects/contacts?limit=1']);
    const bad = await crmRelayConnector.testConnection(ctx, CrmRelayConfigSchema.parse(hubspot({ token: 'pat-na1-wrong' })));
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/HubSpot refused the credentials \(401\).*Check that the private-app token/);
    expect(fake.contacts.size).toBe(0);
  });

  it('refuses a loopback base_url unless private destinations are allowed', async () => {
    const strict: DeliveryContext = { ...ctx, allowPrivateDestinations: false };
    const result = failure(await crmRelayConnector.deliver(strict, CrmRelayConfigSchema.parse(hubspot()), leadMessage()));
    expect(result).toMatchObject({ retryable: false, errorCode: 'PRIVATE_ADDRESS' });
    const test = await crmRelayConnector.testConnection(strict, CrmRelayConfigSchema.parse(hubspot()));
    expect(test.ok).toBe(false);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('crm-relay: Pipedrive', () => {
  it('creates a person, then a replay with the returned id updates it', async () => {
    const first = await deliver(pipedrive());
    expect(first).toMatchObject({ ok: true, status: 201 });
    const person = fake.persons.get(Number(first.recordId));
    expect(person).toMatchObject({
      name: 'Jane Smith',
      email: [{ value: 'jane@example.com', primary: true }],
      phone: [{ value: '+15555550123', primary: true }],
    });

    const second = await deliver(pipedrive(), leadMessage({ phone: '+15555559999' }, { previousRecordId: first.recordId }));
    expect(second).toMatchObject({ ok: true, status: 200, recordId: first.recordId });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PUT', path: `/api/v1/persons/${first.recordId}` });
    expect(fake.persons.size).toBe(1);
    expect(fake.persons.get(Number(first.recordId))?.phone).toEqual([{ value: '+15555559999', primary: true }]);
  });

  it('finds the person with the same email instead of creating a duplicate, and maps extra fields', async () => {
    const first = await deliver(pipedrive());
    const again = await deliver(pipedrive({ property_map: { intent: 'abc123intent' } }), leadMessage({ name: 'Jane Q. Smith' }));
    expect(again).toMatchObject({ ok: true, recordId: first.recordId });
    expect(fake.persons.size).toBe(1);
    expect(fake.persons.get(Number(first.recordId))).toMatchObject({ name: 'Jane Q. Smith', abc123intent: 'request_quote' });
    const search = fake.requests.find((r) => r.path === '/api/v1/persons/search');
    expect(Object.fromEntries(search?.query ?? [])).toMatchObject({ term: 'jane@example.com', fields: 'email', exact_match: 'true' });
  });

  it('re-creates a person deleted in Pipedrive', async () => {
    const first = await deliver(pipedrive());
    fake.persons.clear();
    const replay = await deliver(pipedrive(), leadMessage({}, { previousRecordId: first.recordId }));
    expect(replay.ok).toBe(true);
    expect(fake.persons.get(Number(replay.recordId))?.name).toBe('Jane Smith');
  });

  it('keeps the api_token out of the stored attempt (URL, headers, body, error)', async () => {
    const ok = await deliver(pipedrive());
    expect(ok.request.url).toMatch(/\/api\/v1\/persons\?api_token=\[redacted\]$/);
    expect(JSON.stringify(ok)).not.toContain(fake.pipedriveToken);
    fake.setMode('server-error');
    const failed = failure(await deliver(pipedrive()));
    expect(failed.retryable).toBe(true);
    expect(JSON.stringify(failed)).not.toContain(fake.pipedriveToken);
    expect(failed.request.url).toContain('api_token=[redacted]');
  });

  it('a wrong api_token is a final AUTH failure; testConnection names the user or says what to check', async () => {
    const result = failure(await deliver(pipedrive({ api_token: 'ffffffffffffffffffffffffffffffffffffffff' })));
    expect(result).toMatchObject({ retryable: false, errorCode: 'AUTH', status: 401 });
    expect(result.error).toMatch(/Pipedrive refused the credentials \(401\): unauthorized access\. Check the API token/);

    const ok = await crmRelayConnector.testConnection(ctx, CrmRelayConfigSchema.parse(pipedrive()));
    expect(ok).toMatchObject({ ok: true, message: 'Connected to Pipedrive as Pat Owner (Acme Plumbing).' });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/v1/users/me' });
    const bad = await crmRelayConnector.testConnection(ctx, CrmRelayConfigSchema.parse(pipedrive({ api_token: 'nope' })));
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/Check the API token/);
    expect(fake.persons.size).toBe(0);
  });

  it('429 is retryable with Retry-After', async () => {
    fake.setMode('rate-limited');
    expect(failure(await deliver(pipedrive()))).toMatchObject({ retryable: true, status: 429, retryAfterMs: 2000 });
  });
});

describe('crm-relay: generic endpoint', () => {
  it('POSTs the event with bearer auth, keeps the returned id, and sends a replay to update_url', async () => {
    const first = await deliver(generic());
    expect(first).toMatchObject({ ok: true, status: 201, recordId: expect.stringMatching(/^lead_\d+$/) });
    const id = first.recordId!;
    const sent = fake.requests[0];
    expect(sent.headers.authorization).toBe(`Bearer ${fake.genericToken}`);
    expect(sent.headers['webhook-id']).toBe('msg_x');
    expect(JSON.parse(sent.body)).toEqual(leadMessage().payload);
    expect(first.request.headers.authorization).toBe('[redacted]');

    const replay = await deliver(generic(), leadMessage({ phone: '+15555559999' }, { previousRecordId: id }));
    expect(replay).toMatchObject({ ok: true, status: 200, recordId: id });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/generic/leads/${id}` });
    expect(fake.leads.size).toBe(1);
    expect(fake.leads.get(id)?.body).toMatchObject({ phone: '+15555559999' });
  });

  it('re-creates a record the endpoint no longer has', async () => {
    const replay = await deliver(generic(), leadMessage({}, { previousRecordId: 'lead_gone' }));
    expect(replay.ok).toBe(true);
    expect([...fake.leads.keys()]).toEqual([replay.recordId]);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['PATCH /generic/leads/lead_gone', 'POST /generic/leads']);
  });

  it("422 is a final PAYLOAD failure with the endpoint's message; 401 is final AUTH; 500 is retryable", async () => {
    const invalid = failure(await deliver(generic(), leadMessage({ email: null })));
    expect(invalid).toMatchObject({ retryable: false, errorCode: 'PAYLOAD', status: 422 });
    expect(invalid.error).toContain('email is required and must be an address');
    expect(failure(await deliver(generic({ auth: { type: 'bearer', token: 'wrong' } })))).toMatchObject({ retryable: false, errorCode: 'AUTH' });
    fake.setMode('server-error');
    expect(failure(await deliver(generic()))).toMatchObject({ retryable: true, status: 500 });
  });

  it('testConnection probes without writing; a refused credential is not ok', async () => {
    const ok = await crmRelayConnector.testConnection(ctx, CrmRelayConfigSchema.parse(generic()));
    expect(ok.ok).toBe(true);
    expect(fake.requests.map((r) => r.method)).toEqual(['HEAD']);
    const bad = await crmRelayConnector.testConnection(ctx, CrmRelayConfigSchema.parse(generic({ auth: { type: 'bearer', token: 'wrong' } })));
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/refused the credentials \(401\).*auth settings/);
    expect(fake.leads.size).toBe(0);
  });
});

describe('crm-relay: config', () => {
  it('applies defaults', () => {
    expect(CrmRelayConfigSchema.parse({ preset: 'hubspot', token: 'pat-x' })).toEqual({
      preset: 'hubspot',
      token: 'pat-x',
      base_url: 'https://api.hubapi.com',
      property_map: {},
      timeout_ms: 10_000,
    });
    expect(CrmRelayConfigSchema.parse({ preset: 'generic', url: 'https://crm.example/leads' })).toMatchObject({
      method: 'POST',
      auth: { type: 'none' },
      update_method: 'PATCH',
      id_field: 'id',
    });
  });

  it.each([
    ['an unknown preset', { preset: 'salesforce', token: 'x' }, ['preset']],
    ['HubSpot without a token', { preset: 'hubspot' }, ['token']],
    ['a token with a space', { preset: 'hubspot', token: 'pat x' }, ['token']],
    ['a base_url that is not http(s)', { preset: 'pipedrive', api_token: 'abc', base_url: 'ftp://api.pipedrive.com' }, ['base_url']],
    ['an unknown key', { preset: 'pipedrive', api_token: 'abc', apitoken: 'abc' }, []],
    ['an update_url without {id}', { preset: 'generic', url: 'https://crm.example/leads', update_url: 'https://crm.example/leads/x' }, ['update_url']],
    ['a GET method', { preset: 'generic', url: 'https://crm.example/leads', method: 'GET' }, ['method']],
    ['a property name with spaces', { preset: 'hubspot', token: 'x', property_map: { intent: 'lead intent' } }, ['property_map', 'intent']],
    ['a timeout of 0', { preset: 'hubspot', token: 'x', timeout_ms: 0 }, ['timeout_ms']],
  ])('rejects %s', (_label, input, path) => {
    const result = CrmRelayConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path).toEqual(path);
  });

  it('declares credentials as secret and asks for previous record ids', () => {
    expect(crmRelayConnector).toMatchObject({ id: 'crm-relay', displayName: 'CRM relay', tracksRecords: true });
    expect(crmRelayConnector.secretFields).toEqual(expect.arrayContaining(['token', 'api_token', 'auth']));
  });
});

describe('crm-relay: contract harness', () => {
  it('points the HubSpot preset at a fake that counts written contacts and follows its mode', async () => {
    const vendor = await crmHarness.startVendor();
    try {
      const config = crmHarness.connector.configSchema.parse(vendor.config);
      const ok = await crmHarness.connector.deliver(ctx, config, crmHarness.message());
      expect(ok.ok).toBe(true);
      expect(vendor.written()).toBe(1);
      vendor.setMode('not-found');
      expect(failure(await crmHarness.connector.deliver(ctx, config, crmHarness.message()))).toMatchObject({ retryable: false, status: 404 });
      expect(vendor.written()).toBe(1);
    } finally {
      await vendor.close();
    }
  });
});
