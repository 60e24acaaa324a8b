import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmFake, type CrmFake } from './support/fakes/crm.ts';
import { startFakeGoogleSheets, type FakeGoogleSheets } from './support/fakes/google-sheets.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const V = '/api/v1';
const at = { x: 0, y: 0 };
const lead = { name: 'Jane Smith', email: 'Jane@Example.com', phone: '+15555550123', company: 'Acme', intent: 'request_quote' };
type Node = { id: string; kind: string; position: { x: number; y: number }; data: Record<string, unknown> };
const node = (id: string, kind: string, data: Record<string, unknown>): Node => ({ id, kind, position: at, data });
const trigger = (id: string, eventType = 'lead.captured') => node(id, 'trigger', { eventType });
const map = (id: string, mappings: object[], envelope = 'flat') => node(id, 'map', { mappings, envelope });
const chain = (...ids: string[]) => ids.slice(1).map((id, i) => ({ id: `${ids[i]}-${id}`, source: ids[i], target: id }));
type Body = Record<string, unknown>;

describe('flows with every node kind', () => {
  let hub: TestHub;
  let sheets: FakeGoogleSheets;
  let crm: CrmFake;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  const api = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, key = ws.key) => hub.api(method, `${V}${path}`, key);
  const got = (path: string) => receiver.received.filter((r) => r.url === path).map((r) => JSON.parse(r.body.toString()) as Body);
  const publish = async (data: object, eventType = 'lead.captured') => {
    const res = await api('post', '/publish').send({ eventType, data, customerId: 'cus_1' });
    expect(res.status).toBe(202);
    return res.body.eventId as string;
  };
  const envelope = (eventId: string, body: Body) => ({ eventType: 'lead.captured', eventTimestamp: body.eventTimestamp, eventId, customerId: 'cus_1' });
  const save = async (name: string, nodes: Node[], edges: object[]) => {
    const res = await api('post', '/flows').send({ name, graph: { nodes, edges } });
    expect(res.status, res.text).toBe(201);
    return res.body as {
      id: string;
      graph: { nodes: Node[]; edges: object[] };
      objects: { nodeId: string; kind: string; connectionId: string; destinationId: string }[];
    };
  };
  const objectOf = (flow: Awaited<ReturnType<typeof save>>, nodeId: string) =>
    flow.objects.find((o) => o.nodeId === nodeId) as { connectionId: string; destinationId: string };

  beforeAll(async () => {
    sheets = await startFakeGoogleSheets();
    crm = await startCrmFake();
    receiver = await startReceiver((r) => (r.url.startsWith('/fail') ? { status: 500, body: 'down' } : { status: 200, body: 'ok' }));
    hub = await startTestHub({ retrySchedule: [0, 50, 50], vendorUrls: { googleSheets: sheets.url, hubspot: crm.url } });
    ws = await newWorkspace(hub);
    expect((await api('post', '/credentials').send({ kind: 'google-service-account', secret: sheets.serviceAccountKey() })).status).toBe(201);
    expect((await api('post', '/credentials').send({ kind: 'hubspot', secret: crm.hubspotToken })).status).toBe(201);
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all([receiver?.close(), sheets?.close(), crm?.close()]);
  });

  const fullChain = (url: string) => ({
    nodes: [
      trigger('t1'),
      node('f1', 'filter', { conditions: [{ field: 'intent', op: 'eq', value: 'request_quote' }], mode: 'all' }),
      node('x1', 'transform', { expression: '$merge([$, {"email": $lowercase(email)}])' }),
      map('m1', [
        { to: 'contact', from: 'data.email' },
        { to: 'who', from: 'data.name' },
      ]),
      node('d1', 'delay', { delay_ms: 300 }),
      node('u1', 'dedupe', { window_ms: 60_000, include_fields: ['email'] }),
      node('w1', 'webhook', { url, signing: 'hmac' }),
    ],
    edges: chain('t1', 'f1', 'x1', 'm1', 'd1', 'u1', 'w1'),
  });

  let chainFlow: Awaited<ReturnType<typeof save>>;
  it('saves trigger → filter → transform → map → delay → dedupe → webhook as one connection with those rules, and delivers once per duplicate lead after the delay', async () => {
    const drawn = fullChain(`${receiver.url}/chain`);
    chainFlow = await save('Every step', drawn.nodes, drawn.edges);
    const { connectionId } = objectOf(chainFlow, 'w1');
    const conn = await api('get', `/connections/${connectionId}`);
    expect(conn.body.rules).toEqual([
      { type: 'filter', body: { eventType: { $in: ['lead.captured'] } } },
      // Rules a step wrote are named after it: what they turn away is counted on that step.
      { type: 'filter', step: 'f1', body: { data: { $and: [{ intent: { $eq: 'request_quote' } }] } } },
      { type: 'deduplicate', step: 'u1', window: 60_000, include_fields: ['body.data.email'] },
      { type: 'delay', delay: 300 },
      {
        type: 'transform',
        expression: '$merge([$, {"email": $lowercase(email)}])',
        mappings: [
          { to: 'contact', from: 'data.email' },
          { to: 'who', from: 'data.name' },
        ],
        envelope: 'flat',
      },
    ]);
    expect((await api('get', `/webhooks/${connectionId}`)).body).toMatchObject({ url: `${receiver.url}/chain`, events: ['lead.captured'] });

    const published = Date.now();
    const eventId = await publish(lead);
    await publish(lead); // the same email within the window: ignored
    await publish({ ...lead, intent: 'chit_chat', email: 'other@example.com' }); // filtered out
    const [body] = await waitFor(() => got('/chain').length === 1 && got('/chain'), 10_000, 'delayed delivery');
    expect(receiver.received.find((r) => r.url === '/chain')!.at - published).toBeGreaterThanOrEqual(300);
    expect(body).toEqual({ contact: 'jane@example.com', who: 'Jane Smith', ...envelope(eventId, body) });
    await new Promise((r) => setTimeout(r, 400));
    expect(got('/chain')).toHaveLength(1);
    const stats = await api('get', `/flows/${chainFlow.id}/stats?hours=1`);
    expect(stats.status).toBe(200);
    // Ignored: the duplicate and the lead the filter stopped.
    expect(stats.body.nodes.w1).toEqual({ connection_id: connectionId, delivered: 1, failed: 0, held: 0, queued: 0, ignored: 2 });
    // Along the path: 3 leads arrived, the filter turned 1 away, the dedupe step 1 more, 1 reached the webhook.
    expect(stats.body.triggers.t1).toEqual({ arrived: 3, rejected: 0 });
    expect(stats.body.steps.f1).toEqual({ received: 3, passed: 2, filtered: 1, duplicates: 0 });
    expect(stats.body.steps.u1).toEqual({ received: 2, passed: 1, filtered: 0, duplicates: 1 });
    expect(stats.body.edges).toEqual({
      't1-f1': { count: 3 },
      'f1-x1': { count: 2 },
      'x1-m1': { count: 2 },
      'm1-d1': { count: 2 },
      'd1-u1': { count: 2 },
      'u1-w1': { count: 1 },
    });
  });

  it('edits steps in place on a second save: same connection, new rules, removed steps gone', async () => {
    const drawn = fullChain(`${receiver.url}/chain`);
    drawn.nodes = drawn.nodes.filter((n) => n.id !== 'd1' && n.id !== 'u1' && n.id !== 'x1');
    drawn.edges = chain('t1', 'f1', 'm1', 'w1');
    const res = await api('put', `/flows/${chainFlow.id}`).send({ graph: drawn });
    expect(res.status, res.text).toBe(200);
    expect(objectOf(res.body, 'w1').connectionId).toBe(objectOf(chainFlow, 'w1').connectionId);
    const conn = await api('get', `/connections/${objectOf(chainFlow, 'w1').connectionId}`);
    // The event types' filter, the filter step's own, the mapping.
    expect(conn.body.rules.map((r: { type: string }) => r.type)).toEqual(['filter', 'filter', 'transform']);
    expect(conn.body.rules[2]).not.toHaveProperty('expression');
  });

  let fan: Awaited<ReturnType<typeof save>>;
  it('fans one lead out to a webhook, a Google Sheet and HubSpot, each receiving exactly its mapped fields', async () => {
    fan = await save(
      'Lead fan-out',
      [
        trigger('t1'),
        map('mw', [{ to: 'full_name', from: 'data.name' }]),
        node('wh', 'webhook', { url: `${receiver.url}/fan`, signing: 'hmac' }),
        map('ms', [
          { to: 'Name', from: 'data.name' },
          { to: 'Email', expression: '$lowercase(data.email)' },
          { to: 'Phone', from: 'data.phone' },
        ]),
        node('sh', 'sheets', { spreadsheetId: sheets.spreadsheetId, sheetName: 'Sheet1', columns: ['Name', 'Email', 'Phone', 'eventId'] }),
        map('mc', [
          { to: 'email', expression: '$lowercase(data.email)' },
          { to: 'company', from: 'data.company' },
        ]),
        node('hs', 'crm', { preset: 'hubspot' }),
      ],
      [...chain('t1', 'mw', 'wh'), ...chain('t1', 'ms', 'sh'), ...chain('t1', 'mc', 'hs')],
    );
    expect(fan.objects.map((o) => [o.nodeId, o.kind])).toEqual([
      ['wh', 'webhook'],
      ['sh', 'sheets'],
      ['hs', 'crm'],
    ]);
    const sheetDest = await api('get', `/destinations/${objectOf(fan, 'sh').destinationId}`);
    expect(sheetDest.body).toMatchObject({
      type: 'google-sheets',
      config: { spreadsheetId: sheets.spreadsheetId, columns: ['Name', 'Email', 'Phone', 'eventId'], client_email: sheets.clientEmail },
    });
    expect(JSON.stringify(fan.graph)).not.toContain('PRIVATE KEY');

    const eventId = await publish(lead);
    const [hook] = await waitFor(() => got('/fan').length === 1 && got('/fan'), 10_000, 'webhook delivery');
    expect(hook).toEqual({ full_name: 'Jane Smith', ...envelope(eventId, hook) });
    const grid = await waitFor(() => sheets.grid().length === 2 && sheets.grid(), 10_000, 'sheet row');
    expect(grid[0]).toEqual(['Name', 'Email', 'Phone', 'eventId']);
    expect(grid[1].slice(0, 2)).toEqual(['Jane Smith', 'jane@example.com']);
    expect(grid[1][2]).toContain('15555550123');
    expect(grid[1][3]).toBe(eventId);
    const contact = await waitFor(() => [...crm.contacts.values()][0], 10_000, 'HubSpot contact');
    expect(contact.properties).toEqual({ email: 'jane@example.com', company: 'Acme' });
  });

  it('shows webhook URL, mappings and event types edited through /webhooks in the flow, and deleted objects as problems', async () => {
    const webhookId = objectOf(fan, 'wh').connectionId;
    const patched = await api('patch', `/webhooks/${webhookId}`).send({
      url: `${receiver.url}/moved`,
      mappings: [{ to: 'mail', from: 'data.email' }],
      events: ['lead.captured', 'escalation.created'],
    });
    expect(patched.status, patched.text).toBe(200);
    const back = await api('get', `/flows/${fan.id}`);
    expect(back.status).toBe(200);
    const byId = (id: string) => back.body.graph.nodes.find((n: Node) => n.id === id);
    expect(byId('wh').data).toMatchObject({ url: `${receiver.url}/moved`, webhookId });
    expect(byId('mw').data).toEqual({ mappings: [{ to: 'mail', from: 'data.email' }], envelope: 'flat' });
    const added = back.body.graph.nodes.find((n: Node) => n.kind === 'trigger' && n.data.eventType === 'escalation.created');
    expect(back.body.graph.edges).toContainEqual(expect.objectContaining({ source: added.id, target: 'mw' }));
    expect(back.body.problems).toEqual([]);

    expect((await api('delete', `/destinations/${objectOf(fan, 'hs').destinationId}`)).status).toBe(200);
    const after = await api('get', `/flows/${fan.id}`);
    expect(after.body.problems).toEqual([{ path: 'nodes.hs', message: expect.stringContaining('deleted outside this flow') }]);

    // Saving what the editor shows makes the CRM destination again, and keeps the others.
    const resaved = await api('put', `/flows/${fan.id}`).send({ graph: after.body.graph });
    expect(resaved.status, resaved.text).toBe(200);
    expect(objectOf(resaved.body, 'wh').connectionId).toBe(webhookId);
    expect(objectOf(resaved.body, 'hs').destinationId).not.toBe(objectOf(fan, 'hs').destinationId);
    expect((await api('get', `/flows/${fan.id}`)).body.problems).toEqual([]);
  });

  it('counts failed deliveries per node and edge', async () => {
    const flow = await save(
      'Counts',
      [
        trigger('t1'),
        node('ok', 'webhook', { url: `${receiver.url}/ok`, signing: 'hmac' }),
        node('bad', 'webhook', { url: `${receiver.url}/fail`, signing: 'hmac' }),
      ],
      [...chain('t1', 'ok'), ...chain('t1', 'bad')],
    );
    await publish({ ...lead, email: 'count@example.com' });
    const stats = await waitFor(
      async () => {
        const s = (await api('get', `/flows/${flow.id}/stats`)).body;
        return s.nodes.bad.failed === 1 && s.nodes.ok.delivered === 1 && s;
      },
      10_000,
      'counts',
    );
    expect(stats.nodes.bad).toMatchObject({ delivered: 0, failed: 1, queued: 0 });
    expect(stats.edges).toEqual({ 't1-ok': { count: 1 }, 't1-bad': { count: 1 } });
    expect(new Date(stats.since).getTime()).toBeLessThan(Date.now() - 23 * 3_600_000);
  });

  it('test-runs an unsaved graph node by node and makes one real delivery to an unsaved webhook', async () => {
    const graph = fullChain(`${receiver.url}/test-run`);
    const res = await api('post', '/flows/test').send({ graph, data: lead, deliver: 'w1' });
    expect(res.status, res.text).toBe(200);
    const { nodes, event, delivery } = res.body;
    expect(event).toMatchObject({ eventType: 'lead.captured', data: lead });
    expect(nodes.t1.status).toBe('passed');
    expect(nodes.f1).toMatchObject({ status: 'passed' });
    expect(nodes.x1).toMatchObject({ status: 'passed', output: { ...lead, email: 'jane@example.com' } });
    expect(nodes.m1.output).toEqual({
      contact: 'jane@example.com',
      who: 'Jane Smith',
      eventType: 'lead.captured',
      eventTimestamp: event.eventTimestamp,
      eventId: event.eventId,
      customerId: event.customerId,
    });
    expect(nodes.d1).toMatchObject({ status: 'passed', message: expect.stringContaining('300 ms') });
    expect(nodes.u1).toMatchObject({ status: 'passed', message: expect.stringContaining('email') });
    expect(nodes.w1).toMatchObject({ status: 'passed', output: nodes.m1.output });
    expect(delivery).toMatchObject({ ok: true, status: 200, request: { body: nodes.w1.output } });
    expect(got('/test-run')).toEqual([nodes.w1.output]);
    expect((await api('get', '/webhooks')).body.models.some((w: { url: string }) => w.url.endsWith('/test-run'))).toBe(false);

    const stopped = await api('post', '/flows/test').send({ graph, data: { ...lead, intent: 'other' }, deliver: 'w1' });
    expect(stopped.status).toBe(200);
    expect(stopped.body.nodes.f1).toMatchObject({ status: 'stopped', message: expect.stringContaining('intent') });
    expect(stopped.body.nodes.w1).toMatchObject({ status: 'skipped', message: expect.stringContaining('f1') });
    expect(stopped.body).not.toHaveProperty('delivery');
    expect(got('/test-run')).toHaveLength(1);

    const sheetOut = await api('post', '/flows/test').send({
      graph: {
        nodes: [
          trigger('t1'),
          map('ms', [{ to: 'Name', from: 'data.name' }]),
          node('sh', 'sheets', { spreadsheetId: sheets.spreadsheetId, columns: ['Name'] }),
        ],
        edges: chain('t1', 'ms', 'sh'),
      },
      use: 'last',
    });
    expect(sheetOut.status, sheetOut.text).toBe(200);
    expect(sheetOut.body.source).toBe('last');
    expect(sheetOut.body.nodes.sh).toMatchObject({ status: 'passed', output: ['Jane Smith'] });

    const bad = await api('post', '/flows/test').send({
      graph: { ...graph, nodes: graph.nodes.map((n) => (n.id === 'x1' ? { ...n, data: { expression: '$$$(' } } : n)) },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['nodes.x1.data.expression']);
    const unknown = await api('post', '/flows/test').send({ graph, trigger: 'nope' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details[0].path).toBe('trigger');
  });

  it("tests a destination node's connection without saving it", async () => {
    const missing = await api('post', '/flows/test-connection').send({
      node: node('sh', 'sheets', { spreadsheetId: 'AAAAAAAAAAAAAAAAAAAAAAAA', columns: ['Name'] }),
    });
    expect(missing.status, missing.text).toBe(200);
    expect(missing.body).toMatchObject({ ok: false, message: expect.any(String), warnings: [] });
    const good = await api('post', '/flows/test-connection').send({ node: node('sh', 'sheets', { spreadsheetId: sheets.spreadsheetId, columns: ['Name'] }) });
    expect(good.body.ok).toBe(true);
    const badId = await api('post', '/flows/test-connection').send({ node: node('sh', 'sheets', { spreadsheetId: 'no', columns: ['Name'] }) });
    expect(badId.status).toBe(422);
    expect(badId.body.error.details[0].path).toBe('nodes.sh.data.spreadsheetId');
  });

  it('lists the fields of each destination kind for the map panel', async () => {
    const hubspot = await api('get', '/flows/destination-fields?kind=crm&preset=hubspot');
    expect(hubspot.body.fields).toContainEqual({ name: 'email', required: true, description: expect.any(String) });
    const sheet = await api('get', '/flows/destination-fields?kind=sheets&columns=Name,Email');
    expect(sheet.body).toEqual({
      fields: [expect.objectContaining({ name: 'Name', required: true }), expect.objectContaining({ name: 'Email', required: true })],
      free: false,
    });
    expect((await api('get', '/flows/destination-fields?kind=webhook')).body).toEqual({ fields: [], free: true });
    const existing = await api('get', `/flows/destination-fields?kind=destination&destinationId=${objectOf(fan, 'sh').destinationId}`);
    expect(existing.body.fields.map((f: { name: string }) => f.name)).toEqual(['Name', 'Email', 'Phone', 'eventId']);
  });

  it('connects an existing destination and removes only that connection with the node or the flow', async () => {
    const dest = await api('post', '/destinations').send({ name: 'shared-receiver', url: `${receiver.url}/shared` });
    expect(dest.status).toBe(201);
    const flow = await save(
      'To shared',
      [trigger('t1'), map('m1', [{ to: 'mail', from: 'data.email' }]), node('ex', 'destination', { destinationId: dest.body.id })],
      chain('t1', 'm1', 'ex'),
    );
    const { connectionId } = objectOf(flow, 'ex');
    expect((await api('get', `/connections/${connectionId}`)).body.destination.id).toBe(dest.body.id);
    const eventId = await publish({ ...lead, email: 'shared@example.com' });
    const [body] = await waitFor(() => got('/shared').length === 1 && got('/shared'), 10_000, 'delivery to the existing destination');
    expect(body).toEqual({ mail: 'shared@example.com', ...envelope(eventId, body) });

    const moved = await api('put', `/flows/${flow.id}`).send({
      graph: { nodes: [trigger('t1'), node('w2', 'webhook', { url: `${receiver.url}/w2`, signing: 'hmac' })], edges: chain('t1', 'w2') },
    });
    expect(moved.status, moved.text).toBe(200);
    expect((await api('get', `/connections/${connectionId}`)).status).toBe(404);
    expect((await api('get', `/destinations/${dest.body.id}`)).status).toBe(200);

    const again = await save('To shared again', [trigger('t1'), node('ex', 'destination', { destinationId: dest.body.id })], chain('t1', 'ex'));
    expect((await api('delete', `/flows/${again.id}`)).status).toBe(200);
    expect((await api('get', `/connections/${objectOf(again, 'ex').connectionId}`)).status).toBe(404);
    expect((await api('get', `/destinations/${dest.body.id}`)).status).toBe(200);

    const other = await newWorkspace(hub);
    const foreign = await hub
      .api('post', `${V}/flows`, other.key)
      .send({ name: 'Not mine', graph: { nodes: [trigger('t1'), node('ex', 'destination', { destinationId: dest.body.id })], edges: chain('t1', 'ex') } });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details).toMatchObject([{ path: 'nodes.ex.data.destinationId', message: expect.stringContaining('not found') }]);
  });

  it('refuses bad graphs naming the nodes, and leaves nothing behind', async () => {
    const before = (await api('get', '/destinations')).body.models.length;
    const unmapped = await api('post', '/flows').send({
      name: 'Unmapped',
      graph: {
        nodes: [
          trigger('t1'),
          map('ms', [{ to: 'Name', from: 'data.name' }]),
          node('sh', 'sheets', { spreadsheetId: sheets.spreadsheetId, columns: ['Name', 'Phone'] }),
        ],
        edges: chain('t1', 'ms', 'sh'),
      },
    });
    expect(unmapped.status).toBe(422);
    expect(unmapped.body.error.details).toEqual([
      {
        path: 'nodes.sh.data.columns.1',
        node_id: 'sh',
        message: 'column "Phone" has no mapping: map a field to it in the map step',
        sentence: 'The Google Sheet step: column "Phone" has no mapping: map a field to it in the map step.',
      },
    ]);

    const noEmail = await api('post', '/flows').send({
      name: 'No email',
      graph: {
        nodes: [trigger('t1'), map('mc', [{ to: 'company', from: 'data.company' }]), node('hs', 'crm', { preset: 'hubspot' })],
        edges: chain('t1', 'mc', 'hs'),
      },
    });
    expect(noEmail.status).toBe(422);
    expect(noEmail.body.error.details[0]).toMatchObject({ path: 'nodes.hs', message: expect.stringContaining('"email"') });

    // A workspace without credentials: the webhook made first is undone when the sheet cannot be saved.
    const bare = await newWorkspace(hub);
    const noCredential = await hub.api('post', `${V}/flows`, bare.key).send({
      name: 'No credential',
      graph: {
        nodes: [
          trigger('t1'),
          node('wh', 'webhook', { url: `${receiver.url}/never`, signing: 'hmac' }),
          node('sh', 'sheets', { spreadsheetId: sheets.spreadsheetId, columns: ['name'] }),
        ],
        edges: [...chain('t1', 'wh'), ...chain('t1', 'sh')],
      },
    });
    expect(noCredential.status).toBe(422);
    expect(noCredential.body.error.details).toMatchObject([{ path: 'nodes.sh', message: expect.stringContaining('Settings') }]);
    expect((await hub.api('get', `${V}/destinations`, bare.key)).body.models).toEqual([]);
    expect((await api('get', '/destinations')).body.models.length).toBe(before);
  });
});
