import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

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
    for (const [path, model] of [
      ['/sources', source],
      ['/destinations', destination],
      ['/connections', connection],
    ] as const) {
      const read = (await hub.api('get', v(`${path}/${model.id}`), ws.key)).body as Record<string, unknown>;
      const put = await hub.api('put', v(`${path}/${model.id}`), ws.key).send({ ...read, name: `${String(read.name)}-renamed` });
      expect(put.status, `${path}: ${put.text}`).toBe(200);
      expect(put.body.name).toBe(`${String(read.name)}-renamed`);
      const typo = await hub.api('put', v(`${path}/${model.id}`), ws.key).send({ ...read, nmae: 'x' });
      expect([path, typo.status, typo.body.error.code]).toEqual([path, 400, 'VALIDATION_ERROR']);
    }
  });

  it('answers GET /destinations with each destination’s attempts of the last 24 hours, by outcome', async () => {
    const receiver = await startReceiver((req) => (req.url === '/fail' ? { status: 500, body: 'no' } : { status: 200, body: 'ok' }));
    try {
      const source = (await hub.api('post', '/v1/sources', ws.key).send({ name: 'counted' })).body;
      const ok = (await hub.api('post', '/v1/destinations', ws.key).send({ name: 'counted-ok', config: { url: `${receiver.url}/ok` } })).body;
      const bad = (await hub.api('post', '/v1/destinations', ws.key).send({ name: 'counted-bad', config: { url: `${receiver.url}/fail` } })).body;
      for (const d of [ok, bad]) await hub.api('post', '/v1/connections', ws.key).send({ name: `to-${d.name}`, source_id: source.id, destination_id: d.id });
      for (let n = 0; n < 3; n++) expect((await hub.api('post', `/e/${source.id}`).send({ n })).status).toBe(200);
      const counts = async () => {
        const list = (await hub.api('get', '/v1/destinations?limit=255', ws.key)).body.models as {
          id: string;
          attempts_24h: { total: number; successful: number; failed: number };
        }[];
        return Object.fromEntries(list.map((d) => [d.id, d.attempts_24h]));
      };
      const seen = await waitFor(
        async () => {
          const c = await counts();
          return c[ok.id]?.successful === 3 && c[bad.id]?.failed >= 3 && c;
        },
        15_000,
        'three attempts counted on each',
      );
      expect(seen[ok.id]).toEqual({ total: 3, successful: 3, failed: 0 });
      expect(seen[bad.id]).toMatchObject({ successful: 0 });
      expect(seen[bad.id].total).toBe(seen[bad.id].failed);
      const one = (await hub.api('get', `/v1/destinations/${ok.id}`, ws.key)).body;
      expect(one.attempts_24h).toEqual({ total: 3, successful: 3, failed: 0 });
    } finally {
      await receiver.close();
    }
  });
});
