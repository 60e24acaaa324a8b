// A flow lead → map → Slack built through the API, against a local fake of Slack's incoming
// webhooks: the Block Kit message that arrives, the webhook URL kept like a password (never in the
// graph, a read or an attempt), and what Slack's refusals do to the destination. The Slack node was
// added as a connector folder, a registry line and its fake: no flow code knows about it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from './support/fakes/slack.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';

const V = '/api/v1';
const at = { x: 0, y: 0 };
const lead = { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', company: 'Acme & Sons <Ltd>' };
type Node = { id: string; kind: string; position: { x: number; y: number }; data: Record<string, unknown> };
type Flow = { id: string; graph: { nodes: Node[]; edges: object[] }; objects: { nodeId: string; kind: string; connectionId: string; destinationId: string }[] };
const node = (id: string, kind: string, data: Record<string, unknown>): Node => ({ id, kind, position: at, data });
const chain = (...ids: string[]) => ids.slice(1).map((id, i) => ({ id: `${ids[i]}-${id}`, source: ids[i], target: id }));
const TOKEN = 'Xk9d2PqL7sVbN3mR8tYw4ZaE';

describe('a flow that posts each lead to Slack', () => {
  let hub: TestHub;
  let slack: FakeSlack;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  const api = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) => hub.api(method, `${V}${path}`, ws.key);
  const publish = async (data: object) => {
    const res = await api('post', '/publish').send({ eventType: 'lead.captured', data, customerId: 'cus_1' });
    expect(res.status, res.text).toBe(202);
    return res.body.eventId as string;
  };
  const graph = (slackData: Record<string, unknown>) => ({
    nodes: [
      node('t1', 'trigger', { eventType: 'lead.captured' }),
      node('m1', 'map', {
        mappings: [
          { to: 'name', from: 'data.name' },
          { to: 'email', from: 'data.email' },
          { to: 'company', from: 'data.company' },
        ],
        envelope: 'flat',
      }),
      node('s1', 'slack', slackData),
    ],
    edges: chain('t1', 'm1', 's1'),
  });
  const slackNode = (flow: { graph: { nodes: Node[] } }) => flow.graph.nodes.find((n) => n.id === 's1') as Node;

  beforeAll(async () => {
    slack = await startFakeSlack();
    hub = await startTestHub({ retrySchedule: [0, 50, 50] });
    ws = await newWorkspace(hub);
  });
  afterAll(async () => {
    await hub?.close();
    await slack?.close();
  });

  let flow: Flow;
  it('saves the Slack node as a destination, keeping its URL out of the graph', async () => {
    const res = await api('post', '/flows').send({ name: 'Leads to Slack', graph: graph({ url: slack.hookUrl, title: 'New lead' }) });
    expect(res.status, res.text).toBe(201);
    flow = res.body;
    expect(flow.objects).toEqual([{ nodeId: 's1', kind: 'slack', connectionId: expect.any(String), destinationId: expect.any(String) }]);
    expect(slackNode(flow).data).toEqual({
      title: 'New lead',
      urlHint: slack.hookUrl.replace(TOKEN, '••••'),
      connectionId: flow.objects[0].connectionId,
      destinationId: flow.objects[0].destinationId,
    });
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
    const dest = await api('get', `/destinations/${flow.objects[0].destinationId}`);
    expect(dest.body).toMatchObject({ type: 'slack', config: { title: 'New lead', url_hint: slack.hookUrl.replace(TOKEN, '••••') } });
    expect(JSON.stringify(dest.body)).not.toContain(TOKEN);
  });

  it('posts a lead as a Block Kit message: the title, the mapped fields, the event', async () => {
    const eventId = await publish(lead);
    const [message] = await waitFor(() => slack.posted.length === 1 && slack.posted, 10_000, 'the Slack message');
    expect(message).toEqual({
      text: 'New lead: name: Jane Smith, email: jane@example.com, company: Acme & Sons <Ltd>',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'New lead', emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: '*name:* Jane Smith\n*email:* jane@example.com\n*company:* Acme &amp; Sons &lt;Ltd&gt;' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `\`lead.captured\` · event \`${eventId}\`` }] },
      ],
    });
    expect(slack.received.at(-1)?.headers['content-type']).toBe('application/json; charset=utf-8');
    // The attempt shows what was sent, but not the webhook's token.
    const attempts = await waitFor(
      async () => {
        const page = await api('get', `/attempts?destination_id=${flow.objects[0].destinationId}`);
        return page.body.models.length === 1 && page.body;
      },
      5_000,
      'the attempt',
    );
    expect(attempts.models[0]).toMatchObject({
      status: 'SUCCESSFUL',
      response: { status: 200, body: 'ok' },
      request: { url: slack.hookUrl.replace(TOKEN, '••••') },
    });
    expect(JSON.stringify(attempts)).not.toContain(TOKEN);
  });

  it('reads back without the URL, and saves again without it: the stored one is kept, the new title used', async () => {
    const back = await api('get', `/flows/${flow.id}`);
    expect(back.status).toBe(200);
    expect(back.body.problems).toEqual([]);
    expect(slackNode(back.body).data).not.toHaveProperty('url');
    expect(slackNode(back.body).data.urlHint).toBe(slack.hookUrl.replace(TOKEN, '••••'));

    const edited = back.body.graph as Flow['graph'];
    slackNode({ graph: edited }).data.title = 'Hot lead';
    const resaved = await api('put', `/flows/${flow.id}`).send({ graph: edited });
    expect(resaved.status, resaved.text).toBe(200);
    expect(resaved.body.objects[0].destinationId).toBe(flow.objects[0].destinationId);
    await publish({ ...lead, email: 'second@example.com' });
    const [, second] = await waitFor(() => slack.posted.length === 2 && slack.posted, 10_000, 'the second message');
    expect(second.blocks?.[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Hot lead', emoji: true } });
  });

  it('tests the saved node (its URL left out) and previews the message a lead makes', async () => {
    const saved = slackNode((await api('get', `/flows/${flow.id}`)).body);
    const connection = await api('post', '/flows/test-connection').send({ node: saved });
    expect(connection.status, connection.text).toBe(200);
    expect(connection.body).toMatchObject({ ok: true, message: expect.stringContaining('Slack knows this webhook') });
    expect(slack.posted).toHaveLength(2);

    const run = await api('post', '/flows/test').send({ graph: { ...graph({}), nodes: [...graph({}).nodes.slice(0, 2), saved] }, data: lead, deliver: 's1' });
    expect(run.status, run.text).toBe(200);
    expect(run.body.nodes.s1).toMatchObject({
      status: 'passed',
      output: { text: expect.stringMatching(/^Hot lead: name: Jane Smith/), blocks: expect.any(Array) },
    });
    expect(run.body.delivery).toMatchObject({ ok: true, status: 200 });
    expect(JSON.stringify(run.body)).not.toContain(TOKEN);
    expect(slack.posted).toHaveLength(3);
  });

  it("asks for the URL of a Slack node never saved, on the node's field", async () => {
    const res = await api('post', '/flows').send({ name: 'No URL', graph: graph({ title: 'x' }) });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toMatchObject([
      { path: 'nodes.s1.data.url', message: 'paste the Slack incoming-webhook URL', sentence: 'The Slack step “x”: paste the Slack incoming-webhook URL.' },
    ]);
  });

  it("fails for good on Slack's 404 no_service, saying so, and disables the destination on 410 channel_is_archived", async () => {
    const destinationId = flow.objects[0].destinationId;
    const attempts = async () =>
      (await api('get', `/attempts?destination_id=${destinationId}&limit=100`)).body.models as {
        event_id: string;
        status: string;
        response: { status: number } | null;
      }[];
    slack.setMode('not-found');
    await publish({ ...lead, email: 'third@example.com' });
    const failed = await waitFor(async () => (await attempts()).find((a) => a.response?.status === 404), 10_000, 'the failed attempt');
    expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'CONFIG', message: expect.stringContaining('no_service: the webhook was removed') } });
    // Final: not retried, although the schedule has two more tries.
    expect((await api('get', `/events/${failed.event_id}`)).body).toMatchObject({ status: 'FAILED', attempts: 1 });

    slack.setMode('ok');
    slack.archive();
    await publish({ ...lead, email: 'fourth@example.com' });
    const dest = await waitFor(
      async () => {
        const d = (await api('get', `/destinations/${destinationId}`)).body;
        return d.disabled_at && d;
      },
      10_000,
      'the destination disabled',
    );
    expect(dest.disabled_reason).toEqual(expect.any(String));
  });

  it('refuses a Slack URL on a private address when the hub does not deliver there', async () => {
    const strict = await startTestHub({ allowPrivateDestinations: false });
    try {
      const other = await newWorkspace(strict);
      const res = await strict.api('post', `${V}/flows`, other.key).send({ name: 'Private', graph: graph({ url: slack.hookUrl }) });
      expect(res.status).toBe(422);
      expect(res.body.error.details).toMatchObject([{ path: 'nodes.s1.data.url', message: 'must be a public address' }]);
      expect((await strict.api('get', `${V}/destinations`, other.key)).body.models).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});
