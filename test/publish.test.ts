import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { housekeeping } from '../server/jobs/housekeeping.job.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const BUILTINS = [
  'lead.captured',
  'escalation.created',
  'conversation.started',
  'conversation.ended',
  'message.rated',
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'deal.created',
  'deal.updated',
  'deal.stage_changed',
  'deal.won',
  'deal.lost',
  'deal.deleted',
  'form.submitted',
  'hub.webhook.disabled',
  'hub.delivery.failed',
];

type EventType = {
  name: string;
  group: string;
  description: string;
  schema: Record<string, unknown> | null;
  sample: Record<string, unknown>;
  builtin: boolean;
};

// A workspace's own application publishes events; they reach its connections like any webhook.
describe('an application publishes its events through the catalogue', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let other: Awaited<ReturnType<typeof newWorkspace>>;
  let readOnlyKey: string;
  let appSourceId: string;
  let leadsConnection: string;
  let escalationsConnection: string;

  beforeAll(async () => {
    [hub, receiver] = await Promise.all([startTestHub(), startReceiver()]);
    ws = await newWorkspace(hub);
    other = await newWorkspace(hub);
    const ro = await hub.api('post', '/api/v1/api-keys', ws.token).send({ name: 'dashboard', scopes: ['read'] });
    expect(ro.status).toBe(201);
    readOnlyKey = ro.body.key;
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  const api = (m: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, key = ws.key) => hub.api(m, `/api/v1${url}`, key);
  const publish = (body: object, key = ws.key) => api('post', '/publish', key).send(body);
  const appRequests = async () =>
    (await api('get', `/requests?source_id=${appSourceId}&limit=255&include=data`)).body.models as {
      id: string;
      events_count: number;
      ignored_count: number;
      data: { method: string; path: string; headers: Record<string, string>; body: Record<string, unknown> };
    }[];
  const catalogue = async (key = ws.key) => {
    const res = await api('get', '/event-types', key);
    expect(res.status).toBe(200);
    return res.body as { models: EventType[]; count: number };
  };

  it('lists the 17 built-in event types, grouped, each with a sample that its own schema accepts', async () => {
    const { models, count } = await catalogue();
    expect(count).toBe(17);
    expect(models.map((t) => t.name)).toEqual(BUILTINS);
    expect(new Set(models.map((t) => t.group))).toEqual(new Set(['chat', 'contacts', 'deals', 'forms', 'hub']));
    expect(models.filter((t) => t.group === 'chat').map((t) => t.name)).toEqual(BUILTINS.slice(0, 5));
    // An independent validator (a fresh Ajv, as a receiver would use) accepts every sample.
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormatsModule.default(ajv);
    for (const t of models) {
      expect(t.builtin).toBe(true);
      expect(t.description).toEqual(expect.any(String));
      expect(t.schema?.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(Object.keys(t.sample).length, t.name).toBeGreaterThan(0);
      const validate = ajv.compile(t.schema as object);
      expect(validate(t.sample), `${t.name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    const lead = models[0];
    expect(lead.sample).toMatchObject({
      name: 'Jane Smith',
      email: 'jane@example.com',
      phone: '+15555550123',
      chatbot_name: 'Acme Plumbing Bot',
      intent: 'request_quote',
    });

    const one = await api('get', '/event-types/deal.stage_changed');
    expect(one.status).toBe(200);
    expect(one.body).toEqual(models.find((t) => t.name === 'deal.stage_changed'));
    expect((await api('get', '/event-types/no.such.type')).status).toBe(404);
    expect((await api('get', '/event-types/bad%20name')).status).toBe(404);
    // Reading the catalogue needs only the read scope.
    expect((await catalogue(readOnlyKey)).count).toBe(17);
  });

  it('declares a custom event type; duplicates, bad schemas and mismatched samples are refused', async () => {
    const schema = {
      type: 'object',
      properties: { invoice_id: { type: 'string' }, amount: { type: 'number', minimum: 0 }, paid_at: { type: 'string', format: 'date-time' } },
      required: ['invoice_id', 'amount'],
    };
    const sample = { invoice_id: 'inv_1001', amount: 249.5, paid_at: '2026-05-03T14:22:08Z' };
    const created = await api('post', '/event-types').send({ name: 'invoice.paid', description: 'An invoice was paid.', schema, sample });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'invoice.paid', group: 'custom', description: 'An invoice was paid.', schema, sample, builtin: false });

    const listed = await catalogue();
    expect(listed.count).toBe(18);
    expect(listed.models.at(-1)).toEqual(created.body);
    expect((await api('get', '/event-types/invoice.paid')).body).toEqual(created.body);

    const again = await api('post', '/event-types').send({ name: 'invoice.paid', sample });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('RESOURCE_ALREADY_EXISTS');
    const builtin = await api('post', '/event-types').send({ name: 'lead.captured', sample: {} });
    expect(builtin.status).toBe(409);
    expect(builtin.body.error.message).toMatch(/built-in/);

    const badSchema = await api('post', '/event-types').send({
      name: 'bad.schema',
      schema: { type: 'object', properties: { a: { type: 'strnig' } } },
      sample: { a: 'x' },
    });
    expect(badSchema.status).toBe(422);
    expect(badSchema.body.error.code).toBe('INVALID_SCHEMA');
    expect(badSchema.body.error.details.map((d: { path: string }) => d.path)).toContain('schema.properties.a.type');
    const badRef = await api('post', '/event-types').send({ name: 'bad.ref', schema: { $ref: '#/$defs/nowhere' }, sample: {} });
    expect(badRef.status).toBe(422);
    expect(badRef.body.error.message).toMatch(/can't resolve reference/);

    const mismatch = await api('post', '/event-types').send({ name: 'invoice.refunded', schema, sample: { amount: -3 } });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error.code).toBe('INVALID_SAMPLE');
    expect(mismatch.body.error.details).toEqual([
      { path: 'sample.invoice_id', message: 'is required', code: 'required' },
      { path: 'sample.amount', message: 'must be >= 0', code: 'minimum' },
    ]);

    const badName = await api('post', '/event-types').send({ name: 'has spaces', sample: {} });
    expect(badName.status).toBe(400);
    expect(badName.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.name']);
    expect((await api('post', '/event-types').send({ name: 'no.sample' })).body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.sample']);

    // A draft-07 schema is accepted as such; no schema at all means any object.
    expect(
      (
        await api('post', '/event-types').send({
          name: 'legacy.ping',
          schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', required: ['at'] },
          sample: { at: 1 },
        })
      ).status,
    ).toBe(201);
    expect((await api('post', '/event-types').send({ name: 'free.form', sample: { anything: ['goes'] } })).status).toBe(201);
    const removed = await api('delete', '/event-types/free.form');
    expect(removed.body).toEqual({ name: 'free.form', deleted: true });
    expect((await api('get', '/event-types/free.form')).status).toBe(404);
    const undeletable = await api('delete', '/event-types/lead.captured');
    expect(undeletable.status).toBe(403);
    expect(undeletable.body.error.message).toMatch(/built-in/);
  });

  it('makes the application source on the first publish; it is listed, but refuses ingest from outside', async () => {
    expect((await api('get', '/sources')).body.models).toEqual([]);
    const first = await publish({ eventType: 'conversation.started', data: { started_at: '2026-05-03T14:19:55Z', channel: 'web' } });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ eventId: expect.stringMatching(/^msg_[0-9a-z]{26}$/) });

    const sources = (await api('get', '/sources')).body.models;
    expect(sources).toHaveLength(1);
    expect(sources[0]).toMatchObject({ name: 'application', type: 'APPLICATION' });
    appSourceId = sources[0].id;

    // Stored like an inbound request: POST /<eventType>, the envelope as its JSON body.
    const [request] = await appRequests();
    expect(request.data.method).toBe('POST');
    expect(request.data.path).toBe('/conversation.started');
    expect(request.data.headers).toEqual({ 'content-type': 'application/json', 'x-wirehub-event': 'conversation.started' });
    expect(request.data.body).toEqual({
      eventType: 'conversation.started',
      eventId: first.body.eventId,
      eventTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      customerId: ws.teamId, // the default
      data: { started_at: '2026-05-03T14:19:55Z', channel: 'web' },
    });

    const outside = await hub.api('post', `/e/${appSourceId}`).set('content-type', 'application/json').send({ eventType: 'lead.captured', data: {} });
    expect(outside.status).toBe(403);
    expect(outside.body.error.code).toBe('APPLICATION_SOURCE');
    expect(outside.body.error.message).toMatch(/POST \/api\/v1\/publish/);
    expect(await appRequests()).toHaveLength(1);

    // It stays the built-in source: not deletable, its type fixed, and no other source may take the type.
    expect((await api('delete', `/sources/${appSourceId}`)).status).toBe(403);
    expect((await api('patch', `/sources/${appSourceId}`).send({ type: 'WEBHOOK' })).status).toBe(409);
    const renamed = await api('patch', `/sources/${appSourceId}`).send({ description: 'Our app' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.type).toBe('APPLICATION');
    const impostor = await api('post', '/sources').send({ name: 'impostor', type: 'APPLICATION' });
    expect(impostor.status).toBe(400);
    expect(impostor.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.type']);
  });

  it('delivers a published lead.captured to the connection filtered on it, and ignores it on another', async () => {
    const leads = await api('post', '/destinations').send({ name: 'crm-leads', config: { url: `${receiver.url}/leads` } });
    const escalations = await api('post', '/destinations').send({ name: 'helpdesk', config: { url: `${receiver.url}/escalations` } });
    const con = async (name: string, destination: string, eventType: string) => {
      const res = await api('post', '/connections').send({
        name,
        source_id: appSourceId,
        destination_id: destination,
        rules: [{ type: 'filter', body: { eventType } }],
      });
      expect(res.status, res.text).toBe(201);
      expect(res.body.full_name).toBe(`application -> ${name}`);
      return res.body.id as string;
    };
    leadsConnection = await con('leads-to-crm', leads.body.id, 'lead.captured');
    escalationsConnection = await con('escalations-to-helpdesk', escalations.body.id, 'escalation.created');

    const data = { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' };
    const res = await publish({ eventType: 'lead.captured', data, customerId: 'cus_a1b2c3', chatbotId: 'bot_xyz', conversationId: 'conv_abc' });
    expect(res.status).toBe(202);
    const { eventId } = res.body;

    const delivered = await waitFor(() => receiver.received.find((r) => r.body.toString().includes(eventId)), 10_000, 'lead delivered');
    expect(delivered.url).toBe('/leads');
    expect(delivered.headers['content-type']).toBe('application/json');
    const body = JSON.parse(delivered.body.toString());
    // Without mappings, every data field goes out in seed 004's flat envelope.
    expect(body).toEqual({
      ...data,
      eventType: 'lead.captured',
      eventTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      eventId,
      customerId: 'cus_a1b2c3',
      chatbotId: 'bot_xyz',
      conversationId: 'conv_abc',
    });
    expect(delivered.headers['x-wirehub-event']).toBe('lead.captured');
    expect(Math.abs(Date.parse(body.eventTimestamp) - Date.now())).toBeLessThan(60_000);

    // Signed like every delivery, and logged like every event.
    const events = (await api('get', `/events?source_id=${appSourceId}`)).body.models;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ connection_id: leadsConnection, source_id: appSourceId });
    // The published event's id, so a receiver sees one id however often it is retried or replayed.
    expect(delivered.headers['webhook-id']).toBe(eventId);
    const secret = (await api('get', '/project-secrets?reveal=true')).body.signing_secret.value as string;
    expect(
      new Webhook(secret).verify(delivered.body.toString(), {
        'webhook-id': String(delivered.headers['webhook-id']),
        'webhook-timestamp': String(delivered.headers['webhook-timestamp']),
        'webhook-signature': String(delivered.headers['webhook-signature']),
      }),
    ).toEqual(body);
    await waitFor(async () => (await api('get', `/events/${events[0].id}`)).body.status === 'SUCCESSFUL', 5000, 'SUCCESSFUL');

    const request = (await appRequests())[0];
    expect(request).toMatchObject({ events_count: 1, ignored_count: 1 });
    const detail = await api('get', `/requests/${request.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.data.body).toEqual({
      eventType: 'lead.captured',
      eventId,
      eventTimestamp: body.eventTimestamp,
      customerId: 'cus_a1b2c3',
      chatbotId: 'bot_xyz',
      conversationId: 'conv_abc',
      data,
    });
    const ignored = (await api('get', `/requests/${request.id}/ignored_events`)).body.models;
    expect(ignored).toEqual([expect.objectContaining({ connection_id: escalationsConnection, cause: 'FILTERED' })]);
    expect(receiver.received.some((r) => r.url === '/escalations')).toBe(false);

    // Replay goes through the same connections.
    const replay = await api('post', `/requests/${request.id}/retry`);
    expect(replay.status).toBe(202);
    await waitFor(() => receiver.received.filter((r) => r.body.toString().includes(eventId)).length === 2, 10_000, 'replayed delivery');
  });

  it('delivers an escalation to the other connection only', async () => {
    const sample = (await api('get', '/event-types/escalation.created')).body.sample;
    const res = await publish({ eventType: 'escalation.created', data: sample, conversationId: 'conv_abc' });
    expect(res.status).toBe(202);
    const delivered = await waitFor(() => receiver.received.find((r) => r.body.toString().includes(res.body.eventId)), 10_000, 'escalation delivered');
    expect(delivered.url).toBe('/escalations');
    const body = JSON.parse(delivered.body.toString());
    expect(body).toMatchObject({ ...sample, eventType: 'escalation.created', conversationId: 'conv_abc' });
    expect(body).not.toHaveProperty('chatbotId');
  });

  it('refuses an unknown event type and data that breaks the schema, naming every failing path', async () => {
    const before = (await appRequests()).length;
    const unknown = await publish({ eventType: 'lead.lost', data: {} });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('UNKNOWN_EVENT_TYPE');
    expect(unknown.body.error.message).toMatch(/lead\.lost/);

    const bad = await publish({ eventType: 'lead.captured', data: { name: 'Jane', email: 'not-an-email', phone: 15555550123, captured_at: 'yesterday' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('INVALID_EVENT_DATA');
    expect(bad.body.error.details).toEqual([
      { path: 'data.email', message: 'must match format "email"', code: 'format' },
      { path: 'data.phone', message: 'must be string', code: 'type' },
      { path: 'data.captured_at', message: 'must match format "date-time"', code: 'format' },
    ]);
    const missing = await publish({ eventType: 'deal.won', data: { id: 'deal_1', name: 'No pipeline' } });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.map((d: { path: string }) => d.path)).toEqual(['data.pipeline_id', 'data.stage_id']);

    const custom = await publish({ eventType: 'invoice.paid', data: { invoice_id: 'inv_2', amount: 'lots' } });
    expect(custom.status).toBe(422);
    expect(custom.body.error.details).toEqual([{ path: 'data.amount', message: 'must be number', code: 'type' }]);
    expect((await publish({ eventType: 'invoice.paid', data: { invoice_id: 'inv_2', amount: 12 } })).status).toBe(202);

    const shape = await publish({ eventType: 'lead.captured', data: 'jane@example.com', colour: 'red' });
    expect(shape.status).toBe(400);
    expect(shape.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.colour', 'body.data']);
    expect(
      (await publish({ eventType: 'lead.captured', data: {}, idempotencyKey: 'k'.repeat(256) })).body.error.details.map((d: { path: string }) => d.path),
    ).toEqual(['body.idempotencyKey']);

    expect((await appRequests()).length).toBe(before + 1); // only the valid invoice
  });

  it('publishes once per idempotency key within 24 hours, and anew after', async () => {
    const before = (await appRequests()).length;
    const body = { eventType: 'message.rated', data: { message_id: 'msg_1', rating: 'up' }, idempotencyKey: 'rating-msg_1' };
    const first = await publish(body);
    expect(first.status).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const second = await publish(body);
    expect(second.status).toBe(202);
    expect(second.body.eventId).toBe(first.body.eventId);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect((await appRequests()).length).toBe(before + 1);

    // 25 hours later the key is free again.
    await sql`UPDATE publish_keys SET created_at = now() - interval '25 hours' WHERE idempotency_key = 'rating-msg_1'`.execute(hub.deps.db);
    const later = await publish(body);
    expect(later.status).toBe(202);
    expect(later.body.eventId).not.toBe(first.body.eventId);
    expect((await publish(body)).body.eventId).toBe(later.body.eventId);
    expect((await appRequests()).length).toBe(before + 2);

    // Housekeeping forgets expired keys and keeps live ones.
    await publish({ ...body, idempotencyKey: 'rating-msg_2' });
    await sql`UPDATE publish_keys SET created_at = now() - interval '25 hours' WHERE idempotency_key = 'rating-msg_2'`.execute(hub.deps.db);
    const jobs = hub.jobs as NonNullable<TestHub['jobs']>;
    await housekeeping(hub.deps, jobs.runners);
    const keys = await hub.deps.db.selectFrom('publish_keys').select('idempotency_key').where('workspace_id', '=', ws.teamId).execute();
    expect(keys.map((k) => k.idempotency_key)).toEqual(['rating-msg_1']);

    // Keys belong to a workspace: another one publishes its own event with the same key.
    const elsewhere = await publish(body, other.key);
    expect(elsewhere.status).toBe(202);
    expect(elsewhere.body.eventId).not.toBe(later.body.eventId);
  });

  it('publishes one event when the same key arrives many times at once', async () => {
    const before = (await appRequests()).length;
    const body = { eventType: 'conversation.ended', data: { ended_at: '2026-05-03T14:31:02Z', message_count: 14 }, idempotencyKey: 'end-conv_race' };
    const answers = await Promise.all(Array.from({ length: 12 }, () => publish(body)));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(202));
    expect(new Set(answers.map((a) => a.body.eventId)).size).toBe(1);
    const after = await appRequests();
    expect(after.length).toBe(before + 1);
    expect(after[0].data.body.eventId).toBe(answers[0].body.eventId);
  });

  it('answers 503 when the event cannot be stored, and gives the idempotency key back', async () => {
    const before = (await appRequests()).length;
    // A real failed write, not a patched writer: the database refuses new requests for a moment.
    await sql`ALTER TABLE requests ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID`.execute(hub.deps.db);
    const body = { eventType: 'contact.deleted', data: { id: 'con_1' }, idempotencyKey: 'delete-con_1' };
    let failed;
    try {
      failed = await publish(body);
    } finally {
      await sql`ALTER TABLE requests DROP CONSTRAINT refuse_writes`.execute(hub.deps.db);
    }
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBe('5');
    const retried = await publish(body);
    expect(retried.status).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect((await publish(body)).body.eventId).toBe(retried.body.eventId);
    expect((await appRequests()).length).toBe(before + 1);
  });

  it('needs the write scope to publish or declare', async () => {
    const res = await publish({ eventType: 'lead.captured', data: { email: 'jane@example.com' } }, readOnlyKey);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('INSUFFICIENT_SCOPE');
    expect((await api('post', '/event-types', readOnlyKey).send({ name: 'ro.type', sample: {} })).status).toBe(403);
    expect((await api('delete', '/event-types/invoice.paid', readOnlyKey)).status).toBe(403);
    expect((await hub.api('post', '/api/v1/publish').send({ eventType: 'lead.captured', data: {} })).status).toBe(401);
  });

  it('keeps custom types and the application source to their workspace', async () => {
    const theirs = await catalogue(other.key);
    expect(theirs.count).toBe(17);
    expect(theirs.models.map((t) => t.name)).not.toContain('invoice.paid');
    expect((await api('get', '/event-types/invoice.paid', other.key)).status).toBe(404);
    expect((await api('delete', '/event-types/invoice.paid', other.key)).status).toBe(404);
    const res = await publish({ eventType: 'invoice.paid', data: { invoice_id: 'inv_3', amount: 1 } }, other.key);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('UNKNOWN_EVENT_TYPE');
    // The same name is free to declare there.
    expect((await api('post', '/event-types', other.key).send({ name: 'invoice.paid', sample: { total: 3 } })).status).toBe(201);
    expect((await api('get', '/event-types/invoice.paid')).body.schema).not.toBeNull();

    const otherSources = (await api('get', '/sources', other.key)).body.models;
    expect(otherSources).toHaveLength(1); // its own application source, made by its publish above
    expect(otherSources[0].id).not.toBe(appSourceId);
    expect((await api('get', `/sources/${appSourceId}`, other.key)).status).toBe(404);
    expect((await api('get', `/requests?source_id=${appSourceId}`, other.key)).body.models).toEqual([]);
  });
});
