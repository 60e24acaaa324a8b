import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmFake, type CrmFake } from './support/fakes/crm.ts';
import { startFakeGoogleSheets, type FakeGoogleSheets } from './support/fakes/google-sheets.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';

// A workspace owner saves a Google service account and CRM tokens once, in Settings, and points
// destinations at them with `credential_id`. Replacing a token in Settings reaches every destination
// using it; nothing of it leaks into responses or into another workspace.

const V = '/api/v1';
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type EventOut = { id: string; status: string; error_code: string | null };

let hub: TestHub;
let sheets: FakeGoogleSheets;
let otherSheets: FakeGoogleSheets;
let crm: CrmFake;

beforeAll(async () => {
  [hub, sheets, otherSheets, crm] = await Promise.all([
    startTestHub({ retrySchedule: [0, 100, 100] }),
    startFakeGoogleSheets({ sheets: ['Leads'] }),
    startFakeGoogleSheets(),
    startCrmFake(),
  ]);
});
afterAll(async () => {
  await Promise.all([hub?.close(), sheets?.close(), otherSheets?.close(), crm?.close()]);
});

/** A fresh workspace, its API, and a connection from its published lead.captured events to a destination. */
async function workspace() {
  const ws = await newWorkspace(hub);
  const api = (method: Method, path: string) => hub.api(method, `${V}${path}`, ws.key);
  let sourceId: string | undefined;

  const publishLead = async (email: string) => {
    const res = await api('post', '/publish').send({ eventType: 'lead.captured', data: { name: 'Jane Smith', email }, customerId: 'cus_1' });
    expect(res.status, res.text).toBe(202);
  };
  const connect = async (destinationId: string): Promise<string> => {
    if (!sourceId) {
      await publishLead('warmup@example.com');
      sourceId = (await api('get', '/sources?name=application')).body.models[0].id as string;
    }
    const res = await api('post', '/connections').send({
      name: `to-${destinationId}`,
      source_id: sourceId,
      destination_id: destinationId,
      rules: [{ type: 'filter', body: { eventType: 'lead.captured' } }],
    });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  };
  /** The nth (1-based) event on the connection, once it has settled. */
  const settled = (connectionId: string, nth: number) =>
    waitFor(
      async () => {
        const models = (await api('get', `/events?connection_id=${connectionId}&dir=asc&limit=50`)).body.models as EventOut[];
        const ev = models[nth - 1];
        return ev && ['SUCCESSFUL', 'FAILED'].includes(ev.status) && ev;
      },
      15_000,
      `event ${nth} on ${connectionId}`,
    );

  return { ...ws, api, publishLead, connect, settled };
}

describe('a Google service account saved in Settings', () => {
  let me: Awaited<ReturnType<typeof workspace>>;
  let credentialId: string;
  let destinationId: string;

  beforeAll(async () => {
    me = await workspace();
  });

  it('is stored from the pasted JSON text and shown by its client_email, never its key', async () => {
    const key = sheets.serviceAccountKey();
    const res = await me.api('post', '/credentials').send({ kind: 'google-service-account', secret: JSON.stringify(key) });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^cred_[0-9a-z]{26}$/),
      kind: 'google-service-account',
      name: sheets.clientEmail,
      hint: sheets.clientEmail,
      client_email: sheets.clientEmail,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      used_by: [],
    });
    credentialId = res.body.id;
    const list = await me.api('get', '/credentials');
    expect(list.body).toEqual({ models: [res.body], count: 1 });
    for (const text of [res.text, list.text]) expect(text).not.toContain(key.private_key.split('\n')[1]);
    // Sealed at rest as well.
    const row = await hub.deps.db.selectFrom('credentials').select('secret_enc').where('id', '=', credentialId).executeTakeFirstOrThrow();
    expect(row.secret_enc).toMatch(/^v1\./);
    expect(row.secret_enc).not.toContain('PRIVATE KEY');
  });

  it('feeds a destination made with credential_id "default", which delivers rows', async () => {
    const res = await me.api('post', '/destinations').send({
      name: 'lead-sheet',
      type: 'google-sheets',
      config: { credential_id: 'default', spreadsheetId: sheets.spreadsheetId, sheetName: 'Leads', columns: ['name', 'email'], api_root_url: sheets.url },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.config).toEqual({
      credentials: '••••',
      credential_id: credentialId,
      spreadsheetId: sheets.spreadsheetId,
      sheetName: 'Leads',
      columns: ['name', 'email'],
      header_check_seconds: 30,
      api_root_url: sheets.url,
      client_email: sheets.clientEmail,
    });
    destinationId = res.body.id;

    const connectionId = await me.connect(destinationId);
    await me.publishLead('jane@example.com');
    expect(await me.settled(connectionId, 1)).toMatchObject({ status: 'SUCCESSFUL' });
    expect(sheets.grid('Leads')).toEqual([
      ['name', 'email'],
      ['Jane Smith', 'jane@example.com'],
    ]);
    expect((await me.api('get', `/credentials/${credentialId}`)).body.used_by).toEqual([destinationId]);
  });

  it('cannot be deleted while a destination uses it; the answer names the destination', async () => {
    const res = await me.api('delete', `/credentials/${credentialId}`);
    expect(res.status, res.text).toBe(409);
    expect(res.body.error.code).toBe('CREDENTIAL_IN_USE');
    expect(res.body.error.message).toContain('"lead-sheet"');
    expect(res.body.error.details).toEqual({ used_by: [{ id: destinationId, name: 'lead-sheet' }] });
    expect((await me.api('get', `/credentials/${credentialId}`)).status).toBe(200);
  });

  it('replaced by another key, re-seals the destination with it', async () => {
    const res = await me.api('put', `/credentials/${credentialId}`).send({ secret: otherSheets.serviceAccountKey() });
    expect(res.status, res.text).toBe(200);
    // Its name was the old key's e-mail, so it follows the new key.
    expect(res.body).toMatchObject({
      id: credentialId,
      hint: otherSheets.clientEmail,
      client_email: otherSheets.clientEmail,
      name: otherSheets.clientEmail,
      used_by: [destinationId],
    });
    const dest = await me.api('get', `/destinations/${destinationId}?include=config.auth`);
    expect(dest.body.config.credentials.client_email).toBe(otherSheets.clientEmail);
    expect(dest.body.config.client_email).toBe(otherSheets.clientEmail);

    // Renaming leaves the key alone; the kind cannot change.
    const renamed = await me.api('patch', `/credentials/${credentialId}`).send({ name: 'Sheets writer' });
    expect(renamed.body).toMatchObject({ name: 'Sheets writer', hint: otherSheets.clientEmail });
    const rekind = await me.api('put', `/credentials/${credentialId}`).send({ kind: 'hubspot', secret: 'pat-abc' });
    expect(rekind.status, rekind.text).toBe(422);
    expect(rekind.body.error).toMatchObject({ code: 'KIND_IMMUTABLE', details: [{ path: 'body.kind' }] });
  });

  it('is free to delete once no destination uses it', async () => {
    expect((await me.api('delete', `/destinations/${destinationId}`)).status).toBe(200);
    expect((await me.api('delete', `/credentials/${credentialId}`)).body).toEqual({ id: credentialId, deleted: true });
    expect((await me.api('get', `/credentials/${credentialId}`)).status).toBe(404);
    const again = await me
      .api('post', '/destinations')
      .send({ name: 'no-key', type: 'google-sheets', config: { credential_id: 'default', spreadsheetId: sheets.spreadsheetId, columns: ['email'] } });
    expect(again.status, again.text).toBe(422);
    expect(again.body.error).toMatchObject({ code: 'NO_CREDENTIAL', details: [{ path: 'body.config.credential_id', message: expect.any(String) }] });
    expect(again.body.error.message).toMatch(/Settings/);
  });
});

describe('CRM tokens saved in Settings', () => {
  let me: Awaited<ReturnType<typeof workspace>>;
  const wrongToken = 'pat-na1-00000000-0000-0000-0000-000000000000';

  beforeAll(async () => {
    me = await workspace();
  });

  it('a replaced HubSpot token is what the very next delivery sends', async () => {
    const cred = await me.api('post', '/credentials').send({ kind: 'hubspot', name: 'Sales portal', secret: wrongToken });
    expect(cred.status, cred.text).toBe(201);
    expect(cred.body).toMatchObject({ kind: 'hubspot', name: 'Sales portal', hint: 'pat-na…0000' });
    expect(cred.text).not.toContain(wrongToken);

    const dest = await me
      .api('post', '/destinations')
      .send({ name: 'hubspot', type: 'crm-relay', config: { preset: 'hubspot', credential_id: cred.body.id, base_url: crm.url } });
    expect(dest.status, dest.text).toBe(201);
    expect(dest.body.config).toMatchObject({ preset: 'hubspot', credential_id: cred.body.id, token: 'pat-na…0000' });
    const connectionId = await me.connect(dest.body.id);

    const hubspotAuth = () => crm.requests.filter((r) => r.path.startsWith('/crm/')).map((r) => r.headers.authorization);
    await me.publishLead('first@example.com');
    expect(await me.settled(connectionId, 1)).toMatchObject({ status: 'FAILED' });
    expect(hubspotAuth().at(-1)).toBe(`Bearer ${wrongToken}`);

    const fixed = await me.api('put', `/credentials/${cred.body.id}`).send({ secret: crm.hubspotToken });
    expect(fixed.status, fixed.text).toBe(200);
    expect(fixed.body).toMatchObject({ name: 'Sales portal', hint: `${crm.hubspotToken.slice(0, 6)}…${crm.hubspotToken.slice(-4)}`, used_by: [dest.body.id] });
    await me.publishLead('second@example.com');
    expect(await me.settled(connectionId, 2)).toMatchObject({ status: 'SUCCESSFUL' });
    expect(hubspotAuth().at(-1)).toBe(`Bearer ${crm.hubspotToken}`);
    expect([...crm.contacts.values()].map((c) => c.properties.email)).toContain('second@example.com');

    // A token typed into the destination itself detaches it from the saved credential.
    const own = await me.api('patch', `/destinations/${dest.body.id}`).send({ config: { token: crm.hubspotToken } });
    expect(own.status, own.text).toBe(200);
    expect(own.body.config.credential_id).toBeUndefined();
    expect((await me.api('get', `/credentials/${cred.body.id}`)).body.used_by).toEqual([]);
  });

  it('a Pipedrive token goes where Pipedrive takes it; a HubSpot token is refused for Pipedrive', async () => {
    const none = await me
      .api('post', '/destinations')
      .send({ name: 'pipedrive', type: 'crm-relay', config: { preset: 'pipedrive', credential_id: 'default', base_url: crm.url } });
    expect(none.status, none.text).toBe(422);
    expect(none.body.error.code).toBe('NO_CREDENTIAL');
    expect(none.body.error.message).toMatch(/No Pipedrive API token .* Settings/);

    const hubspotCred = (await me.api('get', '/credentials?kind=hubspot')).body.models[0].id as string;
    const wrongKind = await me
      .api('post', '/destinations')
      .send({ name: 'pipedrive', type: 'crm-relay', config: { preset: 'pipedrive', credential_id: hubspotCred, base_url: crm.url } });
    expect(wrongKind.status, wrongKind.text).toBe(422);
    expect(wrongKind.body.error).toMatchObject({ code: 'WRONG_CREDENTIAL_KIND', details: [{ path: 'body.config.credential_id' }] });

    const cred = await me.api('post', '/credentials').send({ kind: 'pipedrive', secret: crm.pipedriveToken });
    expect(cred.body).toMatchObject({ kind: 'pipedrive', name: 'Pipedrive API token' });
    const dest = await me
      .api('put', '/destinations')
      .send({ name: 'pipedrive', type: 'crm-relay', config: { preset: 'pipedrive', credential_id: 'default', base_url: crm.url } });
    expect(dest.status, dest.text).toBe(201);
    expect(dest.body.config.credential_id).toBe(cred.body.id);
    const connectionId = await me.connect(dest.body.id);
    await me.publishLead('omar@example.com');
    expect(await me.settled(connectionId, 1)).toMatchObject({ status: 'SUCCESSFUL' });
    expect(
      crm.requests
        .filter((r) => r.path.startsWith('/api/v1/'))
        .at(-1)
        ?.query.get('api_token'),
    ).toBe(crm.pipedriveToken);
  });

  it('destinations saved while their credential is replaced all end up with the new token', async () => {
    const cred = await me.api('post', '/credentials').send({ kind: 'hubspot', name: 'Racing', secret: 'pat-old-token' });
    expect(cred.status, cred.text).toBe(201);
    const creates = Array.from({ length: 8 }, (_, i) =>
      me
        .api('post', '/destinations')
        .send({ name: `racing-${i}`, type: 'crm-relay', config: { preset: 'hubspot', credential_id: cred.body.id, base_url: crm.url } }),
    );
    const replace = me.api('put', `/credentials/${cred.body.id}`).send({ secret: 'pat-new-token' });
    const [replaced, ...made] = await Promise.all([replace, ...creates]);
    expect(replaced.status, replaced.text).toBe(200);
    for (const res of made) {
      expect(res.status, res.text).toBe(201);
      const full = await me.api('get', `/destinations/${res.body.id}?include=config.auth`);
      expect(full.body.config.token).toBe('pat-new-token');
    }
    expect((await me.api('get', `/credentials/${cred.body.id}`)).body.used_by).toHaveLength(8);
  });

  it('the generic preset and plain webhooks do not take a saved credential', async () => {
    const cred = (await me.api('get', '/credentials?kind=hubspot')).body.models[0].id as string;
    const res = await me.api('post', '/destinations').send({ name: 'hook', config: { url: 'https://example.com/hook', credential_id: cred } });
    expect(res.status, res.text).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'CREDENTIAL_NOT_SUPPORTED', details: [{ path: 'body.config.credential_id' }] });
  });
});

describe('workspace isolation', () => {
  it("another workspace's credential can be neither read, changed, deleted nor used", async () => {
    const [a, b] = await Promise.all([workspace(), workspace()]);
    const cred = await a.api('post', '/credentials').send({ kind: 'hubspot', secret: crm.hubspotToken });
    expect(cred.status, cred.text).toBe(201);
    const id = cred.body.id as string;

    expect((await b.api('get', `/credentials/${id}`)).status).toBe(404);
    expect((await b.api('put', `/credentials/${id}`).send({ secret: 'stolen-token' })).status).toBe(404);
    expect((await b.api('delete', `/credentials/${id}`)).status).toBe(404);
    expect((await b.api('get', '/credentials')).body).toEqual({ models: [], count: 0 });

    for (const ref of [id, 'default']) {
      const res = await b
        .api('post', '/destinations')
        .send({ name: `hs-${ref.slice(0, 4)}`, type: 'crm-relay', config: { preset: 'hubspot', credential_id: ref, base_url: crm.url } });
      expect(res.status, res.text).toBe(422);
      expect(res.body.error.code).toBe('NO_CREDENTIAL');
    }
    expect((await b.api('get', '/destinations')).body.models).toEqual([]);
    expect((await a.api('get', `/credentials/${id}`)).body).toMatchObject({
      hint: `${crm.hubspotToken.slice(0, 6)}…${crm.hubspotToken.slice(-4)}`,
      used_by: [],
    });
  });
});
