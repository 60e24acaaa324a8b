// One model: a flow's webhook step is a webhook wherever webhooks are listed, and every object
// answers where it is used (flows, webhooks, connections, and for secrets the destinations and
// sources relying on them), for its own team only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

const V = '/api/v1';
const at = { x: 0, y: 0 };
type Node = { id: string; kind: string; position: { x: number; y: number }; data: Record<string, unknown> };
const node = (id: string, kind: string, data: Record<string, unknown>): Node => ({ id, kind, position: at, data });
const chain = (...ids: string[]) => ids.slice(1).map((id, i) => ({ id: `${ids[i]}-${id}`, source: ids[i], target: id }));
type Ref = { id: string; name: string };
type UsedBy = { kind: string; id: string; flows: Ref[]; webhooks: Ref[]; connections: Ref[]; sources: Ref[]; destinations: Ref[] };
type Saved = {
  id: string;
  name: string;
  webhooks: { nodeId: string; webhookId: string }[];
  objects: { nodeId: string; connectionId: string; destinationId: string }[];
};

describe('where each object is used', () => {
  let hub: TestHub;
  let a: Awaited<ReturnType<typeof newWorkspace>>;
  let b: Awaited<ReturnType<typeof newWorkspace>>;
  const api = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, key = a.key) => hub.api(method, `${V}${path}`, key);
  const names = (refs: Ref[]) => refs.map((r) => r.name).sort();

  let shop: Ref;
  let orders: Saved;
  let leads: Saved;
  let ops: { id: string; destination_id: string };
  let crm: Ref;
  let paid: Ref;
  let trs: Ref;

  beforeAll(async () => {
    hub = await startTestHub();
    [a, b] = await Promise.all([newWorkspace(hub), newWorkspace(hub)]);
    shop = (await api('post', '/sources').send({ name: 'shop' })).body;
    const save = async (name: string, nodes: Node[]) => {
      const res = await api('post', '/flows').send({ name, graph: { nodes, edges: chain(...nodes.map((n) => n.id)) } });
      expect(res.status, res.text).toBe(201);
      return res.body as Saved;
    };
    orders = await save('Orders', [
      node('t1', 'trigger', { sourceId: shop.id }),
      node('w1', 'webhook', { url: 'https://orders.example.com/in', signing: 'hmac' }),
    ]);
    leads = await save('Leads', [
      node('t1', 'trigger', { eventType: 'lead.captured' }),
      node('w1', 'webhook', { url: 'https://leads.example.com/in', signing: 'hmac' }),
    ]);
    const hook = await api('post', '/webhooks').send({ name: 'ops', url: 'https://ops.example.com/in', events: ['lead.captured'] });
    expect(hook.status, hook.text).toBe(201);
    ops = hook.body;
    // A destination without a secret of its own signs with the workspace's signing secret.
    crm = (await api('post', '/destinations').send({ name: 'crm', config: { url: 'https://crm.example.com/in' } })).body;
    const t = await api('post', '/transformations').send({ name: 'tidy', code: `addHandler('transform', (r) => r)` });
    expect(t.status, t.text).toBe(201);
    trs = t.body;
    const c = await api('post', '/connections').send({
      name: 'paid',
      source_id: shop.id,
      destination_id: crm.id,
      rules: [{ type: 'transformation', transformation_id: trs.id }],
    });
    expect(c.status, c.text).toBe(201);
    paid = c.body;
  }, 180_000);
  afterAll(() => hub?.close());

  const ordersHook = () => orders.objects[0];

  it("lists a flow's webhook step fed by an incoming webhook on GET /webhooks, marked with its flow and source", async () => {
    const list = await api('get', '/webhooks');
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(3);
    const byUrl = (url: string) => list.body.models.find((w: { url: string }) => w.url === url);
    expect(byUrl('https://orders.example.com/in')).toMatchObject({
      id: ordersHook().connectionId,
      destination_id: ordersHook().destinationId,
      events: [],
      flow: { id: orders.id, name: 'Orders', node_id: 'w1' },
      requests_from: { id: shop.id, name: 'shop' },
    });
    expect(byUrl('https://leads.example.com/in')).toMatchObject({
      events: ['lead.captured'],
      flow: { id: leads.id, name: 'Leads', node_id: 'w1' },
      requests_from: null,
    });
    expect(byUrl('https://ops.example.com/in')).toMatchObject({ flow: null, requests_from: null });

    // The flows list counts it, as it counts the event-fed one.
    const flows = (await api('get', '/flows')).body.models as Saved[];
    expect(flows.find((f) => f.id === orders.id)?.webhooks).toEqual([{ nodeId: 'w1', webhookId: ordersHook().connectionId }]);
    expect(flows.find((f) => f.id === leads.id)?.webhooks).toHaveLength(1);

    // It reads like any webhook; its steps are edited in its flow.
    const one = await api('get', `/webhooks/${ordersHook().connectionId}`);
    expect(one.status).toBe(200);
    expect(one.body.flow).toMatchObject({ id: orders.id });
    const edit = await api('patch', `/webhooks/${ordersHook().connectionId}`).send({ url: 'https://elsewhere.example.com/' });
    expect(edit.status).toBe(409);
    expect(edit.body.error).toMatchObject({
      code: 'EDIT_IN_FLOW',
      message: expect.stringContaining('"Orders"'),
      details: { flow_id: orders.id, node_id: 'w1' },
    });
    // Another team sees none of it.
    expect((await api('get', `/webhooks/${ordersHook().connectionId}`, b.key)).status).toBe(404);
    expect((await api('get', '/webhooks', b.key)).body.count).toBe(0);
  });

  it('answers for a source: the flows it triggers, its connections and the webhooks they feed', async () => {
    const res = await api('get', `/sources/${shop.id}/used-by`);
    expect(res.status, res.text).toBe(200);
    const u = res.body as UsedBy;
    expect(u).toMatchObject({ kind: 'source', id: shop.id });
    expect(names(u.flows)).toEqual(['Orders']);
    expect(u.connections.map((c) => c.id).sort()).toEqual([ordersHook().connectionId, paid.id].sort());
    expect(u.webhooks.map((w) => w.id)).toEqual([ordersHook().connectionId]);
  });

  it('answers for destinations and connections: which flow, which connection, which webhook', async () => {
    const dest = (await api('get', `/destinations/${ordersHook().destinationId}/used-by`)).body as UsedBy;
    expect(names(dest.flows)).toEqual(['Orders']);
    expect(dest.webhooks.map((w) => w.id)).toEqual([ordersHook().connectionId]);
    const mine = (await api('get', `/destinations/${crm.id}/used-by`)).body as UsedBy;
    expect(mine.flows).toEqual([]);
    expect(mine.connections).toEqual([{ id: paid.id, name: 'paid' }]);
    expect(mine.webhooks).toEqual([]);

    const conn = (await api('get', `/connections/${ordersHook().connectionId}/used-by`)).body as UsedBy;
    expect(names(conn.flows)).toEqual(['Orders']);
    expect(conn.sources).toEqual([{ id: shop.id, name: 'shop' }]);
    const plain = (await api('get', `/connections/${paid.id}/used-by`)).body as UsedBy;
    expect(plain).toMatchObject({ flows: [], sources: [{ id: shop.id }], destinations: [{ id: crm.id }] });
  });

  it('answers for transformations, event types and the project secrets', async () => {
    const t = (await api('get', `/transformations/${trs.id}/used-by`)).body as UsedBy;
    expect(t.connections).toEqual([{ id: paid.id, name: 'paid' }]);

    const e = (await api('get', '/event-types/lead.captured/used-by')).body as UsedBy;
    expect(names(e.flows)).toEqual(['Leads']);
    expect(e.webhooks.map((w) => w.id).sort()).toEqual([leads.webhooks[0].webhookId, ops.id].sort());
    const unused = (await api('get', '/event-types/deal.won/used-by')).body as UsedBy;
    expect(unused).toMatchObject({ kind: 'event_type', id: 'deal.won', flows: [], webhooks: [] });

    // Webhooks get a secret of their own; the destination made without one signs with the workspace's.
    const signing = (await api('get', '/project-secrets/signing_secret/used-by')).body as UsedBy;
    expect(signing.destinations).toEqual([{ id: crm.id, name: 'crm' }]);
    expect(signing.connections).toEqual([{ id: paid.id, name: 'paid' }]);
    const key = (await api('get', '/project-secrets/api_key/used-by')).body as UsedBy;
    expect(key.sources.map((s) => s.name)).toHaveLength(1);
    expect(names(key.flows)).toEqual(['Leads']);
  });

  it('answers a whole kind at once for list pages, and nothing of another team', async () => {
    const all = await api('get', '/used-by?kind=source');
    expect(all.status).toBe(200);
    expect(all.body.models.map((m: UsedBy) => m.id)).toContain(shop.id);
    const dests = (await api('get', '/used-by?kind=destination')).body.models as UsedBy[];
    expect(dests.find((d) => d.id === crm.id)?.connections).toEqual([{ id: paid.id, name: 'paid' }]);
    expect((await api('get', '/used-by?kind=source', b.key)).body).toEqual({ kind: 'source', models: [], count: 0 });

    const bad = await api('get', '/used-by?kind=sauces');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: expect.any(String), details: [expect.objectContaining({ path: expect.stringContaining('kind') })] });
    expect((await api('get', '/used-by')).status).toBe(400);
  });

  it("answers 404 for another team's objects, as reading them does", async () => {
    const theirs = [
      `/sources/${shop.id}/used-by`,
      `/destinations/${crm.id}/used-by`,
      `/connections/${paid.id}/used-by`,
      `/transformations/${trs.id}/used-by`,
      '/sources/src_00000000000000000000000000/used-by',
      '/project-secrets/password/used-by',
    ];
    for (const path of theirs) {
      const res = await api('get', path, b.key);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code, path).toBe('NOT_FOUND');
      expect(JSON.stringify(res.body), path).not.toContain('Orders');
    }
    // A custom event type is the declaring team's own.
    expect((await api('post', '/event-types').send({ name: 'order.shipped', sample: { id: 1 } })).status).toBe(201);
    expect((await api('get', '/event-types/order.shipped/used-by')).status).toBe(200);
    expect((await api('get', '/event-types/order.shipped/used-by', b.key)).status).toBe(404);
  });
});
