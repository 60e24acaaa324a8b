import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

// Separate API and worker processes share one PostgreSQL server; the embedded database is one process.
describe.skipIf(!inject('databaseUrl'))('API and worker roles on one PostgreSQL', () => {
  const hubs: TestHub[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  afterAll(async () => {
    for (const h of hubs.reverse()) await h.close();
    await receiver?.close();
  });

  it('an API-only process accepts, two worker-only processes deliver each event once', async () => {
    // Every process of one deployment shares the database and the key that encrypts its secrets.
    const shared = { WIREHUB_DB_SCHEMA: `t_${randomBytes(6).toString('hex')}`, WIREHUB_SECRET_KEY: randomBytes(32).toString('hex') };
    const api = await startTestHub({}, { WIREHUB_ROLE: 'api', ...shared });
    hubs.push(api);
    const w1 = await startTestHub({}, { WIREHUB_ROLE: 'worker', ...shared });
    hubs.push(w1);
    const w2 = await startTestHub({}, { WIREHUB_ROLE: 'worker', ...shared });
    hubs.push(w2);
    expect(api.jobs).toBeNull();
    expect((await w1.api('get', '/api/v1/sources')).status).toBe(404); // workers serve no API

    receiver = await startReceiver();
    const ws = await newWorkspace(api);
    const h = (m: 'post' | 'get', url: string) => api.api(m, `/api/v1${url}`, ws.key);
    const src = (await h('post', '/sources').send({ name: 's' })).body;
    // Several destinations, so that events land in more than one lane.
    for (const name of ['a', 'b', 'c', 'd']) {
      const des = (await h('post', '/destinations').send({ name, config: { url: `${receiver.url}/${name}` } })).body;
      await h('post', '/connections').send({ name, source_id: src.id, destination_id: des.id });
    }
    for (let i = 0; i < 25; i++) expect((await api.api('post', `/e/${src.id}`).send({ i })).status).toBe(200);
    await waitFor(() => receiver!.received.length >= 100, 30_000, '100 deliveries');
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(100);
    // The four lanes are spread over the two workers, two each, and every lane has one.
    const lanesOf = (w: TestHub) => [...w.jobs!.runners.keys()].sort();
    await waitFor(() => lanesOf(w1).length === 2 && lanesOf(w2).length === 2, 10_000, 'two lanes on each worker');
    expect([...lanesOf(w1), ...lanesOf(w2)].sort()).toEqual([0, 1, 2, 3]);
  });
});
