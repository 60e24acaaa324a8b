// Issue 14, item 12: an event that fails for good (its retries spent) publishes hub.delivery.failed
// into the team's application source, so an alert flow hears of it: at most one a minute per
// destination (counting the failures folded into it), never about the hub's own events (no alert
// loops), and never in the way of the delivery that failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryFailure } from '../server/delivery/delivery-engine.ts';
import { createLogger } from '../server/core/logger.ts';
import { DeliveryAlerts, type FailureWindow } from '../server/publish/delivery-alerts.ts';
import { fillTemplate, flowTemplate } from '../shared/flow-templates.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver, type Received } from './support/receiver.ts';

const V = '/api/v1';
const BOUNDS = { windowMs: 6_000, gatherMs: 3_000, perTeam: 20 };
const lead = { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123' };
const node = (id: string, kind: string, data: object, col = 0, row = 0) => ({ id, kind, position: { x: col * 300, y: row * 150 }, data });
const edge = (source: string, target: string) => ({ id: `e_${source}_${target}`, source, target });
/** trigger → webhook: one event type delivered as it is (flat envelope: the data's fields beside eventType). */
const straight = (eventType: string, url: string) => ({
  nodes: [node('t', 'trigger', { eventType }), node('w', 'webhook', { url, signing: 'hmac' }, 1)],
  edges: [edge('t', 'w')],
});

type Event = { id: string; request_id: string; destination_id: string; status: string; attempts: number };

describe('hub.delivery.failed on a real hub', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const at = (path: string) => receiver.received.filter((r) => r.url === path);
  const body = (r: Received) => JSON.parse(r.body.toString()) as Record<string, unknown>;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    // Three attempts 50 ms apart, then FAILED; no destination is turned off on the way.
    hub = await startTestHub({ retrySchedule: [50, 50], autoDisableAfter: 1000, deliveryAlerts: BOUNDS });
    receiver = await startReceiver((r) => (/^\/(crm|burst|alert-broken)/.test(r.url) ? { status: 500, body: 'down' } : { status: 200, body: 'ok' }));
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  async function team() {
    const { key } = await newWorkspace(hub);
    const api = (method: 'get' | 'post', path: string) => hub.api(method, `${V}${path}`, key);
    const flow = async (name: string, graph: object) => {
      const res = await api('post', '/flows').send({ name, graph });
      expect(res.status, res.text).toBe(201);
      return res.body as { id: string; webhooks: { nodeId: string; webhookId: string }[] };
    };
    const publish = async () => {
      const res = await api('post', '/publish').send({ eventType: 'lead.captured', data: lead });
      expect(res.status, res.text).toBe(202);
    };
    const events = async (webhookId: string) => (await api('get', `/events?webhook_id=${webhookId}&limit=100`)).body.models as Event[];
    return { api, flow, publish, events };
  }

  it('an event that fails for good sends exactly one hub.delivery.failed, with what an alert needs, and the template words it', async () => {
    const { flow, publish, events } = await team();
    const leads = await flow('Leads to CRM', straight('lead.captured', `${receiver.url}/crm`));
    await flow('Raw alerts', straight('hub.delivery.failed', `${receiver.url}/alert`));
    const t = flowTemplate('failed-deliveries-alert')!;
    await flow(t.flowName, fillTemplate(t, { 'alert.url': `${receiver.url}/slack` }));

    await publish();
    const hook = leads.webhooks[0].webhookId;
    const [failed] = await waitFor(
      async () => {
        const list = await events(hook);
        return list[0]?.status === 'FAILED' ? list : null;
      },
      15_000,
      'the lead FAILED',
    );
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(at('/crm')).toHaveLength(3);

    const [alert] = await waitFor(() => at('/alert').length > 0 && at('/alert'), 15_000, 'the alert');
    expect(body(alert)).toMatchObject({
      eventType: 'hub.delivery.failed',
      event_id: failed.id,
      request_id: failed.request_id,
      event_type: 'lead.captured',
      webhook_id: hook,
      destination_id: failed.destination_id,
      name: expect.stringContaining('Leads to CRM'),
      url: `${receiver.url}/crm`,
      flow_id: leads.id,
      flow_name: 'Leads to CRM',
      response_status: 500,
      error_code: 'HTTP_STATUS',
      reason: 'the receiver answered 500 Internal Server Error',
      attempts: 3,
      failed_count: 1,
      failed_at: expect.any(String),
      link_path: `/events?q=${failed.id}`,
      link: `${hub.deps.config.publicUrl}/events?q=${failed.id}`,
    });
    const [slack] = await waitFor(() => at('/slack').length > 0 && at('/slack'), 15_000, 'the templated alert');
    expect(body(slack)).toMatchObject({
      text: `Wirehub could not deliver an event of the flow “Leads to CRM” (${receiver.url}/crm): the receiver answered 500 Internal Server Error, after 3 attempts. See ${hub.deps.config.publicUrl}/events?q=${failed.id}`,
      event_id: failed.id,
    });

    // Exactly one: nothing more comes once its window has passed (a second alert for the same
    // destination could only come a window after the first).
    await sleep(BOUNDS.windowMs + 1000);
    expect(at('/alert')).toHaveLength(1);
    expect(at('/slack')).toHaveLength(1);
  }, 40_000);

  it('a burst of 20 failures to one destination is one alert counting 20; the next waits out the window', async () => {
    const { flow, publish, events } = await team();
    const burst = await flow('Burst', straight('lead.captured', `${receiver.url}/burst`));
    await flow('Alerts', straight('hub.delivery.failed', `${receiver.url}/alert-2`));
    await Promise.all(Array.from({ length: 20 }, publish));
    const hook = burst.webhooks[0].webhookId;
    await waitFor(async () => (await events(hook)).filter((e) => e.status === 'FAILED').length === 20, 20_000, '20 FAILED');

    const [first] = await waitFor(() => at('/alert-2').length > 0 && at('/alert-2'), 15_000, 'the alert');
    expect(body(first)).toMatchObject({
      eventType: 'hub.delivery.failed',
      failed_count: 20,
      attempts: 3,
      destination_id: (await events(hook))[0].destination_id,
    });
    await sleep(1000);
    expect(at('/alert-2')).toHaveLength(1);

    // One more failure soon after: folded into the next window, which opens a window after the first alert.
    await publish();
    const [, second] = await waitFor(() => at('/alert-2').length > 1 && at('/alert-2'), 20_000, 'the next alert');
    expect(body(second)).toMatchObject({ failed_count: 1 });
    expect(second.at - first.at).toBeGreaterThanOrEqual(BOUNDS.windowMs - 500);
  }, 60_000);

  it('an alert whose own receiver fails raises no alert about itself (no loop)', async () => {
    const { flow, publish, events } = await team();
    await flow('Leads', straight('lead.captured', `${receiver.url}/crm-3`));
    const broken = await flow('Broken alert', straight('hub.delivery.failed', `${receiver.url}/alert-broken`));
    await flow('Working alert', straight('hub.delivery.failed', `${receiver.url}/alert-ok`));
    await publish();

    await waitFor(() => at('/alert-ok').length > 0, 15_000, 'the alert');
    // The alert failed for good at the broken receiver, as the lead did at the CRM...
    const [failedAlert] = await waitFor(
      async () => {
        const list = await events(broken.webhooks[0].webhookId);
        return list[0]?.status === 'FAILED' ? list : null;
      },
      15_000,
      'the alert FAILED',
    );
    expect(failedAlert.attempts).toBe(3);
    expect(at('/alert-broken')).toHaveLength(3);
    // ...and no hub.delivery.failed tells of it: the working alert flow heard of the lead only.
    await sleep(BOUNDS.gatherMs + 1500);
    expect(at('/alert-ok').map((r) => body(r).event_type)).toEqual(['lead.captured']);
  }, 40_000);

  it('publishes nothing for a team with no alert flow: its requests log does not fill with alerts that go nowhere', async () => {
    const { api, flow, publish, events } = await team();
    const leads = await flow('Leads', straight('lead.captured', `${receiver.url}/crm-4`));
    await publish();
    await waitFor(async () => (await events(leads.webhooks[0].webhookId))[0]?.status === 'FAILED', 15_000, 'the lead FAILED');
    await sleep(BOUNDS.gatherMs + 1000);
    const requests = (await api('get', '/requests?limit=100')).body.models as { event_type: string | null }[];
    expect(requests.map((r) => r.event_type)).toEqual(['lead.captured']);
  }, 30_000);
});

describe('DeliveryAlerts bounds', () => {
  const log = createLogger('silent');
  const failure = (workspaceId: string, destinationId: string, eventType: string | null = 'lead.captured'): DeliveryFailure => ({
    workspaceId,
    eventId: `evt_${Math.random().toString(36).slice(2)}`,
    requestId: 'req_1',
    connectionId: 'web_1',
    destinationId,
    eventType,
    attempts: 3,
    responseStatus: 500,
    errorCode: 'HTTP_STATUS',
    error: 'answered 500',
    failedAt: new Date(),
  });

  it('holds a team to its ceiling per window, keeps counting, and sends the rest when room frees', async () => {
    const sent: (FailureWindow & { at: number })[] = [];
    const alerts = new DeliveryAlerts(async (w) => void sent.push({ ...w, at: Date.now() }), log, { windowMs: 600, gatherMs: 20, perTeam: 2 });
    const started = Date.now();
    alerts.report(['des_a', 'des_b', 'des_c', 'des_c'].map((d) => failure('team_1', d)));
    alerts.report([failure('team_2', 'des_z'), failure('team_1', 'des_hub', 'hub.delivery.failed')]);
    await waitFor(() => sent.length >= 3, 2000, 'the first alerts');
    expect(sent.map((w) => w.destinationId).sort()).toEqual(['des_a', 'des_b', 'des_z']);
    // des_c waits for team_1's room, then goes with both its failures counted.
    await waitFor(() => sent.length >= 4, 2000, 'the held alert');
    const c = sent.find((w) => w.destinationId === 'des_c')!;
    expect(c.count).toBe(2);
    expect(c.at - started).toBeGreaterThanOrEqual(550);
    // A hub event's failure is never an alert.
    expect(sent.some((w) => w.destinationId === 'des_hub')).toBe(false);
    await alerts.close();
  });

  it('never throws into the delivery: a publish that fails is logged, and close sends what still waits', async () => {
    let calls = 0;
    const alerts = new DeliveryAlerts(
      async () => {
        calls++;
        throw new Error('the application source is disabled');
      },
      log,
      { windowMs: 60_000, gatherMs: 60_000, perTeam: 20 },
    );
    expect(() => alerts.report([failure('team_1', 'des_a')])).not.toThrow();
    expect(calls).toBe(0);
    await alerts.close();
    expect(calls).toBe(1);
    // Closed: later failures are not held on to.
    alerts.report([failure('team_1', 'des_b')]);
    await alerts.close();
    expect(calls).toBe(1);
  });
});
