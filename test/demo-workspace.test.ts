// The demo workspace a first visitor opens with "Try the demo workspace": working sample flows to
// the built-in Test receiver, a chatbot with a knowledge base, and recent events made through the
// real pipeline (the bot's conversations publish them, the worker delivers them): a few delivered,
// one failing at a receiver that answers 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../server/auth/demo-workspace.ts';
import { startTestHub, waitFor, type TestHub } from './support/hub.ts';

type Event = { id: string; status: string; destination_id: string; response_status: number | null; attempts: number };

describe('the demo workspace', () => {
  let hub: TestHub;
  let token: string;
  const api = (method: 'get' | 'post' | 'delete', path: string) => hub.api(method, `/api/v1${path}`, token);
  const destinationNamed = async (name: string) =>
    ((await api('get', '/destinations?limit=255')).body.models as { id: string; name: string; type: string }[]).find((d) => d.name === name);

  beforeAll(async () => {
    hub = await startTestHub({ retrySchedule: [60_000] });
    const login = await hub.api('post', '/api/v1/auth/demo/login');
    expect(login.status, login.text).toBe(200);
    token = login.body.token;
  });
  afterAll(() => hub?.close());

  it('has a chatbot with a knowledge base that reads US phone numbers', async () => {
    const bots = (await api('get', '/chatbots')).body.models;
    expect(bots.map((b: { name: string }) => b.name)).toEqual([DEMO.chatbot]);
    expect(bots[0].settings.lead_capture.default_region).toBe('US');
    const entries = await api('get', `/chatbots/${bots[0].id}/entries?limit=100`);
    expect(entries.body.models.length).toBeGreaterThanOrEqual(5);
  });

  it('has sample flows that save cleanly and deliver to the Test receiver, and one that fails at a 500', async () => {
    const flows = (await api('get', '/flows')).body.models as { id: string; name: string }[];
    expect(flows.map((f) => f.name).sort()).toEqual(Object.values(DEMO.flows).sort());
    for (const f of flows) expect((await api('get', `/flows/${f.id}`)).body.problems, f.name).toEqual([]);

    const receiver = await destinationNamed(DEMO.receiver);
    const failing = await destinationNamed(DEMO.failing);
    expect(receiver?.type).toBe('MOCK_API');
    expect(failing?.type).toBe('MOCK_API');

    // Three leads reach the Test receiver, with the phone typed "(415) 555-0142" read as a US number.
    const recorded = await waitFor(
      async () => {
        const r = await api('get', `/destinations/${receiver!.id}/mock_requests`);
        return r.body.models.length >= 3 ? (r.body.models as { id: string }[]) : null;
      },
      30_000,
      'three leads at the Test receiver',
    );
    const bodies: Record<string, unknown>[] = [];
    for (const m of recorded) bodies.push(JSON.parse((await api('get', `/destinations/${receiver!.id}/mock_requests/${m.id}`)).body.body));
    expect(bodies.map((b) => b.email).sort()).toEqual(['maria.garcia@example.com', 'sam.lee@example.com', 'tom.baker@example.com']);
    expect(bodies.find((b) => b.email === 'maria.garcia@example.com')).toMatchObject({
      name: 'Maria Garcia',
      phone: '+14155550142',
      eventType: 'lead.captured',
    });

    // The events log: the deliveries succeeded, and the escalation failed with the receiver's 500.
    const events = await waitFor(
      async () => {
        const all = (await api('get', '/events?limit=100')).body.models as Event[];
        const ok = all.filter((e) => e.destination_id === receiver!.id && e.status === 'SUCCESSFUL');
        const bad = all.filter((e) => e.destination_id === failing!.id && e.attempts > 0);
        return ok.length >= 3 && bad.length ? { ok, bad } : null;
      },
      30_000,
      'delivered and failed events',
    );
    expect(events.bad).toHaveLength(1);
    expect(events.bad[0]).toMatchObject({ response_status: 500 });
    expect(['SCHEDULED', 'FAILED']).toContain(events.bad[0].status);
  });

  it('opens the same content on the next login, and puts back a sample flow a visitor deleted', async () => {
    const flows = (await api('get', '/flows')).body.models as { id: string; name: string }[];
    const leads = flows.find((f) => f.name === DEMO.flows.leads)!;
    expect((await api('delete', `/flows/${leads.id}`)).status).toBe(200);
    const before = (await api('get', '/events?limit=100')).body.models.length;

    const again = await hub.api('post', '/api/v1/auth/demo/login');
    expect(again.status).toBe(200);
    expect(again.body.team.id).toBe((await api('get', '/auth/me')).body.team.id);
    const names = ((await api('get', '/flows')).body.models as { name: string }[]).map((f) => f.name);
    expect(names.sort()).toEqual(Object.values(DEMO.flows).sort());
    expect((await api('get', '/chatbots')).body.models).toHaveLength(1);
    // Events of the last day exist: no second round of conversations.
    expect((await api('get', '/events?limit=100')).body.models.length).toBe(before);
  });
});
