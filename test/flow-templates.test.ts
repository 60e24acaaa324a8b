// The templates "New flow" offers (server/hub/flow-templates.ts): each graph, once its placeholders
// are filled, passes the same validateGraph the editor and the server use; unfilled, the problems
// are exactly at the placeholders; and the webhook templates save and deliver through a real hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGraph } from '../server/hub/flow-graph.ts';
import { FLOW_TEMPLATES, fillTemplate, flowTemplate, unfilledPlaceholders } from '../server/hub/flow-templates.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const examples = (t: (typeof FLOW_TEMPLATES)[number]) => Object.fromEntries(t.placeholders.map((p) => [`${p.nodeId}.${p.field}`, p.example]));

describe('flow templates', () => {
  it('offers the four templates of the first run, each pre-built: placed, connected, one trigger', () => {
    expect(FLOW_TEMPLATES.map((t) => t.id)).toEqual(['lead-to-sheet', 'lead-to-crm', 'webhook-to-slack', 'failed-deliveries-alert']);
    for (const t of FLOW_TEMPLATES) {
      expect(t.graph.nodes.filter((n) => n.kind === 'trigger'), t.id).toHaveLength(1);
      expect(t.graph.edges.length, t.id).toBe(t.graph.nodes.length - 1);
      // No two nodes on the same spot: the canvas shows each one.
      expect(new Set(t.graph.nodes.map((n) => `${n.position.x},${n.position.y}`)).size, t.id).toBe(t.graph.nodes.length);
    }
  });

  it.each(FLOW_TEMPLATES.map((t) => [t.id, t] as const))('%s: valid once filled, and unfilled only at its placeholders', (_id, t) => {
    const filled = fillTemplate(t, examples(t), t.needsSource ? 'src_example' : undefined);
    expect(validateGraph(filled)).toEqual([]);
    expect(unfilledPlaceholders(t, filled.nodes as never)).toEqual([]);

    const blank = fillTemplate(t, {});
    const problems = validateGraph(blank);
    const expected = [...t.placeholders.map((p) => `nodes.${p.nodeId}.data.${p.field}`), ...(t.needsSource ? [`nodes.${t.needsSource.nodeId}.data.sourceId`] : [])];
    expect(problems.map((p) => p.path).sort()).toEqual(expected.sort());
    expect(unfilledPlaceholders(t, blank.nodes as never).map((p) => p.nodeId)).toEqual(t.placeholders.map((p) => p.nodeId));
    // Filling never touches the template itself.
    expect(fillTemplate(t, {})).toEqual(t.graph);
  });

  it('the failed-deliveries alert listens to the event the hub publishes when it turns a webhook off', () => {
    expect(flowTemplate('failed-deliveries-alert')?.graph.nodes[0].data).toEqual({ eventType: 'hub.webhook.disabled' });
    expect(flowTemplate('nope')).toBeUndefined();
  });
});

describe('flow templates on a real hub', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const api = (method: 'get' | 'post', path: string) => hub.api(method, `/api/v1${path}`, ws.key);

  beforeAll(async () => {
    hub = await startTestHub();
    ws = await newWorkspace(hub);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('"Incoming webhook → Slack-style webhook" posts a Slack message about each request to the source', async () => {
    const t = flowTemplate('webhook-to-slack')!;
    const src = await api('post', '/sources').send({ name: 'Incoming webhook' });
    expect(src.status, src.text).toBe(201);
    const graph = fillTemplate(t, { 'slack.url': `${receiver.url}/slack` }, src.body.id);
    const saved = await api('post', '/flows').send({ name: t.flowName, graph });
    expect(saved.status, saved.text).toBe(201);
    const sent = await hub.api('post', `/e/${src.body.id}`).set('content-type', 'application/json').send({ order: 42 });
    expect(sent.status, sent.text).toBe(200);
    const got = await waitFor(() => receiver.received.find((r) => r.url === '/slack'), 15_000, 'the Slack-style delivery');
    expect(JSON.parse(got.body.toString())).toEqual({ text: 'New request received: {"order":42}' });
  });

  it('"Failed deliveries → alert" turns hub.webhook.disabled into a readable alert, and a test delivery sends it', async () => {
    const t = flowTemplate('failed-deliveries-alert')!;
    const graph = fillTemplate(t, { 'alert.url': `${receiver.url}/alert` });
    const res = await api('post', '/flows/test').send({ graph, use: 'sample', deliver: 'alert' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.nodes.map.output.text).toBe(
      'Wirehub stopped delivering to CRM leads: 10 consecutive failed deliveries (last: receiver answered 503). Its events wait until you turn it back on.',
    );
    expect(res.body.delivery).toMatchObject({ ok: true, status: 200 });
    const got = receiver.received.find((r) => r.url === '/alert');
    expect(JSON.parse(got!.body.toString())).toMatchObject({ text: expect.stringContaining('Wirehub stopped delivering to CRM leads'), eventType: 'hub.webhook.disabled' });
  });

  it('"Lead → Google Sheet" and "Lead → CRM" save only once their credentials exist, and say so at the node', async () => {
    for (const id of ['lead-to-sheet', 'lead-to-crm']) {
      const t = flowTemplate(id)!;
      const res = await api('post', '/flows').send({ name: t.flowName, graph: fillTemplate(t, examples(t)) });
      expect(res.status, `${id}: ${res.text}`).toBe(422);
      const node = t.graph.nodes[2].id;
      expect(res.body.error.details, id).toEqual([expect.objectContaining({ path: `nodes.${node}` })]);
    }
  });
});
