import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { hubWithWorkspace, waitFor } from './support/hub.ts';

const V = '/api/v1';
const lead = { name: 'Jane Smith', email: 'Jane@Example.com', intent: 'request_quote' };

describe('a flow drawn in the editor delivers like a webhook', () => {
  const env = hubWithWorkspace({ retrySchedule: [0, 100, 100] });
  const api = (method: 'get' | 'post' | 'put' | 'delete', path: string) => env.hub.api(method, `${V}${path}`, env.ws.key);
  const at = (path: string) => env.receiver.received.filter((r) => r.url === path);
  const publish = async (data: object) => {
    const res = await api('post', '/publish').send({ eventType: 'lead.captured', data, customerId: 'cus_1' });
    expect(res.status).toBe(202);
    return res.body.eventId as string;
  };
  const graph = (mappings: object[], url = `${env.receiver.url}/crm`) => ({
    nodes: [
      { id: 'trigger_1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } },
      { id: 'map_1', kind: 'map', position: { x: 250, y: 0 }, data: { mappings, envelope: 'flat' } },
      { id: 'webhook_1', kind: 'webhook', position: { x: 500, y: 0 }, data: { url, signing: 'hmac' } },
    ],
    edges: [
      { id: 'e1', source: 'trigger_1', target: 'map_1' },
      { id: 'e2', source: 'map_1', target: 'webhook_1' },
    ],
  });

  let flowId: string;
  let secret: string;
  let webhookId: string;

  it('saves trigger → map → webhook as a webhook, shows its secret once, and reads back the same picture', async () => {
    const drawn = graph([
      { to: 'full_name', from: 'data.name' },
      { to: 'email', expression: '$lowercase(data.email)' },
    ]);
    const saved = await api('post', '/flows').send({ name: 'Leads to CRM', graph: drawn });
    expect(saved.status).toBe(201);
    expect(saved.body.id).toMatch(/^flw_/);
    expect(saved.body.secrets).toHaveLength(1);
    expect(saved.body.secrets[0]).toMatchObject({ nodeId: 'webhook_1', secret: expect.stringMatching(/^whsec_/) });
    ({ secret, webhookId } = saved.body.secrets[0]);
    flowId = saved.body.id;

    const dest = saved.body.graph.nodes.find((n: { id: string }) => n.id === 'webhook_1');
    expect(dest.data).toMatchObject({ url: `${env.receiver.url}/crm`, signing: 'hmac', webhookId });
    expect({ ...saved.body.graph, nodes: saved.body.graph.nodes.filter((n: { id: string }) => n.id !== 'webhook_1') }).toEqual({
      ...drawn,
      nodes: drawn.nodes.slice(0, 2),
    });

    const back = await api('get', `/flows/${flowId}`);
    expect(back.status).toBe(200);
    expect(back.body.graph).toEqual(saved.body.graph);
    expect(back.body).not.toHaveProperty('secrets');
    expect((await api('get', '/flows')).body.models.map((f: { id: string }) => f.id)).toEqual([flowId]);

    // Underneath it is an ordinary webhook.
    const hook = await api('get', `/webhooks/${webhookId}`);
    expect(hook.body).toMatchObject({ events: ['lead.captured'], envelope: 'flat', url: `${env.receiver.url}/crm` });
  });

  it('delivers exactly the mapped body for a published lead', async () => {
    const eventId = await publish(lead);
    const [got] = await waitFor(() => at('/crm').length === 1 && at('/crm'), 10_000, 'delivery');
    const body = JSON.parse(got.body.toString());
    expect(body).toEqual({
      full_name: 'Jane Smith',
      email: 'jane@example.com',
      eventType: 'lead.captured',
      eventTimestamp: body.eventTimestamp,
      eventId,
      customerId: 'cus_1',
    });
    const headers = {
      'webhook-id': String(got.headers['webhook-id']),
      'webhook-timestamp': String(got.headers['webhook-timestamp']),
      'webhook-signature': String(got.headers['webhook-signature']),
    };
    expect(new Webhook(secret).verify(got.body.toString(), headers)).toEqual(body);
  });

  it('refuses a graph with a cycle or a dangling destination, naming the nodes', async () => {
    const cyclic = graph([{ to: 'email', from: 'data.email' }]);
    cyclic.nodes.push({
      id: 'filter_1',
      kind: 'filter',
      position: { x: 0, y: 0 },
      data: { conditions: [{ field: 'email', op: 'exists' }], mode: 'all' },
    } as never);
    cyclic.edges.push({ id: 'e3', source: 'map_1', target: 'filter_1' }, { id: 'e4', source: 'filter_1', target: 'map_1' });
    const res = await api('post', '/flows').send({ name: 'Loop', graph: cyclic });
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['nodes.filter_1', 'nodes.map_1']);

    const dangling = graph([]);
    dangling.nodes.push({ id: 'webhook_2', kind: 'webhook', position: { x: 0, y: 0 }, data: { url: `${env.receiver.url}/x`, signing: 'hmac' } });
    const res2 = await api('post', '/flows').send({ name: 'Dangling', graph: dangling });
    expect(res2.status).toBe(422);
    expect(res2.body.error.details).toMatchObject([{ path: 'nodes.webhook_2', message: expect.stringContaining('no trigger') }]);

    const badMapping = await api('post', '/flows').send({ name: 'Bad', graph: graph([{ to: 'x', expression: '$$$(' }]) });
    expect(badMapping.status).toBe(422);
    expect(badMapping.body.error.details[0].path).toBe('nodes.map_1.data.mappings.0.expression');
    expect((await api('get', '/webhooks')).body.count).toBe(1);
  });

  it('changes the next delivery when the mapping is edited, keeping the same webhook and secret', async () => {
    const edited = graph([
      { to: 'contact', from: 'data.email' },
      { to: 'source', value: 'flow' },
    ]);
    const res = await api('put', `/flows/${flowId}`).send({ graph: edited });
    expect(res.status).toBe(200);
    expect(res.body.secrets).toEqual([]);
    expect(res.body.webhooks).toEqual([{ nodeId: 'webhook_1', webhookId }]);

    const eventId = await publish(lead);
    const [, got] = await waitFor(() => at('/crm').length === 2 && at('/crm'), 10_000, 'second delivery');
    const body = JSON.parse(got.body.toString());
    expect(body).toEqual({
      contact: 'Jane@Example.com',
      source: 'flow',
      eventType: 'lead.captured',
      eventTimestamp: body.eventTimestamp,
      eventId,
      customerId: 'cus_1',
    });
  });

  it('applies filter steps on the event data', async () => {
    const filtered = graph([{ to: 'email', from: 'data.email' }], `${env.receiver.url}/quotes`);
    filtered.nodes.push({
      id: 'filter_1',
      kind: 'filter',
      position: { x: 0, y: 0 },
      data: { conditions: [{ field: 'intent', op: 'eq', value: 'request_quote' }], mode: 'all' },
    } as never);
    filtered.edges = [
      { id: 'e1', source: 'trigger_1', target: 'filter_1' },
      { id: 'e2', source: 'filter_1', target: 'map_1' },
      { id: 'e3', source: 'map_1', target: 'webhook_1' },
    ];
    const saved = await api('post', '/flows').send({ name: 'Quotes only', graph: filtered });
    expect(saved.status).toBe(201);
    await publish({ ...lead, intent: 'chit_chat', email: 'skip@example.com' });
    await publish({ ...lead, email: 'keep@example.com' });
    const [got] = await waitFor(() => at('/quotes').length >= 1 && at('/quotes'), 10_000, 'filtered delivery');
    await new Promise((r) => setTimeout(r, 500));
    expect(at('/quotes')).toHaveLength(1);
    expect(JSON.parse(got.body.toString()).email).toBe('keep@example.com');

    // Editing the webhook by hand keeps the flow's filter (webhooks.service rulesFor keeps extra conditions).
    const hookId = saved.body.webhooks[0].webhookId;
    expect((await env.hub.api('patch', `${V}/webhooks/${hookId}`, env.ws.key).send({ events: ['lead.captured'] })).status).toBe(200);
    const conn = await api('get', `/connections/${hookId}`);
    // The filter step is a rule of its own, named after its node, so the canvas can count what it turned away.
    expect(conn.body.rules.slice(0, 2)).toEqual([
      { type: 'filter', body: { eventType: { $in: ['lead.captured'] } } },
      { type: 'filter', step: 'filter_1', body: { data: { $and: [{ intent: { $eq: 'request_quote' } }] } } },
    ]);

    // Deleting a flow removes its webhooks.
    expect((await api('delete', `/flows/${saved.body.id}`)).status).toBe(200);
    expect((await api('get', `/webhooks/${hookId}`)).status).toBe(404);
    expect((await api('get', `/flows/${saved.body.id}`)).status).toBe(404);
  });
});
