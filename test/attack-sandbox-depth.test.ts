// Issue 12: deeply nested JSON and the transformation sandbox's fairness, told as attacks.
//
// A sender posts JSON nested 150,000 levels deep: JSON.parse takes it, but everything that walks it
// afterwards (JSON.stringify, structured clones, the sandbox) overflows its stack. Before the fix the
// request was stored, its log page answered 500, and each delivery through a transformation failed as
// a retryable "network" error counted against the destination, which ten such requests disabled.
// A team that floods the sandbox with endless transformations held every thread, so another team's
// one-millisecond run waited ten seconds and was then refused as busy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const IDENTITY = "addHandler('transform', (request) => request)";

describe('deeply nested JSON and a flooded sandbox', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  const api = (method: 'get' | 'post' | 'put', url: string, key = ws.key) => hub.api(method, `/api/v1${url}`, key);

  beforeAll(async () => {
    // Three failures in a row disable a destination here, so the old behaviour shows in three requests.
    hub = await startTestHub({ autoDisableAfter: 3 });
    receiver = await startReceiver();
    ws = await newWorkspace(hub);
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('is refused at ingest with 400 PAYLOAD_TOO_DEEP naming the limit, and nothing is stored', async () => {
    const src = await api('post', '/sources').send({ name: 'deep-sender' });
    const ingest = (body: string) => hub.api('post', `/e/${src.body.id}`).set('content-type', 'application/json').send(body);

    const refused = await ingest(deep(150_000));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'PAYLOAD_TOO_DEEP', details: { max_depth: 256 } });
    expect(refused.body.error.message).toContain('256 levels');
    // Objects count like arrays.
    expect((await ingest(`${'{"a":'.repeat(300)}1${'}'.repeat(300)}`)).body.error.code).toBe('PAYLOAD_TOO_DEEP');

    // At the limit, and with brackets inside strings (escaped quotes included), it is an ordinary payload.
    expect((await ingest(deep(256))).status).toBe(200);
    expect((await ingest(JSON.stringify({ note: `"${'['.repeat(10_000)}\\"{{{` }))).status).toBe(200);
    const stored = await api('get', `/requests?source_id=${src.body.id}`);
    expect(stored.body.models).toHaveLength(2);
  });

  it('is refused by the API and the public chat endpoint before it is parsed', async () => {
    const json = (t: ReturnType<typeof api>) => t.set('content-type', 'application/json');
    const published = await json(api('post', '/publish')).send(`{"eventType":"order.created","data":{"items":${deep(100_000)}}}`);
    expect(published.status).toBe(400);
    expect(published.body.error.code).toBe('PAYLOAD_TOO_DEEP');

    const tried = await json(api('put', '/transformations/run')).send(`{"code":${JSON.stringify(IDENTITY)},"request":{"body":${deep(300)}}}`);
    expect(tried.status).toBe(400);
    expect(tried.body.error.code).toBe('PAYLOAD_TOO_DEEP');

    // The widget's endpoint takes text/plain too (no preflight); 64 KB of brackets is 32,000 levels.
    const chat = await hub
      .api('post', '/api/public/system-chat')
      .set('content-type', 'text/plain')
      .send(`{"chatbot_key":"pk_x","message":${deep(30_000)}}`);
    expect(chat.status).toBe(400);
    expect(chat.body.error.code).toBe('PAYLOAD_TOO_DEEP');
  });

  it("refuses a transformation's result nested deeper than the limit: it would overflow the delivery later", async () => {
    const run = await api('put', '/transformations/run').send({
      code: "addHandler('transform', (request) => { let body = 1; for (let i = 0; i < 300; i++) body = [body]; return { ...request, body }; })",
    });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ ok: false, error: { code: 'TOO_DEEP', message: 'the transformed request nests deeper than 256 levels' } });
  });

  it('stored before the fix, reads back without a 500 and fails its transformation without disabling the destination', async () => {
    const src = await api('post', '/sources').send({ name: 'old-deep' });
    const des = await api('post', '/destinations').send({ name: 'erp', config: { url: `${receiver.url}/erp` } });
    const conn = await api('post', '/connections').send({
      name: 'transformed',
      source_id: src.body.id,
      destination_id: des.body.id,
      rules: [{ type: 'transformation', transformation: { name: 'identity', code: IDENTITY } }],
    });
    expect(conn.status).toBe(201);
    expect((await api('put', `/connections/${conn.body.id}/pause`)).status).toBe(200);

    // Ingest lets deep text through (it is never parsed); relabelled as JSON, the rows are what the
    // hub stored for deep JSON before ingest refused it.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await hub.api('post', `/e/${src.body.id}`).set('content-type', 'text/plain').send(deep(150_000));
      expect(res.status).toBe(200);
      ids.push(res.body.request_id);
    }
    await hub.deps.db.updateTable('requests').set({ content_type: 'application/json' }).where('id', 'in', ids).execute();

    const read = await api('get', `/requests/${ids[0]}`);
    expect(read.status).toBe(200);
    // Shown as its text: parsed, it could not be serialised into the answer.
    expect(read.body.data.body).toBe(deep(150_000));
    expect((await api('get', `/requests?source_id=${src.body.id}&include=data`)).status).toBe(200);
    expect((await api('get', `/connections/${conn.body.id}/latest-input`)).status).toBe(200);
    const tried = await api('put', '/transformations/run').send({ code: IDENTITY, request_id: ids[0] });
    expect(tried.status).toBe(400);
    expect(tried.body.error.code).toBe('PAYLOAD_TOO_DEEP');

    expect((await api('put', `/connections/${conn.body.id}/unpause`)).status).toBe(200);
    const failed = await waitFor(
      async () => {
        const events = (await api('get', `/events?destination_id=${des.body.id}`)).body.models as { id: string; status: string; error_code: string | null }[];
        return events.length === 3 && events.every((e) => e.status === 'FAILED') && events;
      },
      20_000,
      'the three deep events to fail',
    );
    // The sender's payload failed the connection's transformation: final, not a retried network error.
    expect(failed.map((e) => e.error_code)).toEqual(['TRANSFORMATION_FAILED', 'TRANSFORMATION_FAILED', 'TRANSFORMATION_FAILED']);
    const event = await api('get', `/events/${failed[0].id}`);
    expect(event.status).toBe(200);
    const attempts = await api('get', `/attempts?event_id=${failed[0].id}`);
    expect(attempts.body.models).toHaveLength(1);
    expect(attempts.body.models[0].error).toMatchObject({ code: 'TRANSFORMATION_FAILED', message: expect.stringContaining('TOO_DEEP') });
    expect((await api('get', `/attempts/${attempts.body.models[0].id}`)).status).toBe(200);

    // Each run is kept, without the body it could not serialise.
    const trs = (await api('get', '/transformations?name=identity')).body.models[0];
    const runs = await api('get', `/transformations/${trs.id}/executions`);
    expect(runs.body.models.map((r: { error_code: string }) => r.error_code)).toEqual(['TOO_DEEP', 'TOO_DEEP', 'TOO_DEEP']);
    const one = await api('get', `/transformations/${trs.id}/executions/${runs.body.models[0].id}`);
    expect(one.status).toBe(200);
    expect(one.body.original.body).toBeNull();

    // Three failures in a row disable a destination here; these were not the destination's.
    const after = await api('get', `/destinations/${des.body.id}`);
    expect(after.body).toMatchObject({ disabled_at: null, consecutive_failures: 0 });
    expect((await hub.api('post', `/e/${src.body.id}`).send({ order: 'A-1' })).status).toBe(200);
    const got = await waitFor(() => receiver.received.find((r) => r.url === '/erp'), 15_000, 'the ordinary delivery');
    expect(JSON.parse(got.body.toString())).toEqual({ order: 'A-1' });
  }, 40_000);

  it("one team's flood of endless transformations does not hold up another team's run", async () => {
    const flooder = await newWorkspace(hub);
    const other = await newWorkspace(hub);
    const run = (key: string, code: string) => hub.api('put', '/api/v1/transformations/run', key).send({ code });
    // Started once, so that what is measured is the wait for a thread, not the workers' start-up.
    expect((await run(other.key, IDENTITY)).body.ok).toBe(true);

    const flood = Array.from({ length: 20 }, () => run(flooder.key, "addHandler('transform', () => { for (;;) {} })").then((r) => r));
    // The flood's requests reach the sandbox first.
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const mine = await run(other.key, IDENTITY);
    const took = Date.now() - started;
    expect(mine.status).toBe(200);
    expect(mine.body.ok).toBe(true);
    // Before: behind twenty one-second runs on two threads, ~10 s and then 503 SANDBOX_BUSY.
    expect(took).toBeLessThan(1000);

    // The flood waits in its own team's queue: its runs time out one by one, and those that waited
    // longer than a run may wait are refused as busy.
    const outcomes = (await Promise.all(flood)).map((r) => r.body.error.code as string);
    expect(outcomes.every((c) => c === 'TIMEOUT' || c === 'SANDBOX_BUSY')).toBe(true);
    expect(outcomes).toContain('TIMEOUT');
  }, 40_000);
});
