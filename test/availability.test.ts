import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

// "Database down → 503, never a false 200": a sender must retry anything we could not store.
describe('when the database is unreachable', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let sourceId: string;

  beforeAll(async () => {
    hub = await startTestHub();
    ws = await newWorkspace(hub);
    sourceId = (await hub.api('post', '/api/v1/sources', ws.key).send({ name: 'src' })).body.id;
    expect((await hub.api('post', `/e/${sourceId}`).send({ warm: true })).status).toBe(200); // source now cached
  });
  afterAll(async () => {
    await hub?.close().catch(() => {}); // the pool is already gone
  });

  it('answers 503 with Retry-After on ingest and on the API, and the server stays up', async () => {
    await hub.jobs?.stop();
    await hub.deps.database.pool.end();
    const ingest = await hub.api('post', `/e/${sourceId}`).send({ lost: 'never' });
    expect(ingest.status).toBe(503);
    expect(ingest.headers['retry-after']).toBe('5');
    expect(ingest.body.error.code).toBe('SERVICE_UNAVAILABLE');
    const api = await hub.api('get', '/api/v1/sources', ws.key);
    expect(api.status).toBe(503);
    expect(api.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect((await hub.api('get', '/api/health')).status).toBe(503);
  });
});
