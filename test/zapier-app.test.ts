import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZAPIER_CATALOGUE_FILE, zapierCatalogue } from '../server/publish/zapier-catalogue.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver, type Received } from './support/receiver.ts';

// The Zapier app is plain CommonJS, as Zapier's CLI pushes it; it is loaded the way Zapier loads it.
const require = createRequire(import.meta.url);
// createAppHandler is the Lambda handler Zapier runs the app with (and `zapier validate` locally);
// the package's type declarations leave it out.
type Core = typeof import('zapier-platform-core') & { createAppHandler: (app: object) => (event: object) => Promise<{ results: unknown }> };
type Fn = (z: unknown, bundle: never) => unknown;
type Operation = {
  perform: Fn;
  performList?: Fn;
  performSubscribe?: Fn;
  performUnsubscribe?: Fn;
  sample: Record<string, unknown>;
  outputFields: { key: string }[];
};
type ZapierApp = {
  version: string;
  platformVersion: string;
  authentication: { test: Fn; connectionLabel: Fn };
  triggers: Record<string, { key: string; noun: string; display: { label: string; hidden?: boolean }; operation: Operation }>;
  creates: Record<string, { operation: Operation }>;
};

const zapier = require('zapier-platform-core') as Core;
// The schema package is zapier-platform-core's own dependency: resolved from there, its exact version.
const { validateAppDefinition } = createRequire(require.resolve('zapier-platform-core'))('zapier-platform-schema') as {
  validateAppDefinition: (app: unknown) => { errors: { stack: string }[] };
};
const App = require('../connectors/zapier/app/index.js') as ZapierApp;
const appPackage = require('../connectors/zapier/app/package.json') as { version: string; type: string; main: string; dependencies: Record<string, string> };

const ENVELOPE_KEYS = ['eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId', 'id', 'record_id'];

type Envelope = Record<string, unknown> & { id: string; eventId: string; eventType: string };

/** What a Zapier user sees of a failed step: z.errors.Error carries {message, code, status} as JSON. */
async function failure(p: Promise<unknown>): Promise<{ message: string; code?: string; status?: number }> {
  const err = await p.then(
    () => {
      throw new Error('expected the step to fail');
    },
    (e: unknown) => e as Error,
  );
  expect(err.name).toBe('AppError');
  return JSON.parse(err.message) as { message: string; code?: string; status?: number };
}

// Zapier's own app tester runs each perform through the same handler as Zapier's servers: the
// request middlewares, afterResponse, and Zapier's output checks (enforced because vitest sets
// NODE_ENV=test, which zapier-platform-core reads as "testing").
describe("the Wirehub Zapier app, run by Zapier's app tester against a real Wirehub", () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let authData: { baseUrl: string; apiKey: string };
  const appTester = zapier.createAppTester(App);
  // The tester takes the app's own functions; its bundle type wants every field of a real one.
  const run = <T = unknown>(fn: Fn | undefined, bundle: Record<string, unknown>) => appTester(fn as never, bundle as never) as Promise<T>;

  beforeAll(async () => {
    // The tester would stream its logs to Zapier if a log token were set; a test sends nothing there.
    delete process.env.LOGGING_TOKEN;
    [hub, receiver] = await Promise.all([startTestHub(), startReceiver()]);
    ws = await newWorkspace(hub);
    authData = { baseUrl: hub.url, apiKey: ws.key };
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  const api = (m: 'get' | 'post' | 'delete', url: string) => hub.api(m, `/api/v1${url}`, ws.key);
  const hookCalls = (path: string) => receiver.received.filter((r) => r.url === path);
  const json = (r: Received) => JSON.parse(r.body.toString('utf8')) as Envelope;

  it("is a valid Zapier app: the schema validator and `zapier validate`'s local check find nothing", async () => {
    expect(appPackage).toMatchObject({ type: 'commonjs', main: 'index.js', dependencies: { 'zapier-platform-core': expect.stringMatching(/^\^?19\./) } });
    expect(App.version).toBe(appPackage.version);
    expect(App.platformVersion).toBe(zapier.version);

    // What `zapier validate` runs locally: the app's handler with the `validate` command.
    const handler = zapier.createAppHandler(App);
    expect((await handler({ command: 'validate' })).results).toEqual([]);
    // And the schema package directly, on the definition as Zapier serializes it.
    const definition = (await handler({ command: 'definition' })).results;
    expect(validateAppDefinition(definition).errors.map((e) => e.stack)).toEqual([]);
  });

  it('carries the catalogue as `npm run zapier:catalogue` generates it from server/publish/event-catalogue.ts', () => {
    expect(readFileSync(ZAPIER_CATALOGUE_FILE, 'utf8'), 'connectors/zapier/app/lib/catalogue.js is stale: run npm run zapier:catalogue').toBe(
      zapierCatalogue(),
    );
  });

  it("has one instant trigger per built-in event type, with samples that match Wirehub's catalogue", async () => {
    const catalogue = (await api('get', '/event-types')).body.models as { name: string; sample: Record<string, unknown>; builtin: boolean }[];
    const builtins = catalogue.filter((t) => t.builtin);
    expect(builtins).toHaveLength(17);
    const hooks = Object.values(App.triggers).filter((t) => !t.display.hidden);
    expect(hooks.map((t) => t.key)).toEqual(builtins.map((t) => t.name.replace(/\./g, '_')));
    expect(App.triggers.lead_captured.display.label).toBe('New Lead Captured');

    for (const t of builtins) {
      const trigger = App.triggers[t.name.replace(/\./g, '_')];
      const { sample, outputFields } = trigger.operation;
      expect(sample, t.name).toMatchObject({ eventType: t.name, id: sample.eventId, customerId: expect.any(String), eventTimestamp: expect.any(String) });
      // The data fields, with a record's own id put back where the catalogue has it.
      const data = Object.fromEntries(Object.entries(sample).filter(([k]) => !ENVELOPE_KEYS.includes(k)));
      if (sample.record_id !== undefined) data.id = sample.record_id;
      expect(data, `${t.name} sample drifted from server/publish/event-catalogue.ts`).toEqual(t.sample);
      expect(outputFields.map((f) => f.key)).toEqual(expect.arrayContaining(['id', 'eventType', 'eventTimestamp', 'customerId']));
    }
  });

  it('connects with a base URL and an API key, and labels the connection with the workspace and key', async () => {
    const me = await run<Record<string, unknown>>(App.authentication.test, { authData });
    expect(me).toMatchObject({ user: null, team: { id: ws.teamId } });
    // Zapier calls the connection label with the test's answer as inputData.
    const label = await run<string>(App.authentication.connectionLabel, { authData, inputData: me });
    expect(label).toBe('Test Co (tests)');
    // Without the names (an older Wirehub), the ids do.
    expect(await run(App.authentication.connectionLabel, { authData, inputData: { team: { id: ws.teamId }, key: { id: 'key_1' } } })).toBe(ws.teamId);

    // What people paste as the address still works: a trailing slash, or the API prefix.
    expect(await run(App.authentication.test, { authData: { ...authData, baseUrl: `${hub.url}/api/v1/` } })).toMatchObject({ team: { id: ws.teamId } });
  });

  it('refuses a wrong API key, or a wrong address, with a message that says what to fix', async () => {
    const badKey = await failure(run(App.authentication.test, { authData: { ...authData, apiKey: 'wh_live_not_a_real_key' } }));
    expect(badKey).toMatchObject({
      status: 401,
      code: 'AuthenticationFailed',
      message: expect.stringMatching(/^Wirehub did not accept the API key .*reconnect\.$/),
    });
    // Another server at the address (here the receiver, which has no Wirehub API).
    const elsewhere = await startReceiver(() => ({ status: 404, headers: { 'content-type': 'text/html' }, body: '<h1>Not Found</h1>' }));
    try {
      const wrongPlace = await failure(run(App.authentication.test, { authData: { ...authData, baseUrl: elsewhere.url } }));
      expect(wrongPlace).toEqual({
        status: 404,
        code: 'NotFound',
        message: `Nothing answered at ${elsewhere.url}/api/v1/auth/me: check the Wirehub address of your connection.`,
      });
    } finally {
      await elsewhere.close();
    }
    // Nothing listening at the address.
    const gone = await startReceiver();
    await gone.close();
    expect(await failure(run(App.authentication.test, { authData: { ...authData, baseUrl: gone.url } }))).toMatchObject({
      code: 'Unreachable',
      message: expect.stringMatching(new RegExp(`^Could not reach Wirehub at ${gone.url} \\(.*ECONNREFUSED`)),
    });
  });

  it("lists the workspace's event types for the Publish Event dropdown", async () => {
    const types = await run<{ id: string; label: string }[]>(App.triggers.event_type_list.operation.perform, {
      authData,
      meta: { isFillingDynamicDropdown: true },
    });
    expect(types).toHaveLength(17);
    expect(types[0]).toMatchObject({ id: 'lead.captured', label: expect.stringContaining('contact details') });
  });

  let subscription: { id: string; target_url: string; event: string };
  let control: { id: string };
  const zapPath = '/hooks/standard/1001/zap-a';
  const controlPath = '/hooks/standard/1002/zap-b';

  it('turning a Zap on subscribes its target URL; a published lead reaches it as one flat envelope', async () => {
    const lead = App.triggers.lead_captured.operation;
    subscription = await run(lead.performSubscribe, { authData, targetUrl: `${receiver.url}${zapPath}` });
    expect(subscription).toMatchObject({ id: expect.stringMatching(/^web_/), target_url: `${receiver.url}${zapPath}`, event: 'lead.captured' });
    // A second Zap on the same trigger, to tell later that the first one's deliveries stopped.
    control = await run(lead.performSubscribe, { authData, targetUrl: `${receiver.url}${controlPath}` });
    const listed = (await api('get', '/hooks')).body as { models: { id: string }[] };
    expect(listed.models.map((h) => h.id).sort()).toEqual([subscription.id, control.id].sort());

    const published = await run<{ eventId: string; eventType: string; replayed: boolean }>(App.creates.publish_event.operation.perform, {
      authData,
      inputData: {
        eventType: 'lead.captured',
        data: { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', 'custom_fields.postcode': '94107' },
        chatbotId: 'bot_acme',
        conversationId: 'conv_42',
        idempotencyKey: 'zap-run-1',
      },
    });
    expect(published).toEqual({ eventId: expect.stringMatching(/^msg_/), eventType: 'lead.captured', replayed: false });

    const [delivery] = await waitFor(() => (hookCalls(zapPath).length ? hookCalls(zapPath) : null), 15_000, 'the delivery to the Zap');
    expect(delivery.method).toBe('POST');
    expect(delivery.headers['content-type']).toMatch(/application\/json/);
    expect(json(delivery)).toEqual({
      id: published.eventId,
      name: 'Jane Smith',
      email: 'jane@example.com',
      phone: '+15555550123',
      custom_fields: { postcode: '94107' },
      eventType: 'lead.captured',
      eventTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      eventId: published.eventId,
      customerId: ws.teamId,
      chatbotId: 'bot_acme',
      conversationId: 'conv_42',
    });
    await waitFor(() => hookCalls(controlPath).length === 1, 15_000, 'the delivery to the second Zap');

    // A retried Zap run with the same idempotency key publishes nothing new.
    const again = await run<{ eventId: string; replayed: boolean }>(App.creates.publish_event.operation.perform, {
      authData,
      inputData: { eventType: 'lead.captured', data: { email: 'jane@example.com' }, idempotencyKey: 'zap-run-1' },
    });
    expect(again).toMatchObject({ eventId: published.eventId, replayed: true });
  });

  it('gives Zapier the delivered envelope from perform, as Zapier calls it with the incoming request', async () => {
    const delivery = hookCalls(zapPath)[0];
    const content = delivery.body.toString('utf8');
    const items = await run<Envelope[]>(App.triggers.lead_captured.operation.perform, {
      authData,
      inputData: {},
      targetUrl: `${receiver.url}${zapPath}`,
      subscribeData: subscription,
      rawRequest: { method: 'POST', querystring: '', headers: { 'Content-Type': 'application/json' }, content },
      cleanedRequest: JSON.parse(content),
    });
    expect(items).toEqual([JSON.parse(content)]);
    expect(items[0].id).toBe(items[0].eventId);
  });

  it("lists real events for the Zap editor's test step, newest first, each with the event id as `id`", async () => {
    const second = await run<{ eventId: string }>(App.creates.publish_event.operation.perform, {
      authData,
      inputData: { eventType: 'lead.captured', data: { name: 'Sam Carter', email: 'sam@example.com' } },
    });
    const items = await waitFor(
      async () => {
        const got = await run<Envelope[]>(App.triggers.lead_captured.operation.performList, { authData, meta: { isLoadingSample: true, limit: 10 } });
        return got[0]?.eventId === second.eventId ? got : null;
      },
      15_000,
      'the second lead in the samples',
    );
    expect(items.map((e) => e.email)).toEqual(['sam@example.com', 'jane@example.com']);
    for (const e of items) expect(e).toMatchObject({ id: e.eventId, eventType: 'lead.captured', customerId: ws.teamId });

    // Without any events of a type yet, the catalogue's sample stands in.
    const fallback = await run<Envelope[]>(App.triggers.escalation_created.operation.performList, { authData, meta: { isLoadingSample: true } });
    expect(fallback).toHaveLength(1);
    expect(fallback[0]).toMatchObject({ eventType: 'escalation.created', escalation_id: 'esc_41ad9c', id: fallback[0].eventId });
  });

  it("reads mapped text as numbers, lists and nested fields where the event type says so; a record's id stays as record_id", async () => {
    const published = await run<{ eventId: string }>(App.creates.publish_event.operation.perform, {
      authData,
      inputData: {
        eventType: 'deal.created',
        data: {
          id: 'deal_9c1m4e',
          name: 'Bakery website',
          pipeline_id: 'pip_sales',
          stage_id: 'stg_proposal',
          value: '4800',
          'contact.email': 'jane@example.com',
          'custom_fields.budget_confirmed': 'yes',
          'custom_fields.postcode': '94107',
        },
        dataJson: '{"currency": "USD", "contact": {"name": "Jane Smith"}}',
      },
    });
    const [deal] = await waitFor(
      async () => {
        const got = await run<Envelope[]>(App.triggers.deal_created.operation.performList, { authData });
        return got[0]?.eventId === published.eventId ? got : null;
      },
      15_000,
      'the deal in the samples',
    );
    expect(deal).toMatchObject({
      id: published.eventId,
      record_id: 'deal_9c1m4e',
      name: 'Bakery website',
      value: 4800,
      currency: 'USD',
      contact: { name: 'Jane Smith', email: 'jane@example.com' },
      // custom_fields allows anything, so text stays text.
      custom_fields: { budget_confirmed: 'yes', postcode: '94107' },
    });
  });

  it("surfaces Wirehub's own 422 message when the event type is unknown or the data breaks its schema", async () => {
    const unknown = { eventType: 'lead.lost', data: { email: 'jane@example.com' } };
    const direct = await api('post', '/publish').send(unknown);
    expect(direct.status).toBe(422);
    const message = direct.body.error.message as string;
    expect(message).toMatch(/Unknown event type "lead.lost"/);
    expect(await failure(run(App.creates.publish_event.operation.perform, { authData, inputData: unknown }))).toEqual({
      message,
      code: 'UNKNOWN_EVENT_TYPE',
      status: 422,
    });

    const invalid = await failure(
      run(App.creates.publish_event.operation.perform, { authData, inputData: { eventType: 'lead.captured', data: { name: 'No Email' } } }),
    );
    expect(invalid).toMatchObject({
      code: 'INVALID_EVENT_DATA',
      status: 422,
      message: expect.stringContaining('The data does not match the schema of "lead.captured"'),
    });
    const notAnObject = await failure(
      run(App.creates.publish_event.operation.perform, { authData, inputData: { eventType: 'lead.captured', dataJson: '[1, 2]' } }),
    );
    expect(notAnObject).toMatchObject({ code: 'InvalidInput', message: expect.stringContaining('must be a JSON object') });
  });

  it("turning the Zap off unsubscribes: its deliveries stop while the other Zap's go on", async () => {
    const before = hookCalls(zapPath).length;
    const removed = await run(App.triggers.lead_captured.operation.performUnsubscribe, {
      authData,
      subscribeData: subscription,
      targetUrl: subscription.target_url,
    });
    expect(removed).toEqual({ id: subscription.id, deleted: true });
    expect(((await api('get', '/hooks')).body as { models: { id: string }[] }).models.map((h) => h.id)).toEqual([control.id]);
    expect(((await api('get', '/connections')).body as { models: { id: string }[] }).models.map((c) => c.id)).not.toContain(subscription.id);

    const controlBefore = hookCalls(controlPath).length;
    const published = await run<{ eventId: string }>(App.creates.publish_event.operation.perform, {
      authData,
      inputData: { eventType: 'lead.captured', data: { email: 'late@example.com' } },
    });
    const latest = await waitFor(
      () => hookCalls(controlPath).length > controlBefore && hookCalls(controlPath).at(-1),
      15_000,
      'the delivery to the Zap still on',
    );
    expect(json(latest).id).toBe(published.eventId);
    // Both subscriptions would have been delivered together; a moment more for a stray one.
    await new Promise((r) => setTimeout(r, 300));
    expect(hookCalls(zapPath)).toHaveLength(before);

    // Zapier may unsubscribe again (a retry, or after Wirehub removed it on a 410): that succeeds.
    expect(await run(App.triggers.lead_captured.operation.performUnsubscribe, { authData, subscribeData: subscription })).toEqual({
      id: subscription.id,
      deleted: true,
    });
    expect(await run(App.triggers.lead_captured.operation.performUnsubscribe, { authData, subscribeData: control })).toEqual({ id: control.id, deleted: true });
    expect(((await api('get', '/hooks')).body as { count: number }).count).toBe(0);
  });
});
