import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';

const V = '/api/v1';

describe('API keys are resolved from a one-second cache', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub.close());

  it('a key revoked by another process (straight in the database) stops within the second', async () => {
    const ws = await newWorkspace(hub);
    expect((await hub.api('get', `${V}/sources`, ws.key)).status).toBe(200);
    await hub.deps.db.deleteFrom('api_keys').where('workspace_id', '=', ws.teamId).execute();
    const started = Date.now();
    await waitFor(async () => (await hub.api('get', `${V}/sources`, ws.key)).status === 401, 5_000, 'the revoked key to be refused');
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('a key revoked through the API in this process stops at once, and a guessed key is refused every time', async () => {
    const ws = await newWorkspace(hub);
    const made = await hub.api('post', `${V}/api-keys`, ws.token).send({ name: 'short-lived', scopes: ['read'] });
    expect((await hub.api('get', `${V}/sources`, made.body.key)).status).toBe(200);
    expect((await hub.api('delete', `${V}/api-keys/${made.body.id}`, ws.token)).status).toBe(200);
    expect((await hub.api('get', `${V}/sources`, made.body.key)).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await hub.api('get', `${V}/sources`, `wh_live_${'x'.repeat(40)}${i}`)).status).toBe(401);
  });
});
