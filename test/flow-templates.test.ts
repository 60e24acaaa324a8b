// The templates "New flow" offers (shared/flow-templates.ts): each graph, once its placeholders
// are filled, passes the same validateGraph the editor and the server use; unfilled, the problems
// are exactly at the placeholders; and the webhook templates save and deliver through a real hub.
import { describe, expect, it } from 'vitest';
import { FlowGraph, planDestinations, validateGraph } from '../shared/flow-graph.ts';
import { FLOW_TEMPLATES, fillTemplate, flowTemplate, unfilledPlaceholders } from '../shared/flow-templates.ts';
import { hubWithWorkspace, waitFor } from './support/hub.ts';

const examples = (t: (typeof FLOW_TEMPLATES)[number]) => Object.fromEntries(t.placeholders.map((p) => [`${p.nodeId}.${p.field}`, p.example]));

describe('flow templates', () => {
  it('offers the four templates of the first run, each pre-built: placed, connected, one trigger (the alert two)', () => {
    expect(FLOW_TEMPLATES.map((t) => t.id)).toEqual(['lead-to-sheet', 'lead-to-crm', 'webhook-to-slack', 'failed-deliveries-alert']);
    for (const t of FLOW_TEMPLATES) {
      expect(
        t.graph.nodes.filter((n) => n.kind === 'trigger'),
        t.id,
      ).toHaveLength(t.id === 'failed-deliveries-alert' ? 2 : 1);
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
    const expected = [
      ...t.placeholders.map((p) => `nodes.${p.nodeId}.data.${p.field}`),
      ...(t.needsSource ? [`nodes.${t.needsSource.nodeId}.data.sourceId`] : []),
    ];
    expect(problems.map((p) => p.path).sort()).toEqual(expected.sort());
    expect(unfilledPlaceholders(t, blank.nodes as never).map((p) => p.nodeId)).toEqual(t.placeholders.map((p) => p.nodeId));
    // Filling never touches the template itself.
    expect(fillTemplate(t, {})).toEqual(t.graph);
  });

  it('the failed-deliveries alert listens to the events the hub publishes when an event fails for good and when it turns a webhook off', () => {
    const t = flowTemplate('failed-deliveries-alert')!;
    expect(t.graph.nodes.filter((n) => n.kind === 'trigger').map((n) => n.data)).toEqual([
      { eventType: 'hub.delivery.failed' },
      { eventType: 'hub.webhook.disabled' },
    ]);
    // One connection carries both: the webhook node's plan takes both event types through the one map step.
    expect(planDestinations(FlowGraph.parse(fillTemplate(t, examples(t))))).toMatchObject([
      { node: { id: 'alert' }, events: ['hub.delivery.failed', 'hub.webhook.disabled'], mapNodeId: 'map' },
    ]);
    expect(flowTemplate('nope')).toBeUndefined();
  });
});

describe('flow templates on a real hub', () => {
  const env = hubWithWorkspace();
  const api = (method: 'get' | 'post', path: string) => env.hub.api(method, `/api/v1${path}`, env.ws.key);

  it('"Incoming webhook → Slack-style webhook" posts a Slack message about each request to the source', async () => {
    const t = flowTemplate('webhook-to-slack')!;
    const src = await api('post', '/sources').send({ name: 'Incoming webhook' });
    expect(src.status, src.text).toBe(201);
    const graph = fillTemplate(t, { 'slack.url': `${env.receiver.url}/slack` }, src.body.id);
    const saved = await api('post', '/flows').send({ name: t.flowName, graph });
    expect(saved.status, saved.text).toBe(201);
    const sent = await env.hub.api('post', `/e/${src.body.id}`).set('content-type', 'application/json').send({ order: 42 });
    expect(sent.status, sent.text).toBe(200);
    const got = await waitFor(() => env.receiver.received.find((r) => r.url === '/slack'), 15_000, 'the Slack-style delivery');
    expect(JSON.parse(got.body.toString())).toEqual({ text: 'New request received: {"order":42}' });
  });

  it('"Failed deliveries → alert" turns env.hub.delivery.failed and env.hub.webhook.disabled into readable alerts, and a test delivery sends them', async () => {
    const t = flowTemplate('failed-deliveries-alert')!;
    const graph = fillTemplate(t, { 'alert.url': `${env.receiver.url}/alert` });
    const failed = await api('post', '/flows/test').send({ graph, trigger: 'trigger', use: 'sample', deliver: 'alert' });
    expect(failed.status, failed.text).toBe(200);
    expect(failed.body.nodes.map.output.text).toBe(
      'Wirehub could not deliver an event of the flow “New leads to the CRM” (https://crm.example.com/hooks/leads): the receiver answered 500 Internal Server Error, after 9 attempts.' +
        ' 3 events failed like this in the last minute. See https://hooks.example.com/events?q=evt_01JTD8C1Q2XH3N5R7T9V1W3Y5B',
    );
    expect(failed.body.delivery).toMatchObject({ ok: true, status: 200 });
    // One failure alone, of a webhook made by hand to a Google Sheet (no URL), after one attempt.
    const one = await api('post', '/flows/test').send({
      graph,
      trigger: 'trigger',
      data: {
        event_id: 'evt_1',
        destination_id: 'des_1',
        name: 'Orders sheet',
        url: null,
        flow_name: null,
        reason: 'the receiver answered 404 Not Found',
        attempts: 1,
        failed_count: 1,
        link_path: '/events?q=evt_1',
        link: 'http://localhost/events?q=evt_1',
      },
    });
    expect(one.status, one.text).toBe(200);
    expect(one.body.nodes.map.output.text).toBe(
      'Wirehub could not deliver an event to Orders sheet: the receiver answered 404 Not Found, after 1 attempt. See http://localhost/events?q=evt_1',
    );

    const disabled = await api('post', '/flows/test').send({ graph, trigger: 'disabled', use: 'sample', deliver: 'alert' });
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.body.nodes.map.output.text).toBe(
      'Wirehub stopped delivering to CRM leads: 10 consecutive failed deliveries (last: receiver answered 503). Its events wait until you turn it back on.',
    );
    expect(disabled.body.delivery).toMatchObject({ ok: true, status: 200 });
    const got = env.receiver.received.filter((r) => r.url === '/alert').map((r) => JSON.parse(r.body.toString()));
    expect(got).toMatchObject([
      {
        text: expect.stringMatching(/^Wirehub could not deliver an event of the flow “New leads to the CRM”/),
        eventType: 'hub.delivery.failed',
        event_id: 'evt_01JTD8C1Q2XH3N5R7T9V1W3Y5B',
      },
      {
        text: expect.stringContaining('Wirehub stopped delivering to CRM leads'),
        eventType: 'hub.webhook.disabled',
        destination_id: 'des_01JTD8C1Q2XH3N5R7T9V1W3Y5A',
      },
    ]);
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
