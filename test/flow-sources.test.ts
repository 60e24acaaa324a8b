import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const V = '/api/v1';
const at = { x: 0, y: 0 };
type Node = { id: string; kind: string; position: { x: number; y: number }; data: Record<string, unknown> };
type Graph = { nodes: Node[]; edges: { id: string; source: string; target: string }[] };
const node = (id: string, kind: string, data: Record<string, unknown>): Node => ({ id, kind, position: at, data });
const chain = (...ids: string[]) => ids.slice(1).map((id, i) => ({ id: `${ids[i]}-${id}`, source: ids[i], target: id }));
type Saved = {
  id: string;
  graph: Graph;
  secrets: { nodeId: string; webhookId: string; secret: string }[];
  objects: { nodeId: string; kind: string; connectionId: string; destinationId: string }[];
};

describe('flows that start from an inbound source', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let shop: { id: string; url: string };
  const api = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, key = ws.key) => hub.api(method, `${V}${path}`, key);
  const at_ = (path: string) => receiver.received.filter((r) => r.url === path);
  const ingest = async (sourceId: string, body: object, path = '') => {
    const res = await hub.api('post', `/e/${sourceId}${path}`).set('content-type', 'application/json').send(body);
    expect(res.status, res.text).toBe(200);
    return res.body.request_id as string;
  };
  const save = async (name: string, graph: Graph) => {
    const res = await api('post', '/flows').send({ name, graph });
    expect(res.status, res.text).toBe(201);
    return res.body as Saved;
  };
  const objectOf = (flow: Saved, nodeId: string) => flow.objects.find((o) => o.nodeId === nodeId) as Saved['objects'][number];

  beforeAll(async () => {
    hub = await startTestHub({ retrySchedule: [0, 100, 100] });
    ws = await newWorkspace(hub);
    receiver = await startReceiver();
    const src = await api('post', '/sources').send({ name: 'shop' });
    expect(src.status).toBe(201);
    shop = { id: src.body.id, url: src.body.url };
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  const orders = (url = `${receiver.url}/orders`): Graph => ({
    nodes: [
      node('t1', 'trigger', { sourceId: shop.id }),
      node('f1', 'filter', { conditions: [{ field: 'amount', op: 'gt', value: 100 }], mode: 'all' }),
      node('m1', 'map', {
        mappings: [
          { to: 'customer', from: 'body.email' },
          { to: 'total', from: 'body.amount' },
          { to: 'via', from: 'path' },
        ],
        envelope: 'flat',
      }),
      node('w1', 'webhook', { url, signing: 'hmac' }),
    ],
    edges: chain('t1', 'f1', 'm1', 'w1'),
  });

  it('asks for a request (or a pasted body) before a test run has anything to run', async () => {
    const res = await api('post', '/flows/test').send({ graph: orders() });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toMatchObject([{ path: 'nodes.t1', message: `send a request to ${shop.url} first, or paste a sample body` }]);
    const sample = await api('get', `/flows/source-sample?source_id=${shop.id}`);
    expect(sample.status).toBe(404);
    expect(sample.body.error).toMatchObject({ code: 'NO_REQUEST_YET', message: expect.stringContaining(shop.url) });
  });

  let flow: Saved;
  let secret: string;
  it('saves source → filter → map → webhook as a signed HTTP destination connected to the source, listed with the webhooks as a step of the flow', async () => {
    flow = await save('Big orders', orders());
    expect(flow.secrets).toEqual([{ nodeId: 'w1', webhookId: objectOf(flow, 'w1').connectionId, secret: expect.stringMatching(/^whsec_/) }]);
    secret = flow.secrets[0].secret;
    expect(objectOf(flow, 'w1').kind).toBe('webhook');
    const w1 = flow.graph.nodes.find((n) => n.id === 'w1') as Node;
    expect(w1.data).toEqual({
      url: `${receiver.url}/orders`,
      signing: 'hmac',
      connectionId: objectOf(flow, 'w1').connectionId,
      destinationId: objectOf(flow, 'w1').destinationId,
      authorizationHint: null,
    });

    const conn = await api('get', `/connections/${objectOf(flow, 'w1').connectionId}`);
    expect(conn.body.source.id).toBe(shop.id);
    expect(conn.body.destination).toMatchObject({ type: 'http-webhook', config: { url: `${receiver.url}/orders`, signing: 'hmac' } });
    expect(conn.body.rules).toEqual([
      { type: 'filter', step: 'f1', body: { $and: [{ amount: { $gt: 100 } }] } },
      {
        type: 'transform',
        mappings: [
          { to: 'customer', from: 'body.email' },
          { to: 'total', from: 'body.amount' },
          { to: 'via', from: 'path' },
        ],
        envelope: 'flat',
      },
    ]);
    // Not a hub webhook underneath (no event types, no plan slot), yet listed with the webhooks, marked as the flow's step.
    const listed = (await api('get', '/webhooks')).body;
    expect(listed.count).toBe(1);
    expect(listed.models[0]).toMatchObject({
      id: objectOf(flow, 'w1').connectionId,
      events: [],
      flow: { id: flow.id, name: 'Big orders', node_id: 'w1' },
      requests_from: { id: shop.id, name: 'shop' },
    });
    expect((await api('get', `/flows/${flow.id}`)).body).toMatchObject({ graph: flow.graph, problems: [] });
  });

  let matching: string;
  it('delivers only the request the filter lets through, with exactly the mapped body and a valid signature', async () => {
    await ingest(shop.id, { email: 'small@example.com', amount: 50 });
    matching = await ingest(shop.id, { email: 'big@example.com', amount: 150, note: 'left out' }, '/checkout');
    const [got] = await waitFor(() => at_('/orders').length === 1 && at_('/orders'), 10_000, 'delivery');
    await new Promise((r) => setTimeout(r, 400));
    expect(at_('/orders')).toHaveLength(1);
    const body = JSON.parse(got.body.toString());
    expect(body).toEqual({ customer: 'big@example.com', total: 150, via: '/checkout' });
    const headers = {
      'webhook-id': String(got.headers['webhook-id']),
      'webhook-timestamp': String(got.headers['webhook-timestamp']),
      'webhook-signature': String(got.headers['webhook-signature']),
    };
    expect(headers['webhook-id']).toMatch(/^evt_/);
    expect(new Webhook(secret).verify(got.body.toString(), headers)).toEqual(body);
    expect(() => new Webhook(`whsec_${Buffer.from('another secret').toString('base64')}`).verify(got.body.toString(), headers)).toThrow();
  });

  it("counts the delivery and the filtered request in the flow's stats", async () => {
    const stats = await waitFor(
      async () => {
        const s = (await api('get', `/flows/${flow.id}/stats?hours=1`)).body;
        return s.nodes?.w1?.delivered === 1 && s;
      },
      10_000,
      'stats',
    );
    expect(stats.nodes.w1).toEqual({ connection_id: objectOf(flow, 'w1').connectionId, delivered: 1, failed: 0, held: 0, queued: 0, ignored: 1 });
    expect(stats.triggers.t1).toEqual({ arrived: 2, rejected: 0 });
    expect(stats.steps.f1).toEqual({ received: 2, passed: 1, filtered: 1, duplicates: 0 });
    expect(stats.edges).toEqual({ 't1-f1': { count: 2 }, 'f1-m1': { count: 1 }, 'm1-w1': { count: 1 } });
  });

  it("shows the last request as the panels' sample and test-runs it node by node, with one real delivery", async () => {
    const sample = await api('get', `/flows/source-sample?source_id=${shop.id}`);
    expect(sample.status).toBe(200);
    expect(sample.body).toMatchObject({
      request_id: matching,
      received_at: expect.any(String),
      sample: { body: { email: 'big@example.com', amount: 150, note: 'left out' }, path: '/checkout', query: {} },
    });
    expect(sample.body.sample.headers['content-type']).toBe('application/json');

    const res = await api('post', '/flows/test').send({ graph: flow.graph });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ source: 'last', request_id: matching, event: { body: { email: 'big@example.com', amount: 150 }, path: '/checkout' } });
    expect(res.body.nodes.f1).toMatchObject({ status: 'passed', input: { email: 'big@example.com', amount: 150, note: 'left out' } });
    expect(res.body.nodes.m1.output).toEqual({ customer: 'big@example.com', total: 150, via: '/checkout' });
    expect(res.body.nodes.w1).toMatchObject({ status: 'passed', output: { customer: 'big@example.com', total: 150, via: '/checkout' } });

    const small = await api('post', '/flows/test').send({ graph: flow.graph, data: { email: 'x@example.com', amount: 5 }, deliver: 'w1' });
    expect(small.status).toBe(200);
    expect(small.body.source).toBe('data');
    expect(small.body.nodes.f1).toMatchObject({ status: 'stopped', message: 'this request fails amount gt 100' });
    expect(small.body.nodes.w1.status).toBe('skipped');
    expect(small.body).not.toHaveProperty('delivery');

    const real = await api('post', '/flows/test').send({ graph: flow.graph, data: { email: 'test@example.com', amount: 500 }, deliver: 'w1' });
    expect(real.status, real.text).toBe(200);
    expect(real.body.delivery).toMatchObject({ ok: true, status: 200, request: { body: { customer: 'test@example.com', total: 500, via: '/' } } });
    const [, sent] = await waitFor(() => at_('/orders').length === 2 && at_('/orders'), 5_000, 'test delivery');
    const headers = {
      'webhook-id': String(sent.headers['webhook-id']),
      'webhook-timestamp': String(sent.headers['webhook-timestamp']),
      'webhook-signature': String(sent.headers['webhook-signature']),
    };
    expect(new Webhook(secret).verify(sent.body.toString(), headers)).toEqual({ customer: 'test@example.com', total: 500, via: '/' });
  });

  it("shows the connection's rules edited through the API in the flow, and a filter it cannot draw as a problem", async () => {
    const connectionId = objectOf(flow, 'w1').connectionId;
    const rules = (await api('get', `/connections/${connectionId}`)).body.rules;
    const edited = [
      rules[0],
      { type: 'deduplicate', window: 60_000, include_fields: ['body.email'] },
      {
        type: 'transform',
        expression: '$merge([body, {"email": $lowercase(body.email)}])',
        mappings: [{ to: 'customer', from: 'body.email' }],
        envelope: 'flat',
      },
      { type: 'retry', strategy: 'linear', count: 2, interval: 1000 },
    ];
    expect((await api('put', `/connections/${connectionId}`).send({ rules: edited })).status).toBe(200);
    const back = await api('get', `/flows/${flow.id}`);
    expect(back.body.problems).toEqual([]);
    const byKind = (kind: string) => back.body.graph.nodes.filter((n: Node) => n.kind === kind) as Node[];
    expect(byKind('map').map((n) => n.data)).toEqual([{ mappings: [{ to: 'customer', from: 'body.email' }], envelope: 'flat' }]);
    // Drawn with the request's fields named as the map step names them (issue 14, trap 1).
    expect(byKind('dedupe').map((n) => n.data)).toEqual([{ window_ms: 60_000, include_fields: ['body.email'] }]);
    expect(byKind('transform').map((n) => n.data)).toEqual([{ expression: '$merge([body, {"email": $lowercase(body.email)}])' }]);
    expect(byKind('trigger').map((n) => n.data)).toEqual([{ sourceId: shop.id }]);

    // Saving what the editor shows writes the same rules back (the deduplicate rule now named after
    // the step drawn for it), and the retry added by hand stays.
    const resaved = await api('put', `/flows/${flow.id}`).send({ graph: back.body.graph });
    expect(resaved.status, resaved.text).toBe(200);
    expect(resaved.body.secrets).toEqual([]);
    expect(objectOf(resaved.body, 'w1').connectionId).toBe(connectionId);
    expect((await api('get', `/connections/${connectionId}`)).body.rules).toEqual([
      edited[0],
      { ...edited[1], step: byKind('dedupe')[0].id },
      ...edited.slice(2),
    ]);

    // A filter on the headers is not a filter step: named at the destination.
    const handMade = [{ type: 'filter', headers: { 'x-shop': 'eu' } }, ...edited.slice(1)];
    expect((await api('put', `/connections/${connectionId}`).send({ rules: handMade })).status).toBe(200);
    const drawn = await api('get', `/flows/${flow.id}`);
    expect(drawn.body.problems).toEqual([{ path: 'nodes.w1', message: expect.stringContaining('filter was edited outside this flow') }]);

    // Moved to another source through the API: the trigger follows.
    const other = await api('post', '/sources').send({ name: 'shop-eu' });
    expect((await api('put', `/connections/${connectionId}`).send({ source_id: other.body.id, rules: edited })).status).toBe(200);
    const moved = await api('get', `/flows/${flow.id}`);
    expect(moved.body.problems).toEqual([]);
    expect(moved.body.graph.nodes.find((n: Node) => n.kind === 'trigger').data).toEqual({ sourceId: other.body.id });
  });

  it('edits the destination in place, keeps its secret, and replaces it when the trigger becomes an event type', async () => {
    const graph = orders(`${receiver.url}/orders-v2`);
    const res = await api('put', `/flows/${flow.id}`).send({ graph });
    expect(res.status, res.text).toBe(200);
    expect(res.body.secrets).toEqual([]);
    const { connectionId, destinationId } = objectOf(res.body, 'w1');
    expect(connectionId).toBe(objectOf(flow, 'w1').connectionId);
    const conn = (await api('get', `/connections/${connectionId}`)).body;
    expect(conn.source.id).toBe(shop.id);
    expect(conn.destination.config.url).toBe(`${receiver.url}/orders-v2`);
    await ingest(shop.id, { email: 'again@example.com', amount: 101 });
    const [got] = await waitFor(() => at_('/orders-v2').length === 1 && at_('/orders-v2'), 10_000, 'delivery after the edit');
    const headers = {
      'webhook-id': String(got.headers['webhook-id']),
      'webhook-timestamp': String(got.headers['webhook-timestamp']),
      'webhook-signature': String(got.headers['webhook-signature']),
    };
    expect(new Webhook(secret).verify(got.body.toString(), headers)).toEqual({ customer: 'again@example.com', total: 101, via: '/' });

    const toEvents = {
      nodes: [node('t1', 'trigger', { eventType: 'lead.captured' }), node('w1', 'webhook', { url: `${receiver.url}/leads`, signing: 'hmac' })],
      edges: chain('t1', 'w1'),
    };
    const switched = await api('put', `/flows/${flow.id}`).send({ graph: toEvents });
    expect(switched.status, switched.text).toBe(200);
    expect(switched.body.webhooks).toHaveLength(1);
    expect(switched.body.secrets).toHaveLength(1);
    expect((await api('get', `/connections/${connectionId}`)).status).toBe(404);
    expect((await api('get', `/destinations/${destinationId}`)).status).toBe(404);
    expect((await api('get', '/webhooks')).body.count).toBe(1);
  });

  it("keeps a source webhook's Authorization sealed: masked on save, kept when the node leaves it out, cleared by null", async () => {
    const graph = (authorization?: string | null): Graph => ({
      nodes: [
        node('t1', 'trigger', { sourceId: shop.id }),
        node('w1', 'webhook', { url: `${receiver.url}/authed`, signing: 'hmac', ...(authorization !== undefined ? { authorization } : {}) }),
      ],
      edges: chain('t1', 'w1'),
    });
    const hint = (g: Graph) => (g.nodes.find((n) => n.id === 'w1') as Node).data.authorizationHint;
    const saved = await save('Authed copies', graph('Bearer sk_live_0123456789abcd'));
    expect(hint(saved.graph)).toBe('Bearer…abcd');
    const kept = await api('put', `/flows/${saved.id}`).send({ graph: graph() });
    expect(kept.status, kept.text).toBe(200);
    expect(hint(kept.body.graph)).toBe('Bearer…abcd');
    expect(hint((await api('get', `/flows/${saved.id}`)).body.graph)).toBe('Bearer…abcd');
    await ingest(shop.id, { email: 'authed@example.com', amount: 1 });
    const [got] = await waitFor(() => at_('/authed').length >= 1 && at_('/authed'), 10_000, 'the authorized delivery');
    expect(got.headers.authorization).toBe('Bearer sk_live_0123456789abcd');

    const cleared = await api('put', `/flows/${saved.id}`).send({ graph: graph(null) });
    expect(cleared.status, cleared.text).toBe(200);
    expect(hint(cleared.body.graph)).toBeNull();
    expect(hint((await api('get', `/flows/${saved.id}`)).body.graph)).toBeNull();
    expect((await api('delete', `/flows/${saved.id}`)).status).toBe(200);
  });

  it('sends requests as they came to an existing destination, one per duplicate email', async () => {
    const dest = await api('post', '/destinations').send({ name: 'raw-receiver', url: `${receiver.url}/raw` });
    expect(dest.status).toBe(201);
    const saved = await save('Raw copies', {
      nodes: [
        node('t1', 'trigger', { sourceId: shop.id }),
        node('u1', 'dedupe', { window_ms: 60_000, include_fields: ['email'] }),
        node('ex', 'destination', { destinationId: dest.body.id }),
      ],
      edges: chain('t1', 'u1', 'ex'),
    });
    expect(saved.secrets).toEqual([]);
    expect((await api('get', `/connections/${objectOf(saved, 'ex').connectionId}`)).body.rules).toEqual([
      { type: 'deduplicate', step: 'u1', window: 60_000, include_fields: ['body.email'] },
    ]);
    await ingest(shop.id, { email: 'dup@example.com', amount: 1 });
    await ingest(shop.id, { email: 'dup@example.com', amount: 2 });
    const [got] = await waitFor(() => at_('/raw').length === 1 && at_('/raw'), 10_000, 'raw delivery');
    await new Promise((r) => setTimeout(r, 400));
    expect(at_('/raw')).toHaveLength(1);
    expect(got.body.toString()).toBe(JSON.stringify({ email: 'dup@example.com', amount: 1 }));
    expect(got.headers['content-type']).toContain('application/json');
    expect((await api('delete', `/flows/${saved.id}`)).status).toBe(200);
    expect((await api('get', `/destinations/${dest.body.id}`)).status).toBe(200);
  });

  // Issue 14, trap 1: the trigger's hint, the field pickers and the Test output show the request as
  // body.type; a condition on body.type saved fine and then dropped every request at runtime.
  it('filters on body.type as the Test output shows it (and on a bare type, as saved before), and refuses headers with a sentence', async () => {
    const forms = (await api('post', '/sources').send({ name: 'forms' })).body;
    const typed = (field: string, path: string): Graph => ({
      nodes: [
        node('t1', 'trigger', { sourceId: forms.id }),
        node('f1', 'filter', { conditions: [{ field, op: 'eq', value: 'lead' }], mode: 'all' }),
        node('w1', 'webhook', { url: `${receiver.url}${path}`, signing: 'hmac' }),
      ],
      edges: chain('t1', 'f1', 'w1'),
    });
    const saved = await save('Typed leads', typed('body.kind', '/typed'));
    await save('Bare leads', typed('kind', '/bare'));
    const connection = (await api('get', `/connections/${objectOf(saved, 'w1').connectionId}`)).body;
    expect(connection.rules[0]).toEqual({ type: 'filter', step: 'f1', body: { $and: [{ kind: { $eq: 'lead' } }] } });
    await ingest(forms.id, { kind: 'spam' });
    await ingest(forms.id, { kind: 'lead', name: 'Ada' });
    await waitFor(() => at_('/typed').length === 1 && at_('/bare').length === 1, 10_000, 'the lead through both filters');
    await new Promise((r) => setTimeout(r, 300));
    expect(at_('/typed').map((r) => JSON.parse(r.body.toString()).kind)).toEqual(['lead']);
    expect(at_('/bare').map((r) => JSON.parse(r.body.toString()).kind)).toEqual(['lead']);

    const onHeaders = await api('post', '/flows').send({ name: 'On headers', graph: typed('headers.x-shop', '/h') });
    expect(onHeaders.status).toBe(422);
    expect(onHeaders.body.error.details).toEqual([
      {
        path: 'nodes.f1.data.conditions.0.field',
        node_id: 'f1',
        message:
          "condition 1 reads “headers.x-shop”, but a filter on an incoming webhook reads only the request's body (such as body.type), not its headers, query or path",
        sentence:
          "The filter step: condition 1 reads “headers.x-shop”, but a filter on an incoming webhook reads only the request's body (such as body.type), not its headers, query or path.",
      },
    ]);
  });

  it('refuses a destination fed by events and a source, or by two sources, naming it', async () => {
    const other = await api('post', '/sources').send({ name: 'crm-hooks' });
    const mixed = await api('post', '/flows').send({
      name: 'Mixed',
      graph: {
        nodes: [
          node('t1', 'trigger', { sourceId: shop.id }),
          node('t2', 'trigger', { eventType: 'lead.captured' }),
          node('w1', 'webhook', { url: `${receiver.url}/x`, signing: 'hmac' }),
        ],
        edges: [...chain('t1', 'w1'), ...chain('t2', 'w1')],
      },
    });
    expect(mixed.status).toBe(422);
    expect(mixed.body.error.details).toMatchObject([
      { path: 'nodes.w1', message: "a destination receives published events or one source's requests, not both: add a second destination" },
    ]);
    const two = await api('post', '/flows').send({
      name: 'Two sources',
      graph: {
        nodes: [
          node('t1', 'trigger', { sourceId: shop.id }),
          node('t2', 'trigger', { sourceId: other.body.id }),
          node('w1', 'webhook', { url: `${receiver.url}/x`, signing: 'hmac' }),
        ],
        edges: [...chain('t1', 'w1'), ...chain('t2', 'w1')],
      },
    });
    expect(two.status).toBe(422);
    expect(two.body.error.details).toMatchObject([{ path: 'nodes.w1', message: expect.stringContaining('one source') }]);
    const both = await api('post', '/flows').send({
      name: 'Both',
      graph: {
        nodes: [node('t1', 'trigger', { sourceId: shop.id, eventType: 'lead.captured' }), node('w1', 'webhook', { url: `${receiver.url}/x` })],
        edges: chain('t1', 'w1'),
      },
    });
    expect(both.status).toBe(422);
    expect(both.body.error.details).toMatchObject([{ path: 'nodes.t1.data', message: 'a trigger starts from an event type or from a source, not both' }]);
  });

  it("refuses another workspace's source and the built-in application source at the trigger, and leaves nothing behind", async () => {
    const stranger = await newWorkspace(hub);
    const graph = orders(`${receiver.url}/never`);
    const foreign = await hub.api('post', `${V}/flows`, stranger.key).send({ name: 'Not mine', graph });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details).toMatchObject([{ path: 'nodes.t1.data.sourceId', message: `source ${shop.id} was not found in this workspace` }]);
    expect((await hub.api('get', `${V}/flows/source-sample?source_id=${shop.id}`, stranger.key)).status).toBe(404);
    const foreignTest = await hub.api('post', `${V}/flows/test`, stranger.key).send({ graph, data: { amount: 500 } });
    expect(foreignTest.status).toBe(422);
    expect(foreignTest.body.error.details[0].path).toBe('nodes.t1.data.sourceId');

    expect((await api('post', '/publish').send({ eventType: 'lead.captured', data: { email: 'a@example.com' } })).status).toBe(202);
    const app = (await api('get', '/sources')).body.models.find((s: { type: string }) => s.type === 'APPLICATION');
    const builtIn = await api('post', '/flows').send({
      name: 'App',
      graph: { ...graph, nodes: graph.nodes.map((n) => (n.id === 't1' ? { ...n, data: { sourceId: app.id } } : n)) },
    });
    expect(builtIn.status).toBe(422);
    expect(builtIn.body.error.details).toMatchObject([{ path: 'nodes.t1.data.sourceId', message: expect.stringContaining('built-in application source') }]);
    expect((await api('get', `/flows/source-sample?source_id=${app.id}`)).status).toBe(422);
    expect((await hub.api('get', `${V}/destinations`, stranger.key)).body.models).toEqual([]);
  });
});
