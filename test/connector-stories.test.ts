import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmFake, type CrmFake } from './support/fakes/crm.ts';
import { startFakeGoogleSheets, type FakeGoogleSheets } from './support/fakes/google-sheets.ts';
import { startFakeZapierHook, type FakeZapierHook } from './support/fakes/zapier.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';

// A workspace owner connects the leads their chatbot publishes to Google Sheets, HubSpot and Zapier,
// through the API with an API key, against a running hub on the real database. The vendors are
// local fakes that the real connectors talk to.

const V = '/api/v1';
const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const JANE = { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' };
const OMAR = { name: 'Omar Diaz', email: 'omar@example.com', phone: '+442071838750', chatbot_name: 'Acme Plumbing Bot', intent: 'book_visit' };
const KEN = { name: 'Ken Adams', email: 'ken@example.com', phone: '+14155550199', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' };

type Method = 'get' | 'post' | 'patch' | 'delete';
type EventOut = {
  id: string;
  request_id: string;
  status: string;
  attempts: number;
  response_status: number | null;
  error_code: string | null;
  connection_id: string;
  destination_id: string;
};
type AttemptOut = {
  id: string;
  event_id: string;
  attempt_number: number;
  trigger: string;
  status: string;
  request: { method: string; url: string; headers: Record<string, string> };
  request_body: string | null;
  record_id: string | null;
  response: { status: number; body: string } | null;
  error: { code: string; message: string } | null;
};

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ retrySchedule: [0, 100, 100] });
});
afterAll(async () => {
  await hub?.close();
});

/** One workspace's owner, calling the API with their key. */
async function owner() {
  const ws = await newWorkspace(hub);
  const api = (method: Method, path: string) => hub.api(method, `${V}${path}`, ws.key);

  async function publish(eventType: string, data: Record<string, unknown>): Promise<string> {
    const res = await api('post', '/publish').send({ eventType, data, customerId: 'cus_a1b2c3' });
    expect(res.status, res.text).toBe(202);
    return res.body.eventId as string;
  }

  /** The application source, made by the first publish (here: the app announcing a conversation). */
  async function applicationSource(): Promise<string> {
    await publish('conversation.started', { started_at: '2026-05-03T14:19:55Z', channel: 'web' });
    const res = await api('get', '/sources?name=application');
    expect(res.body.models).toHaveLength(1);
    expect(res.body.models[0]).toMatchObject({ name: 'application', type: 'APPLICATION' });
    return res.body.models[0].id as string;
  }

  async function connect(name: string, sourceId: string, destinationId: string, eventType: string): Promise<string> {
    const res = await api('post', '/connections').send({
      name,
      source_id: sourceId,
      destination_id: destinationId,
      rules: [{ type: 'filter', body: { eventType } }],
    });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  }

  /** The delivery event a published event became on one connection. */
  async function eventOf(publishedId: string, connectionId: string): Promise<EventOut> {
    const request = await waitFor(
      async () => {
        const models = (await api('get', '/requests?include=data&limit=100')).body.models as { id: string; data: { body: { eventId?: string } } }[];
        return models.find((r) => r.data.body.eventId === publishedId);
      },
      10_000,
      `the request of ${publishedId}`,
    );
    return waitFor(
      async () => {
        const models = (await api('get', `/events?request_id=${request.id}&connection_id=${connectionId}`)).body.models as EventOut[];
        return models.length === 1 && models[0];
      },
      10_000,
      `the event of ${publishedId}`,
    );
  }

  /** Waits until the event is delivered or has failed for good, and checks which. */
  async function settled(eventId: string, status: 'SUCCESSFUL' | 'FAILED'): Promise<EventOut> {
    const ev = await waitFor(
      async () => {
        const got = (await api('get', `/events/${eventId}`)).body as EventOut;
        return ['SUCCESSFUL', 'FAILED', 'CANCELLED'].includes(got.status) && got;
      },
      10_000,
      `event ${eventId} to settle`,
    );
    expect(ev.status, `event ${eventId} (${ev.error_code ?? 'no error'})`).toBe(status);
    return ev;
  }

  const attempts = async (eventId: string) => (await api('get', `/attempts?event_id=${eventId}&dir=asc`)).body.models as AttemptOut[];

  return { ws, api, publish, applicationSource, connect, eventOf, settled, attempts };
}

describe('Google Sheets: every lead becomes a row under a header the owner can rely on', () => {
  const COLUMNS = ['name', 'email', 'phone', 'eventTimestamp'];
  let sheets: FakeGoogleSheets;
  let me: Awaited<ReturnType<typeof owner>>;
  let destinationId: string;
  let connectionId: string;
  const rows: string[][] = [];

  beforeAll(async () => {
    [sheets, me] = await Promise.all([startFakeGoogleSheets({ sheets: ['Leads'] }), owner()]);
  });
  afterAll(async () => {
    await sheets?.close();
  });

  /** A published lead's row as the sheet shows it. */
  const rowOf = async (lead: typeof JANE, eventId: string) => {
    const ev = (await me.api('get', `/events/${eventId}`)).body as { data: { body: { eventTimestamp: string } } };
    expect(ev.data.body.eventTimestamp).toMatch(ISO_SECONDS);
    return [lead.name, lead.email, lead.phone, ev.data.body.eventTimestamp];
  };

  it('creates the destination with the service account key, masked, but shows the address to share the sheet with', async () => {
    const key = sheets.serviceAccountKey();
    const res = await me.api('post', '/destinations').send({
      name: 'lead-sheet',
      type: 'google-sheets',
      // Read the header before every row, so a renamed column is caught on the very next lead.
      config: {
        credentials: key,
        spreadsheetId: sheets.spreadsheetId,
        sheetName: 'Leads',
        columns: COLUMNS,
        header_check_seconds: 0,
        api_root_url: sheets.url,
      },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ name: 'lead-sheet', type: 'google-sheets', warning: null, disabled_at: null });
    expect(res.body.config).toEqual({
      credentials: '••••',
      spreadsheetId: sheets.spreadsheetId,
      sheetName: 'Leads',
      columns: COLUMNS,
      header_check_seconds: 0,
      api_root_url: sheets.url,
      client_email: sheets.clientEmail,
    });
    for (const secret of [key.private_key_id, key.private_key.split('\n')[1]]) expect(res.text).not.toContain(secret);
    destinationId = res.body.id;
    expect((await me.api('get', `/destinations/${destinationId}`)).body.config).toEqual(res.body.config);
    connectionId = await me.connect('leads-to-sheet', await me.applicationSource(), destinationId, 'lead.captured');
  });

  it('writes the header row once, then one row per lead, with exact cells', async () => {
    for (const lead of [JANE, OMAR]) {
      const ev = await me.eventOf(await me.publish('lead.captured', lead), connectionId);
      await me.settled(ev.id, 'SUCCESSFUL');
      rows.push(await rowOf(lead, ev.id));
      const [attempt] = await me.attempts(ev.id);
      // The sheet range Google reports for the row: the record the attempt wrote.
      expect(attempt).toMatchObject({ status: 'SUCCESSFUL', record_id: `Leads!A${rows.length + 1}:D${rows.length + 1}`, error: null });
    }
    expect(sheets.grid('Leads')).toEqual([COLUMNS, ...rows]);
    expect(sheets.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([`/v4/spreadsheets/${sheets.spreadsheetId}/values/'Leads'!A1`]);
    expect(sheets.requests.filter((r) => r.path.endsWith(':append'))).toHaveLength(2);
  });

  it('refuses a lead once a header cell is renamed (SCHEMA_DRIFT), writes nothing, and warns on the destination', async () => {
    sheets.renameHeaderCell(1, 'E-mail', 'Leads');
    const ev = await me.eventOf(await me.publish('lead.captured', KEN), connectionId);
    const failed = await me.settled(ev.id, 'FAILED');
    expect(failed).toMatchObject({ attempts: 1, error_code: 'SCHEMA_DRIFT', destination_id: destinationId });
    const listed = (await me.api('get', `/events?destination_id=${destinationId}&status=failed`)).body.models as EventOut[];
    expect(listed.map((e) => [e.id, e.error_code])).toEqual([[failed.id, 'SCHEMA_DRIFT']]);

    const [attempt] = await me.attempts(failed.id);
    expect(attempt).toMatchObject({ attempt_number: 1, status: 'FAILED', record_id: null, error: { code: 'SCHEMA_DRIFT' } });
    expect(attempt.error?.message).toContain('column B is "E-mail", expected "email"');
    // Nothing was appended: the sheet is the header (as the owner left it) and the two earlier rows.
    expect(sheets.grid('Leads')).toEqual([['name', 'E-mail', 'phone', 'eventTimestamp'], ...rows]);
    expect(sheets.requests.filter((r) => r.path.endsWith(':append'))).toHaveLength(2);

    const destination = (await me.api('get', `/destinations/${destinationId}`)).body;
    expect(destination.warning).toBe(attempt.error?.message);
    expect(destination.warning).toContain('"E-mail"');
  });

  it('writes the refused lead when the header is restored and the event retried, and clears the warning', async () => {
    const [failed] = (await me.api('get', `/events?destination_id=${destinationId}&status=failed`)).body.models as EventOut[];
    sheets.renameHeaderCell(1, 'email', 'Leads');
    const retry = await me.api('post', `/events/${failed.id}/retry`);
    expect(retry.status).toBe(202);
    await me.settled(failed.id, 'SUCCESSFUL');
    rows.push(await rowOf(KEN, failed.id));
    expect(sheets.grid('Leads')).toEqual([COLUMNS, ...rows]);
    const tries = await me.attempts(failed.id);
    expect(tries.map((a) => [a.attempt_number, a.trigger, a.status, a.record_id])).toEqual([
      [1, 'initial', 'FAILED', null],
      [2, 'manual', 'SUCCESSFUL', 'Leads!A4:D4'],
    ]);
    expect((await me.api('get', `/destinations/${destinationId}`)).body.warning).toBeNull();
  });
});

describe('HubSpot: a lead is one contact, however often it is delivered', () => {
  let crm: CrmFake;
  let me: Awaited<ReturnType<typeof owner>>;
  let connectionId: string;
  let first: EventOut;
  let contactId: string;
  const properties = { firstname: 'Jane', lastname: 'Smith', phone: '+15555550123', email: 'jane@example.com' };

  beforeAll(async () => {
    [crm, me] = await Promise.all([startCrmFake(), owner()]);
  });
  afterAll(async () => {
    await crm?.close();
  });

  const contacts = () => [...crm.contacts.values()];
  const calls = () => crm.requests.map((r) => `${r.method} ${r.path}`);

  it("creates one contact with exactly the lead's properties, and records its id with the attempt", async () => {
    const res = await me
      .api('post', '/destinations')
      .send({ name: 'hubspot', type: 'crm-relay', config: { preset: 'hubspot', token: crm.hubspotToken, base_url: crm.url } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.config).toMatchObject({ preset: 'hubspot', base_url: crm.url, token: `${crm.hubspotToken.slice(0, 6)}…${crm.hubspotToken.slice(-4)}` });
    expect(res.text).not.toContain(crm.hubspotToken);
    connectionId = await me.connect('leads-to-hubspot', await me.applicationSource(), res.body.id, 'lead.captured');

    first = await me.eventOf(await me.publish('lead.captured', JANE), connectionId);
    await me.settled(first.id, 'SUCCESSFUL');
    expect(contacts().map((c) => c.properties)).toEqual([properties]);
    contactId = contacts()[0].id;
    expect(calls()).toEqual(['POST /crm/v3/objects/contacts']);

    const [attempt] = await me.attempts(first.id);
    expect(attempt).toMatchObject({
      status: 'SUCCESSFUL',
      record_id: contactId,
      request: { method: 'POST', url: `${crm.url}/crm/v3/objects/contacts` },
      response: { status: 201 },
    });
    expect(JSON.parse(attempt.request_body ?? '')).toEqual({ properties });
    expect(attempt.request.headers.authorization).toBe('[redacted]');
  });

  it('retrying the event updates that same contact', async () => {
    expect((await me.api('post', `/events/${first.id}/retry`)).status).toBe(202);
    const tries = await waitFor(
      async () => {
        const list = await me.attempts(first.id);
        return list.length === 2 && list;
      },
      10_000,
      'the retry',
    );
    expect(tries[1]).toMatchObject({
      trigger: 'manual',
      status: 'SUCCESSFUL',
      record_id: contactId,
      request: { method: 'PATCH', url: `${crm.url}/crm/v3/objects/contacts/${contactId}` },
      response: { status: 200 },
    });
    expect(contacts().map((c) => [c.id, c.properties])).toEqual([[contactId, properties]]);
    expect(calls()).toEqual(['POST /crm/v3/objects/contacts', `PATCH /crm/v3/objects/contacts/${contactId}`]);
  });

  it('replaying the request makes a new delivery that still updates the one contact', async () => {
    const replay = await me.api('post', `/requests/${first.request_id}/retry`);
    expect(replay.status, replay.text).toBe(202);
    expect(replay.body.events).toHaveLength(1);
    const again = replay.body.events[0] as EventOut;
    expect(again).toMatchObject({ connection_id: connectionId, request_id: first.request_id });
    expect(again.id).not.toBe(first.id);
    await me.settled(again.id, 'SUCCESSFUL');
    const [attempt] = await me.attempts(again.id);
    expect(attempt).toMatchObject({ trigger: 'manual', status: 'SUCCESSFUL', record_id: contactId, request: { method: 'PATCH' } });
    expect(contacts().map((c) => [c.id, c.properties])).toEqual([[contactId, properties]]);
    expect(calls()).toEqual(['POST /crm/v3/objects/contacts', `PATCH /crm/v3/objects/contacts/${contactId}`, `PATCH /crm/v3/objects/contacts/${contactId}`]);
  });
});

describe('Zapier REST hooks: a Zap subscribes, receives leads, and unsubscribes with 410', () => {
  let zap: FakeZapierHook;
  let me: Awaited<ReturnType<typeof owner>>;
  let hookId: string;
  const delivered: string[] = [];

  beforeAll(async () => {
    [zap, me] = await Promise.all([startFakeZapierHook(), owner()]);
  });
  afterAll(async () => {
    await zap?.close();
  });

  /** What Zapier receives for a published lead: one flat object whose `id` is the event's id. */
  const flat = (eventId: string, lead: Record<string, unknown>) => ({
    id: eventId,
    ...lead,
    eventType: 'lead.captured',
    eventTimestamp: expect.stringMatching(ISO_SECONDS),
    eventId,
    customerId: 'cus_a1b2c3',
  });

  it('subscribes a target URL to lead.captured and lists the subscription', async () => {
    const res = await me.api('post', '/hooks').send({ target_url: zap.hookUrl, event: 'lead.captured' });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^web_[0-9a-z]{26}$/),
      target_url: zap.hookUrl,
      event: 'lead.captured',
      created_at: expect.any(String),
    });
    hookId = res.body.id;
    expect((await me.api('get', '/hooks')).body).toEqual({ models: [res.body], count: 1 });
  });

  it('delivers each published lead as the flat envelope with id = eventId', async () => {
    for (const lead of [JANE, OMAR]) {
      const eventId = await me.publish('lead.captured', lead);
      delivered.push(eventId);
      const body = await waitFor(() => zap.accepted.find((b) => b.id === eventId), 10_000, `${eventId} at Zapier`);
      expect(body).toEqual(flat(eventId, lead));
    }
    expect(zap.accepted).toHaveLength(2);
    const [sent] = zap.received;
    expect(sent.headers).toMatchObject({ 'content-type': 'application/json', 'x-wirehub-event': 'lead.captured', 'webhook-id': delivered[0] });
  });

  it('serves recent leads as samples, newest first, exactly as delivered; the catalogue sample when there are none', async () => {
    const samples = await me.api('get', '/hooks/samples/lead.captured');
    expect(samples.status).toBe(200);
    expect(samples.body).toEqual([zap.accepted[1], zap.accepted[0]]);
    expect(samples.body.map((s: { id: string }) => s.id)).toEqual([delivered[1], delivered[0]]);

    const { id: dealId, ...deal } = (await me.api('get', '/event-types/deal.won')).body.sample as Record<string, unknown>;
    expect(dealId).toEqual(expect.any(String));
    const none = await me.api('get', '/hooks/samples/deal.won');
    expect(none.status).toBe(200);
    expect(none.body).toHaveLength(1);
    const [sample] = none.body;
    // The deal's own id moves to record_id: Zapier de-duplicates on `id`, which is the event's.
    expect(sample).toEqual({
      ...deal,
      record_id: dealId,
      id: sample.eventId,
      eventType: 'deal.won',
      eventTimestamp: expect.stringMatching(ISO_SECONDS),
      eventId: expect.stringMatching(/^msg_[0-9a-z]{26}$/),
      customerId: me.ws.teamId,
    });
  });

  it('removes the subscription, its connection and destination when Zapier answers 410, without retrying', async () => {
    const connection = (await me.api('get', `/connections/${hookId}`)).body;
    expect(connection.destination.type).toBe('zapier');
    const destinationId = connection.destination.id as string;
    zap.unsubscribe();
    const eventId = await me.publish('lead.captured', KEN);
    await waitFor(async () => (await me.api('get', '/hooks')).body.count === 0, 10_000, 'the subscription removed');
    expect((await me.api('get', '/hooks')).body).toEqual({ models: [], count: 0 });
    expect((await me.api('get', `/connections/${hookId}`)).status).toBe(404);
    expect((await me.api('get', `/destinations/${destinationId}`)).status).toBe(404);

    const ev = await me.eventOf(eventId, hookId);
    // Final at the first attempt: nothing is scheduled, and Zapier was asked exactly once.
    expect(ev).toMatchObject({ status: 'FAILED', attempts: 1, response_status: 410, error_code: 'HTTP_STATUS' });
    expect((await me.api('get', `/events/${ev.id}`)).body.next_attempt_at).toBeNull();
    expect(zap.received.filter((r) => r.headers['webhook-id'] === eventId)).toHaveLength(1);
    expect(zap.accepted).toHaveLength(2);
  });

  it('unsubscribes on DELETE, and answers an unknown subscription with 404', async () => {
    const sub = await me.api('post', '/hooks').send({ target_url: zap.hookUrl, event: 'deal.won' });
    expect(sub.status).toBe(201);
    expect((await me.api('delete', `/hooks/${sub.body.id}`)).body).toEqual({ id: sub.body.id, deleted: true });
    const again = await me.api('delete', `/hooks/${sub.body.id}`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ error: { code: 'NOT_FOUND', message: `Subscription ${sub.body.id} was not found` } });
    const unknown = `web_${'0'.repeat(26)}`;
    const res = await me.api('delete', `/hooks/${unknown}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: `Subscription ${unknown} was not found` } });
    expect((await me.api('get', '/hooks')).body.count).toBe(0);
  });

  it('refuses bad subscriptions with the JSON error shape, and subscribes nothing', async () => {
    const missing = await me.api('post', '/hooks').send({ event: 'lead.captured' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringContaining('target url') });
    expect(missing.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.target_url']);

    const notHttp = await me.api('post', '/hooks').send({ target_url: 'ftp://hooks.zapier.com/x', event: 'lead.captured' });
    expect(notHttp.status).toBe(400);
    expect(notHttp.body.error.details).toEqual([expect.objectContaining({ path: 'body.target_url', message: 'must be an http:// or https:// URL' })]);

    const extra = await me.api('post', '/hooks').send({ target_url: zap.hookUrl, event: 'lead.captured', secret: 'x' });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.secret']);

    const unknownEvent = await me.api('post', '/hooks').send({ target_url: zap.hookUrl, event: 'lead.lost' });
    expect(unknownEvent.status).toBe(422);
    expect(unknownEvent.body.error).toMatchObject({ code: 'UNKNOWN_EVENT_TYPE', message: expect.stringContaining('"lead.lost"') });

    const unknownSamples = await me.api('get', '/hooks/samples/lead.lost');
    expect(unknownSamples.status).toBe(422);
    expect(unknownSamples.body.error.code).toBe('UNKNOWN_EVENT_TYPE');

    expect((await me.api('get', '/hooks')).body).toEqual({ models: [], count: 0 });
  });
});
