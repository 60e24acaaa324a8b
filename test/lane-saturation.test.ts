import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

// Regression: a lane with every delivery slot busy that was woken by new work spun without
// awaiting anything, freezing the whole process (ingest included) until its next heartbeat.
describe('a saturated delivery lane', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    hub = await startTestHub({ deliveryConcurrency: 2, deliveryLanes: 1 });
    receiver = await startReceiver(() => ({ status: 200, delayMs: 300 }));
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('keeps the process responsive while new work arrives', async () => {
    const ws = await newWorkspace(hub);
    const api = (m: 'post' | 'get', url: string) => hub.api(m, `/api/v1${url}`, ws.key);
    const src = (await api('post', '/sources').send({ name: 's' })).body;
    const des = (await api('post', '/destinations').send({ name: 'd', config: { url: receiver.url } })).body;
    await api('post', '/connections').send({ name: 'c', source_id: src.id, destination_id: des.id });

    let last = Date.now();
    let worstGap = 0;
    const timer = setInterval(() => {
      const now = Date.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
    }, 10);
    try {
      for (let i = 0; i < 12; i++) {
        const started = Date.now();
        expect((await hub.api('post', `/e/${src.id}`).send({ i })).status).toBe(200);
        expect(Date.now() - started).toBeLessThan(1000);
        await new Promise((r) => setTimeout(r, 40));
      }
      await waitFor(() => receiver.received.length === 12, 15_000, 'all deliveries');
    } finally {
      clearInterval(timer);
    }
    expect(worstGap).toBeLessThan(500);
  });
});
