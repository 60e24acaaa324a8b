// A destination's circuit breaker and delivery limit as the API shows them (issue 13): webhooks and
// destinations both say when Wirehub paused one (why, and when the next probe goes), apart from
// enabled/disabled; max_concurrency is 1..1000 or null on both, and a bad value is a 400 naming it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

const V = '/api/v1';

describe('circuit and max_concurrency in the API', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  const api = (method: 'get' | 'post' | 'patch', path: string) => hub.api(method, `${V}${path}`, ws.key);

  /** Opens a destination's circuit the way the delivery engine leaves it. */
  const openCircuit = (destinationId: string, probeAt: Date) =>
    hub.deps.db
      .updateTable('destinations')
      .set({ circuit_failures: 12, circuit_opened_at: new Date(probeAt.getTime() - 60_000), circuit_probe_at: probeAt, circuit_reason: '12 timeouts in a row' })
      .where('id', '=', destinationId)
      .execute();

  beforeAll(async () => {
    hub = await startTestHub();
    ws = await newWorkspace(hub);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('shows an open circuit on the webhook and its destination, and a new URL closes it', async () => {
    const made = await api('post', '/webhooks').send({ name: 'crm', url: 'https://crm.example.com/in', events: ['lead.captured'], max_concurrency: 4 });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ max_concurrency: 4, circuit: { state: 'closed', failures: 0 } });
    const destinationId = made.body.destination_id as string;
    expect((await api('get', `/destinations/${destinationId}`)).body.max_concurrency).toBe(4);

    const probe = new Date(Date.now() + 5 * 60_000);
    await openCircuit(destinationId, probe);
    const open = {
      state: 'open',
      failures: 12,
      reason: '12 timeouts in a row',
      next_probe_at: probe.toISOString(),
      message: expect.stringContaining(`paused by Wirehub: 12 timeouts in a row, next probe ${probe.toISOString()}`),
    };
    const listed = await api('get', '/webhooks');
    const hook = listed.body.models.find((w: { id: string }) => w.id === made.body.id);
    // Paused by Wirehub is not disabled, nor paused by the user.
    expect(hook).toMatchObject({ enabled: true, paused: false, disabled_reason: null, circuit: open });
    expect((await api('get', `/webhooks/${made.body.id}`)).body.circuit).toMatchObject(open);
    const dest = await api('get', `/destinations/${destinationId}`);
    expect(dest.body).toMatchObject({ disabled_at: null, circuit: open });
    expect(typeof dest.body.circuit.opened_at).toBe('string');

    // Other edits leave the breaker as it is; a new address deserves a fresh try.
    const renamed = await api('patch', `/webhooks/${made.body.id}`).send({ name: 'crm-2', max_concurrency: 8 });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ max_concurrency: 8, circuit: { state: 'open' } });
    const moved = await api('patch', `/webhooks/${made.body.id}`).send({ url: 'https://crm.example.com/v2/in' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ max_concurrency: 8, circuit: { state: 'closed', failures: 0 } });
    expect((await api('get', `/destinations/${destinationId}`)).body).toMatchObject({ max_concurrency: 8, circuit: { state: 'closed' } });

    // null goes back to the hub's default.
    const reset = await api('patch', `/webhooks/${made.body.id}`).send({ max_concurrency: null });
    expect(reset.status).toBe(200);
    expect(reset.body.max_concurrency).toBeNull();
  });

  it('accepts max_concurrency 1..1000 or null and names it when it is not', async () => {
    const hook = await api('post', '/webhooks').send({ name: 'limits', url: 'https://limits.example.com/in', events: ['lead.captured'] });
    expect(hook.status).toBe(201);
    expect(hook.body.max_concurrency).toBeNull();
    const dest = await api('post', '/destinations').send({ name: 'limits-dest', config: { url: 'https://limits.example.com/d' }, max_concurrency: null });
    expect(dest.status).toBe(201);
    expect(dest.body.max_concurrency).toBeNull();

    const writes: [string, 'post' | 'patch', string, Record<string, unknown>][] = [
      ['create webhook', 'post', '/webhooks', { name: 'bad-limit', url: 'https://x.example.com/in', events: ['lead.captured'] }],
      ['edit webhook', 'patch', `/webhooks/${hook.body.id}`, {}],
      ['create destination', 'post', '/destinations', { name: 'bad-limit-dest', config: { url: 'https://x.example.com/d' } }],
      ['edit destination', 'patch', `/destinations/${dest.body.id}`, {}],
    ];
    for (const [what, method, path, base] of writes) {
      for (const bad of [0, 1001, 'x', 2.5]) {
        const res = await api(method, path).send({ ...base, max_concurrency: bad });
        expect([what, bad, res.status]).toEqual([what, bad, 400]);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
        expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.max_concurrency']);
      }
      const ok = await api(method, path).send({ ...base, max_concurrency: 1000 });
      expect([what, ok.status, ok.body.max_concurrency]).toEqual([what, method === 'post' ? 201 : 200, 1000]);
    }
    const cleared = await api('patch', `/destinations/${dest.body.id}`).send({ max_concurrency: null });
    expect([cleared.status, cleared.body.max_concurrency]).toEqual([200, null]);
  });
});
