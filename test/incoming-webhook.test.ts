// The flow editor's "Incoming webhook" trigger (issue 14, items 4 and 5): a source made on the
// spot (and taken back when nothing uses it), and "Listen for a test request", a long poll that
// answers with the next request to the source, only ever the caller's team's.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

const V = '/api/v1';
type Workspace = Awaited<ReturnType<typeof newWorkspace>>;

describe('incoming webhook triggers and listening for a test request', () => {
  let hub: TestHub;
  let a: Workspace;
  let b: Workspace;
  const api = (ws: Workspace, method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) => hub.api(method, `${V}${path}`, ws.key);
  const make = async (ws: Workspace, exclude: string[] = []) => {
    const res = await api(ws, 'post', '/flows/incoming-webhook').send({ exclude });
    expect([200, 201], res.text).toContain(res.status);
    return res.body as { id: string; name: string; type: string; url: string; reused: boolean };
  };
  let n = 0;
  /** A plain source of the Sources page, so a listener test never takes back another test's. */
  const source = async (ws: Workspace) => {
    const res = await api(ws, 'post', '/sources').send({ name: `listened ${n++}` });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; url: string };
  };
  const listen = (ws: Workspace, sourceId: string, extra = '') => api(ws, 'get', `/flows/source-sample/listen?source_id=${sourceId}${extra}`);
  const send = (sourceId: string, body: unknown, type = 'application/json') =>
    hub
      .api('post', `/e/${sourceId}`)
      .set('content-type', type)
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  beforeAll(async () => {
    hub = await startTestHub();
    a = await newWorkspace(hub);
    b = await newWorkspace(hub);
  });
  afterAll(() => hub?.close());

  it('makes "Incoming webhook 1" with its URL, takes it back while nothing uses it, and numbers the next one', async () => {
    const first = await make(a);
    expect(first).toEqual({
      id: expect.stringMatching(/^src_/),
      name: 'Incoming webhook 1',
      type: 'WEBHOOK',
      url: `${hub.deps.config.publicUrl}/e/${first.id}`,
      reused: false,
    });
    // Dropped again (the first node deleted, or its flow never saved): the same idle source, not a second.
    const again = await make(a);
    expect(again).toMatchObject({ id: first.id, reused: true });
    // On the caller's canvas already: a new one.
    const second = await make(a, [first.id]);
    expect(second).toMatchObject({ name: 'Incoming webhook 2', reused: false });
    const listed = await api(a, 'get', '/sources');
    expect(listed.body.models.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['Incoming webhook 1', 'Incoming webhook 2']));
    // The other team gets its own "Incoming webhook 1", never team A's.
    const theirs = await make(b);
    expect(theirs).toMatchObject({ name: 'Incoming webhook 1', reused: false });
    expect(theirs.id).not.toBe(first.id);
  });

  it('never takes back a source a saved flow names, one renamed, or one that received a request', async () => {
    const named = await make(a, []);
    const flow = await api(a, 'post', '/flows').send({
      name: 'Shop to CRM',
      graph: {
        nodes: [
          { id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { sourceId: named.id } },
          { id: 'w1', kind: 'webhook', position: { x: 200, y: 0 }, data: { url: 'http://127.0.0.1:9/crm', signing: 'hmac' } },
        ],
        edges: [{ id: 't1-w1', source: 't1', target: 'w1' }],
      },
    });
    expect(flow.status, flow.text).toBe(201);
    const afterFlow = await make(a);
    expect(afterFlow.id).not.toBe(named.id);

    const renamed = await api(a, 'patch', `/sources/${afterFlow.id}`).send({ name: 'Shop orders' });
    expect(renamed.status, renamed.text).toBe(200);
    const afterRename = await make(a);
    expect([named.id, afterFlow.id]).not.toContain(afterRename.id);

    expect((await send(afterRename.id, { hello: 1 })).status).toBe(200);
    const afterRequest = await make(a);
    expect([named.id, afterFlow.id, afterRename.id]).not.toContain(afterRequest.id);
    expect(afterRequest.reused).toBe(false);
  });

  it('refuses bad input with the error shape', async () => {
    const unknownKey = await api(a, 'post', '/flows/incoming-webhook').send({ name: 'x' });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: [expect.objectContaining({ path: 'body.name' })] });
    const notList = await api(a, 'post', '/flows/incoming-webhook').send({ exclude: 'src_x' });
    expect(notList.status).toBe(400);

    const src = await source(a);
    for (const [qs, path] of [
      ['', 'query.source_id'],
      [`?source_id=${src.id}&after=evt_1`, 'query.after'],
      [`?source_id=${src.id}&wait=0`, 'query.wait'],
      [`?source_id=${src.id}&wait=600`, 'query.wait'],
      [`?source_id=${src.id}&follow=1`, 'query.follow'],
    ]) {
      const res = await api(a, 'get', `/flows/source-sample/listen${qs}`);
      expect(res.status, qs).toBe(400);
      expect(
        res.body.error.details.map((d: { path: string }) => d.path),
        qs,
      ).toContain(path);
    }
    const application = (await api(a, 'get', '/sources')).body.models.find((s: { type: string }) => s.type === 'APPLICATION');
    if (application) {
      const res = await listen(a, application.id, '&wait=1');
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('APPLICATION_SOURCE');
    }
    const missing = await listen(a, 'src_00000000000000000000000000', '&wait=1');
    expect(missing.status).toBe(404);
  });

  it('answers the next request to the source as stored: body, masked headers, path and query; then the one after', async () => {
    const src = await source(a);
    // A request before listening is not "the next one".
    expect((await send(src.id, { before: true })).status).toBe(200);
    const pending = listen(a, src.id, '&wait=10').then((r) => r);
    await new Promise((r) => setTimeout(r, 300));
    const sent = await hub
      .api('post', `/e/${src.id}/orders?ref=ad`)
      .set('content-type', 'application/json')
      .set('authorization', 'Bearer sk_live_secret')
      .send({ type: 'order', email: 'jane@example.com', total: 120 });
    expect(sent.status).toBe(200);
    const res = await pending;
    expect(res.status, res.text).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      status: 'received',
      cursor: sent.body.request_id,
      request: {
        request_id: sent.body.request_id,
        method: 'POST',
        status: 'accepted',
        rejection_cause: null,
        truncated: false,
        sample: { body: { type: 'order', email: 'jane@example.com', total: 120 }, path: '/orders', query: { ref: 'ad' } },
      },
    });
    expect(res.body.request.sample.headers.authorization).not.toContain('sk_live_secret');

    // With the cursor: the next one, not the same again.
    const next = listen(a, src.id, `&wait=10&after=${res.body.cursor}`).then((r) => r);
    await new Promise((r) => setTimeout(r, 300));
    const second = await send(src.id, { type: 'lead' });
    expect((await next).body).toMatchObject({ status: 'received', request: { request_id: second.body.request_id, sample: { body: { type: 'lead' } } } });
  });

  it('says "waiting" with a cursor after the wait, and shows a rejected request with its cause', async () => {
    const src = await source(a);
    const started = Date.now();
    const quiet = await listen(a, src.id, '&wait=1');
    expect(quiet.status).toBe(200);
    expect(quiet.body).toEqual({ status: 'waiting', cursor: expect.stringMatching(/^req_/) });
    expect(Date.now() - started).toBeLessThan(5_000);

    const guarded = await api(a, 'patch', `/sources/${src.id}`).send({
      config: { auth: { type: 'api_key', header_key: 'x-api-key', api_key: 'letmein-0123456789' } },
    });
    expect(guarded.status, guarded.text).toBe(200);
    const pending = listen(a, src.id, `&wait=10&after=${quiet.body.cursor}`).then((r) => r);
    await new Promise((r) => setTimeout(r, 300));
    expect((await send(src.id, { type: 'unsigned' })).status).toBe(401);
    const res = await pending;
    expect(res.body).toMatchObject({ status: 'received', request: { status: 'rejected', rejection_cause: 'missing API key header x-api-key' } });
  });

  it('cuts a big body to 64 KiB of text, marked truncated', async () => {
    const src = await source(a);
    const pending = listen(a, src.id, '&wait=10').then((r) => r);
    await new Promise((r) => setTimeout(r, 300));
    const big = JSON.stringify({ blob: 'x'.repeat(200_000) });
    expect((await send(src.id, big)).status).toBe(200);
    const res = await pending;
    expect(res.body.request).toMatchObject({ truncated: true, size: big.length });
    expect(typeof res.body.request.sample.body).toBe('string');
    expect(res.body.request.sample.body.length).toBeLessThanOrEqual(64 * 1024 + 1);
  });

  it("tenancy: a listener in team A never hears team B's requests, and cannot listen on B's source", async () => {
    const mine = await source(a);
    const theirs = await source(b);
    // A's listener on A's source: B's requests (to B's source) are not A's.
    const pending = listen(a, mine.id, '&wait=2').then((r) => r);
    await new Promise((r) => setTimeout(r, 200));
    expect((await send(theirs.id, { secret: 'team B only' })).status).toBe(200);
    const res = await pending;
    expect(res.body).toEqual({ status: 'waiting', cursor: expect.any(String) });
    expect(res.text).not.toContain('team B only');
    // A naming B's source: 404, as for a source that does not exist, and nothing of B's in the answer.
    const cross = await listen(a, theirs.id, '&wait=1');
    expect(cross.status).toBe(404);
    expect(cross.text).not.toContain('team B only');
    // Nor through the cursor: A's listener after one of B's request ids still reads only A's source.
    const sent = await send(theirs.id, { secret: 'still B' });
    const viaCursor = await listen(a, mine.id, `&wait=1&after=req_00000000000000000000000000`);
    expect(viaCursor.text).not.toContain('still B');
    expect(viaCursor.body.request?.request_id).not.toBe(sent.body.request_id);
    // And B's own source-sample read by A: 404.
    expect((await api(a, 'get', `/flows/source-sample?source_id=${theirs.id}`)).status).toBe(404);
  });

  it('caps the waits a team keeps open (429), frees a slot when the caller leaves, and other teams are not held up', async () => {
    const src = await source(a);
    const url = new URL(`${hub.url}${V}/flows/source-sample/listen?source_id=${src.id}&wait=20`);
    // Five waits held open with raw requests, so one can be dropped mid-wait.
    const held = Array.from({ length: 5 }, () => http.get(url, { headers: { authorization: `Bearer ${a.key}` } }).on('error', () => {}));
    await new Promise((r) => setTimeout(r, 500));
    const refused = await listen(a, src.id, '&wait=1');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'TOO_MANY_LISTENERS', message: expect.stringContaining('5') });
    expect(refused.headers['retry-after']).toBe('5');
    // Team B is not limited by team A's waits.
    const bSrc = await source(b);
    expect((await listen(b, bSrc.id, '&wait=1')).status).toBe(200);
    // One of A's callers closes its tab: its slot is free again.
    held[0].destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect((await listen(a, src.id, '&wait=1')).status).toBe(200);
    for (const h of held) h.destroy();
  });
});
