import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

/** Seed 002's clients call `/v1/…` (its public base) or `/api/control/v1/…` (its dashboard's). */
describe('the API under the bases seed 002 documents', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  beforeAll(async () => {
    hub = await startTestHub();
    ws = await newWorkspace(hub);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('answers the same JSON at /api, /api/v1, /v1, /api/control and /api/control/v1, never the portal', async () => {
    const made = await hub.api('post', '/v1/sources', ws.key).send({ name: 'from-v1' });
    expect(made.status, made.text).toBe(201);
    for (const base of ['/api', '/api/v1', '/v1', '/api/control', '/api/control/v1']) {
      const res = await hub.api('get', `${base}/sources/${made.body.id}`, ws.key);
      expect([base, res.status, res.type]).toEqual([base, 200, 'application/json']);
      expect(res.body.name).toBe('from-v1');
      const unknown = await hub.api('get', `${base}/no-such-thing`, ws.key);
      expect([base, unknown.status, unknown.type, unknown.body.error?.code]).toEqual([base, 404, 'application/json', 'NOT_FOUND']);
    }
    const anonymous = await hub.api('get', '/v1/sources');
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    for (const path of ['/v1/publish', '/api/control/v1/publish']) {
      const published = await hub.api('post', path, ws.key).send({
        eventType: 'lead.captured',
        data: { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', chatbot_name: 'Bot', intent: 'request_quote' },
      });
      expect([path, published.status]).toEqual([path, 202]);
    }
  });

  it('takes back on PUT what GET answered with one field changed, ignoring the read-only fields, and still refuses a field it does not know', async () => {
    const v = (p: string) => `/v1${p}`;
    const source = (await hub.api('post', v('/sources'), ws.key).send({ name: 'echo-src' })).body;
    const destination = (await hub.api('post', v('/destinations'), ws.key).send({ name: 'echo-des', config: { url: 'https://example.com/hook' } })).body;
    const connection = (await hub.api('post', v('/connections'), ws.key).send({ name: 'echo-con', source_id: source.id, destination_id: destination.id })).body;
    for (const [path, model] of [['/sources', source], ['/destinations', destination], ['/connections', connection]] as const) {
      const read = (await hub.api('get', v(`${path}/${model.id}`), ws.key)).body as Record<string, unknown>;
      const put = await hub.api('put', v(`${path}/${model.id}`), ws.key).send({ ...read, name: `${String(read.name)}-renamed` });
      expect(put.status, `${path}: ${put.text}`).toBe(200);
      expect(put.body.name).toBe(`${String(read.name)}-renamed`);
      const typo = await hub.api('put', v(`${path}/${model.id}`), ws.key).send({ ...read, nmae: 'x' });
      expect([path, typo.status, typo.body.error.code]).toEqual([path, 400, 'VALIDATION_ERROR']);
    }
  });
});
