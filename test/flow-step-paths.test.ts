// Issue 14, trap 1: one path vocabulary for a flow's filter and dedupe steps. After an incoming
// webhook the steps name the request's fields body.<field> (as the trigger's hint, the map step and
// the Test output do); after an event trigger, data.<field> (as the map step does). Bare names, as
// saved before, keep working. A dedupe step on body.email used to save as body.body.email: missing
// on every request, so every request after the first in the window was dropped as a duplicate. A
// filter on data.email in a lead flow used to look for a field `data` inside the data and dropped
// every event.
import { describe, expect, it } from 'vitest';
import { hubWithWorkspace, waitFor } from './support/hub.ts';

const V = '/api/v1';
const at = { x: 0, y: 0 };
type Node = { id: string; kind: string; position: { x: number; y: number }; data: Record<string, unknown> };
type Graph = { nodes: Node[]; edges: { id: string; source: string; target: string }[] };
type Saved = { id: string; graph: Graph; objects: { nodeId: string; connectionId: string }[] };
const node = (id: string, kind: string, data: Record<string, unknown>): Node => ({ id, kind, position: at, data });
const chain = (...ids: string[]) => ids.slice(1).map((id, i) => ({ id: `${ids[i]}-${id}`, source: ids[i], target: id }));

describe('filter and dedupe steps name fields as the map step and the Test output do', () => {
  const env = hubWithWorkspace({ retrySchedule: [0, 100, 100] });
  const api = (method: 'get' | 'post' | 'put' | 'delete', path: string) => env.hub.api(method, `${V}${path}`, env.ws.key);
  const bodiesAt = (path: string) => env.receiver.received.filter((r) => r.url === path).map((r) => JSON.parse(r.body.toString()) as Record<string, unknown>);
  const save = async (name: string, graph: Graph) => {
    const res = await api('post', '/flows').send({ name, graph });
    expect(res.status, res.text).toBe(201);
    return res.body as Saved;
  };
  const rulesOf = async (flow: Saved, nodeId: string) =>
    (await api('get', `/connections/${flow.objects.find((o) => o.nodeId === nodeId)!.connectionId}`)).body.rules as Record<string, unknown>[];
  const ingest = async (sourceId: string, body: object) => {
    const res = await env.hub.api('post', `/e/${sourceId}`).set('content-type', 'application/json').send(body);
    expect(res.status, res.text).toBe(200);
  };
  const publish = async (data: object) => expect((await api('post', '/publish').send({ eventType: 'lead.captured', data })).status).toBe(202);
  /** Waits for `n` deliveries at `path`, then a moment more to see that no other comes. */
  const delivered = async (path: string, n: number) => {
    await waitFor(() => bodiesAt(path).length >= n, 10_000, `${n} deliveries at ${path}`);
    await new Promise((r) => setTimeout(r, 500));
    return bodiesAt(path);
  };

  it("an incoming webhook's dedupe step on body.email drops repeats of one email and lets other emails through", async () => {
    const form = (await api('post', '/sources').send({ name: 'signup-form' })).body as { id: string };
    const graph = (fields: string[], path: string): Graph => ({
      nodes: [
        node('t1', 'trigger', { sourceId: form.id }),
        node('u1', 'dedupe', { window_ms: 60_000, include_fields: fields }),
        node('w1', 'webhook', { url: `${env.receiver.url}${path}`, signing: 'hmac' }),
      ],
      edges: chain('t1', 'u1', 'w1'),
    });
    const typed = await save('Once per email', graph(['body.email'], '/once'));
    expect(await rulesOf(typed, 'w1')).toEqual([{ type: 'deduplicate', step: 'u1', window: 60_000, include_fields: ['body.email'] }]);
    // A bare name, as saved before, means the same field.
    const bare = await save('Once per email (bare)', graph(['email'], '/once-bare'));
    expect(await rulesOf(bare, 'w1')).toEqual([{ type: 'deduplicate', step: 'u1', window: 60_000, include_fields: ['body.email'] }]);

    await ingest(form.id, { email: 'ann@example.com', plan: 'free' });
    await ingest(form.id, { email: 'ann@example.com', plan: 'pro' });
    await ingest(form.id, { email: 'bob@example.com', plan: 'free' });
    // Two deliveries run side by side: their order of arrival is not the order sent.
    for (const path of ['/once', '/once-bare'])
      expect((await delivered(path, 2)).map((b) => `${b.email} ${b.plan}`).sort()).toEqual(['ann@example.com free', 'bob@example.com free']);

    // The editor gets back what was typed, with nothing to fix.
    const back = await api('get', `/flows/${typed.id}`);
    expect(back.body.problems).toEqual([]);
    expect(back.body.graph.nodes.find((n: Node) => n.id === 'u1').data).toEqual({ window_ms: 60_000, include_fields: ['body.email'] });
    expect((await api('get', `/flows/${bare.id}`)).body.graph.nodes.find((n: Node) => n.id === 'u1').data).toEqual({
      window_ms: 60_000,
      include_fields: ['email'],
    });

    // A flow saved before the fix compares body.body.email: the step says why everything after the
    // first request was dropped, keeps the field shown, and saving the flow mends the rule.
    const connectionId = typed.objects.find((o) => o.nodeId === 'w1')!.connectionId;
    const misread = [{ type: 'deduplicate', step: 'u1', window: 60_000, include_fields: ['body.body.email'] }];
    expect((await api('put', `/connections/${connectionId}`).send({ rules: misread })).status).toBe(200);
    const before = (await api('get', `/flows/${typed.id}`)).body;
    expect(before.problems).toEqual([
      expect.objectContaining({ path: 'nodes.u1', message: expect.stringContaining('saved comparing body.body.email, which no request has') }),
    ]);
    expect(before.graph.nodes.find((n: Node) => n.id === 'u1').data).toEqual({ window_ms: 60_000, include_fields: ['body.email'] });
    expect((await api('put', `/flows/${typed.id}`).send({ graph: before.graph })).status).toBe(200);
    expect(await rulesOf(typed, 'w1')).toEqual([{ type: 'deduplicate', step: 'u1', window: 60_000, include_fields: ['body.email'] }]);
    expect((await api('get', `/flows/${typed.id}`)).body.problems).toEqual([]);

    // The Test runs the rule's own reading: a compared field the request lacks is said.
    const test = await api('post', '/flows/test').send({ graph: graph(['body.email', 'body.phone'], '/x'), data: { email: 'cy@example.com' } });
    expect(test.status, test.text).toBe(200);
    expect(test.body.nodes.u1).toMatchObject({ status: 'passed', message: expect.stringContaining('comparing body.email, body.phone') });
    expect(test.body.nodes.u1.message).toContain('this request has no body.phone');
    expect(test.body.nodes.u1.message).not.toContain('no body.email');

    // Headers, query and path are not fields a dedupe step compares: refused with a sentence.
    const onHeaders = await api('post', '/flows').send({ name: 'On a header', graph: graph(['headers.x-id'], '/h') });
    expect(onHeaders.status).toBe(422);
    expect(onHeaders.body.error.details).toEqual([
      expect.objectContaining({
        path: 'nodes.u1',
        node_id: 'u1',
        message:
          "it compares “headers.x-id”, but a deduplicate step on an incoming webhook compares only fields of the request's body (such as body.email), not its headers, query or path",
      }),
    ]);
    expect(onHeaders.body.error.message).toContain('The deduplicate step');
  });

  it("a lead flow's filter and dedupe steps take data.<field> as the map step names it (and bare names as before)", async () => {
    const graph = (filterField: string, dedupeField: string, path: string): Graph => ({
      nodes: [
        node('t1', 'trigger', { eventType: 'lead.captured' }),
        node('f1', 'filter', { conditions: [{ field: filterField, op: 'contains', value: '@example.com' }], mode: 'all' }),
        node('u1', 'dedupe', { window_ms: 60_000, include_fields: [dedupeField] }),
        node('m1', 'map', {
          mappings: [
            { to: 'email', from: 'data.email' },
            { to: 'name', from: 'data.name' },
          ],
          envelope: 'flat',
        }),
        node('w1', 'webhook', { url: `${env.receiver.url}${path}`, signing: 'hmac' }),
      ],
      edges: chain('t1', 'f1', 'u1', 'm1', 'w1'),
    });
    const typed = await save('Leads by data.email', graph('data.email', 'data.email', '/leads'));
    const bare = await save('Leads by email', graph('email', 'email', '/leads-bare'));
    for (const flow of [typed, bare]) {
      const rules = await rulesOf(flow, 'w1');
      expect(rules.find((r) => r.step === 'f1')).toEqual({
        type: 'filter',
        step: 'f1',
        body: { data: { $and: [{ email: { $regex: '@example\\.com', $options: 'i' } }] } },
      });
      expect(rules.find((r) => r.step === 'u1')).toEqual({ type: 'deduplicate', step: 'u1', window: 60_000, include_fields: ['body.data.email'] });
    }

    await publish({ name: 'Ann', email: 'ann@example.com' });
    await publish({ name: 'Ann again', email: 'ann@example.com' });
    await publish({ name: 'Eve', email: 'eve@elsewhere.org' });
    await publish({ name: 'Bob', email: 'bob@example.com' });
    for (const path of ['/leads', '/leads-bare']) expect((await delivered(path, 2)).map((b) => b.name)).toEqual(['Ann', 'Bob']);

    // The events log names the field the same way, and reads what the event had there.
    const filtered = (await api('get', '/requests?outcome=filtered')).body.models as { id: string }[];
    expect(filtered).toHaveLength(1);
    const story = (await api('get', `/requests/${filtered[0].id}/outcome`)).body as { connections: { steps: { description: string; failed: string[] }[] }[] };
    expect(story.connections.map((c) => c.steps[0].failed)).toEqual([['data.email was "eve@elsewhere.org"'], ['data.email was "eve@elsewhere.org"']]);
    expect(story.connections[0].steps[0].description).toContain('data.email contains "@example.com"');

    // The Test agrees with what runs: the lead passes the filter on data.email, another is stopped naming it.
    const passes = await api('post', '/flows/test').send({ graph: typed.graph, data: { name: 'Tess', email: 'tess@example.com' } });
    expect(passes.status, passes.text).toBe(200);
    expect(passes.body.nodes.f1.status).toBe('passed');
    expect(passes.body.nodes.u1.message).toContain('comparing data.email');
    expect(passes.body.nodes.u1.message).not.toContain('has no');
    const stopped = await api('post', '/flows/test').send({ graph: typed.graph, data: { name: 'Olga', email: 'olga@elsewhere.org' } });
    expect(stopped.body.nodes.f1).toMatchObject({ status: 'stopped', message: 'this event fails data.email contains "@example.com"' });

    const back = await api('get', `/flows/${typed.id}`);
    expect(back.body.problems).toEqual([]);
    expect(back.body.graph.nodes.find((n: Node) => n.id === 'u1').data).toEqual({ window_ms: 60_000, include_fields: ['data.email'] });
  });
});
