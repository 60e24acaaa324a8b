import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

// Issue 14, trap 2 (canvas) and item 9 (counts as they happen): a flow's counts say how many
// requests arrived, what each step let through and turned away, and what each destination got.
const V = '/api/v1';
type Node = { id: string; kind: string; position: { x: number; y: number }; data: Record<string, unknown> };
const node = (id: string, kind: string, data: Record<string, unknown>): Node => ({ id, kind, position: { x: 0, y: 0 }, data });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
type Saved = { id: string; objects: { nodeId: string; connectionId: string }[] };

describe('flow counts on the canvas and in the flows list', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let other: Awaited<ReturnType<typeof newWorkspace>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let shop: { id: string; url: string };
  const api = (method: 'get' | 'post' | 'put', path: string, key = ws.key) => hub.api(method, `${V}${path}`, key);
  const ingest = async (body: object) => {
    const res = await hub.api('post', `/e/${shop.id}`).set('content-type', 'application/json').send(body);
    expect(res.status, res.text).toBe(200);
  };
  const save = async (name: string, nodes: Node[], edges: ReturnType<typeof edge>[]) => {
    const res = await api('post', '/flows').send({ name, graph: { nodes, edges } });
    expect(res.status, res.text).toBe(201);
    return res.body as Saved;
  };

  beforeAll(async () => {
    receiver = await startReceiver((r) => (r.url.startsWith('/down') ? { status: 500, body: 'down' } : { status: 200, body: 'ok' }));
    hub = await startTestHub({ retrySchedule: [0, 50, 50] });
    ws = await newWorkspace(hub);
    other = await newWorkspace(hub);
    const src = await api('post', '/sources').send({ name: 'shop' });
    expect(src.status).toBe(201);
    shop = src.body;
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  let leads: Saved;
  it('counts 5 arrivals, 3 filtered by the step that did it, 1 duplicate, and a delivery and a failure behind a shared step', async () => {
    leads = await save(
      'Leads',
      [
        node('t1', 'trigger', { sourceId: shop.id }),
        node('f1', 'filter', { conditions: [{ field: 'body.kind', op: 'eq', value: 'lead' }], mode: 'all' }),
        node('f2', 'filter', { conditions: [{ field: 'body.amount', op: 'gt', value: 10 }], mode: 'all' }),
        node('u1', 'dedupe', { window_ms: 60_000, include_fields: ['email'] }),
        node('ok', 'webhook', { url: `${receiver.url}/ok`, signing: 'hmac' }),
        node('down', 'webhook', { url: `${receiver.url}/down`, signing: 'hmac' }),
      ],
      [edge('t1', 'f1'), edge('f1', 'f2'), edge('f2', 'u1'), edge('u1', 'ok'), edge('u1', 'down')],
    );
    await ingest({ kind: 'spam', email: 'a@example.com' }); // f1
    await ingest({ kind: 'spam', email: 'b@example.com' }); // f1
    await ingest({ kind: 'lead', email: 'c@example.com', amount: 1 }); // f2
    await ingest({ kind: 'lead', email: 'd@example.com', amount: 50 }); // through
    await ingest({ kind: 'lead', email: 'd@example.com', amount: 60 }); // duplicate
    const stats = await waitFor(
      async () => {
        const s = (await api('get', `/flows/${leads.id}/stats`)).body;
        return s.nodes?.ok?.delivered === 1 && s.nodes?.down?.failed === 1 && s;
      },
      15_000,
      'a delivery and a failure',
    );
    expect(stats.triggers).toEqual({ t1: { arrived: 5, rejected: 0 } });
    // Each destination's connection turned the same requests away: a step counts each request once.
    expect(stats.steps).toEqual({
      f1: { received: 5, passed: 3, filtered: 2, duplicates: 0 },
      f2: { received: 3, passed: 2, filtered: 1, duplicates: 0 },
      u1: { received: 2, passed: 1, filtered: 0, duplicates: 1 },
    });
    expect(stats.edges).toEqual({ 't1-f1': { count: 5 }, 'f1-f2': { count: 3 }, 'f2-u1': { count: 2 }, 'u1-ok': { count: 1 }, 'u1-down': { count: 1 } });
    expect(stats.nodes.ok).toMatchObject({ delivered: 1, failed: 0, held: 0, queued: 0, ignored: 4 });
    expect(stats.nodes.down).toMatchObject({ delivered: 0, failed: 1, held: 0, queued: 0, ignored: 4 });
    // The drops are recorded under the step's node id.
    const conn = leads.objects.find((o) => o.nodeId === 'ok')!.connectionId;
    const rows = await hub.deps.db.selectFrom('ignored_events').select(['cause', 'step']).where('connection_id', '=', conn).orderBy('id').execute();
    expect(rows).toEqual([
      { cause: 'FILTERED', step: 'f1' },
      { cause: 'FILTERED', step: 'f1' },
      { cause: 'FILTERED', step: 'f2' },
      { cause: 'DUPLICATE', step: 'u1' },
    ]);
  });

  it("counts published events of the trigger's type only, and a filter step's drops apart from other event types", async () => {
    const events = await save(
      'Quotes',
      [
        node('t1', 'trigger', { eventType: 'lead.captured' }),
        node('f1', 'filter', { conditions: [{ field: 'intent', op: 'eq', value: 'quote' }], mode: 'all' }),
        node('w1', 'webhook', { url: `${receiver.url}/ok`, signing: 'hmac' }),
      ],
      [edge('t1', 'f1'), edge('f1', 'w1')],
    );
    const publish = async (eventType: string, data: object) => {
      const res = await api('post', '/publish').send({ eventType, data });
      expect(res.status, res.text).toBe(202);
    };
    await publish('lead.captured', { intent: 'quote', email: 'q@example.com' });
    await publish('lead.captured', { intent: 'chat', email: 'c@example.com' });
    await publish('escalation.created', { intent: 'quote', escalation_id: 'esc_1', reason: 'a human, please' });
    const stats = await waitFor(
      async () => {
        const s = (await api('get', `/flows/${events.id}/stats`)).body;
        return s.nodes?.w1?.delivered === 1 && s;
      },
      15_000,
      'the quote delivered',
    );
    expect(stats.triggers.t1).toEqual({ arrived: 2, rejected: 0 });
    expect(stats.steps.f1).toEqual({ received: 2, passed: 1, filtered: 1, duplicates: 0 });
    expect(stats.edges).toEqual({ 't1-f1': { count: 2 }, 'f1-w1': { count: 1 } });
  });

  it('attributes drops of rules saved before steps were named where only one step can have made them, and redraws such rules without a problem', async () => {
    const older = await save(
      'Older',
      [
        node('t1', 'trigger', { sourceId: shop.id }),
        node('f1', 'filter', { conditions: [{ field: 'body.kind', op: 'eq', value: 'order' }], mode: 'all' }),
        node('u1', 'dedupe', { window_ms: 60_000, include_fields: ['email'] }),
        node('w1', 'webhook', { url: `${receiver.url}/ok`, signing: 'hmac' }),
      ],
      [edge('t1', 'f1'), edge('f1', 'u1'), edge('u1', 'w1')],
    );
    // The rules as a flow wrote them before: the same filter and deduplicate rule, without a step.
    const conn = older.objects.find((o) => o.nodeId === 'w1')!.connectionId;
    const rules = (await api('get', `/connections/${conn}`)).body.rules as { step?: string }[];
    const unnamed = rules.map(({ step: _step, ...r }) => r);
    expect(unnamed).not.toEqual(rules);
    const put = await hub.api('put', `${V}/connections/${conn}`, ws.key).send({ rules: unnamed });
    expect(put.status, put.text).toBe(200);
    expect((await api('get', `/flows/${older.id}`)).body.problems).toEqual([]);
    await ingest({ kind: 'refund', email: 'r@example.com' });
    await ingest({ kind: 'order', email: 'o@example.com' });
    await ingest({ kind: 'order', email: 'o@example.com' });
    const stats = await waitFor(
      async () => {
        const s = (await api('get', `/flows/${older.id}/stats`)).body;
        return s.nodes?.w1?.delivered === 1 && s.steps?.u1?.duplicates === 1 && s;
      },
      15_000,
      'the order delivered',
    );
    expect(stats.steps.f1).toMatchObject({ filtered: 1, passed: 2 });
    expect(stats.steps.u1).toMatchObject({ received: 2, passed: 1, duplicates: 1 });
  });

  it("lists every flow's delivered and failed counts in one answer, and only the team's own", async () => {
    const res = await api('get', '/flows/counts?hours=24');
    expect(res.status).toBe(200);
    expect(res.body.flows[leads.id]).toEqual({
      delivered: 1,
      failed: 1,
      held: 0,
      queued: 0,
      failed_connection: leads.objects.find((o) => o.nodeId === 'down')!.connectionId,
    });
    expect(Object.keys(res.body.flows)).toHaveLength(3);
    expect(new Date(res.body.since).getTime()).toBeLessThanOrEqual(Date.now() - 24 * 3_600_000);
    const theirs = await api('get', '/flows/counts', other.key);
    expect(theirs.status).toBe(200);
    expect(theirs.body.flows).toEqual({});
    expect((await api('get', `/flows/${leads.id}/stats`, other.key)).status).toBe(404);
  });

  it('refuses bad windows with the error shape', async () => {
    for (const q of ['hours=0', 'hours=721', 'hours=soon', 'days=1']) {
      const res = await api('get', `/flows/counts?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.any(String), details: expect.any(Array) });
    }
    expect((await hub.api('get', `${V}/flows/counts`)).status).toBe(401);
  });
});
