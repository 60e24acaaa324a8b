import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bulkTuning } from '../server/gateway/bulk-operations.service.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver, type Received } from './support/receiver.ts';

type Op = {
  id: string;
  state: string;
  estimated_count: number;
  processed_count: number;
  skipped_count: number;
  total: number;
  dry_run: boolean;
  sample?: Sample[];
  query: Record<string, unknown>;
};
type Sample = { event_id: string; action: string; delivery: { url: string; body: unknown; message_id: string } | null };

// A user's receiver was down: hundreds of events failed. Once it is back, they retry everything
// that failed in one go, watch the progress, and can stop it half-way.
describe('bulk retries and replays', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let other: Awaited<ReturnType<typeof newWorkspace>>;
  let failing = true;
  let source: string;
  let destination: string;
  let replaySource: string;
  const defaults = { ...bulkTuning };

  const api = (m: 'get' | 'post', url: string, key = ws.key) => hub.api(m, `/api/v1${url}`, key);
  const count = async (path: string) => {
    const res = await api('get', path);
    expect(res.status, res.text).toBe(200);
    return res.body.count as number;
  };
  const deliveriesTo = (path: string) => receiver.received.filter((r) => r.url === path);
  const perEvent = (list: Received[]) => {
    const n = new Map<string, number>();
    for (const r of list) n.set(String(r.headers['webhook-id']), (n.get(String(r.headers['webhook-id'])) ?? 0) + 1);
    return n;
  };
  const ingest = async (src: string, n: number, tag: string) => {
    for (let i = 0; i < n; i += 50) {
      const sent = await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => hub.api('post', `/e/${src}`).send({ tag, n: i + j })));
      for (const s of sent) expect(s.status).toBe(200);
    }
  };
  const until = (id: string, done: (op: Op) => boolean, kind = 'events') =>
    waitFor(
      async () => {
        const op = (await api('get', `/${kind}/bulk_operations/${id}`)).body as Op;
        return done(op) && op;
      },
      30_000,
      `bulk operation ${id}`,
    );

  beforeAll(async () => {
    // Hundreds of failures in a row must not disable the destination: that is another story.
    hub = await startTestHub({ autoDisableAfter: 100_000 });
    receiver = await startReceiver((r) => (failing && r.url === '/hook' ? { status: 400, body: 'down' } : { status: 200, body: 'ok' }));
    [ws, other] = await Promise.all([newWorkspace(hub), newWorkspace(hub)]);
    source = (await api('post', '/sources').send({ name: 'shop' })).body.id;
    destination = (await api('post', '/destinations').send({ name: 'crm', config: { url: `${receiver.url}/hook` } })).body.id;
    // No automatic retries: a failed delivery stays FAILED until the user retries it.
    const rules = [{ type: 'retry', count: 0, interval: 1000 }];
    expect((await api('post', '/connections').send({ name: 'shop-crm', source_id: source, destination_id: destination, rules })).status).toBe(201);
    replaySource = (await api('post', '/sources').send({ name: 'forms' })).body.id;
    const forms = (await api('post', '/destinations').send({ name: 'sheet', config: { url: `${receiver.url}/forms` } })).body.id;
    expect((await api('post', '/connections').send({ name: 'forms-sheet', source_id: replaySource, destination_id: forms })).status).toBe(201);

    await ingest(source, 300, 'first');
    await waitFor(async () => (await count(`/events/count?status=failed&source_id=${source}`)) === 300, 60_000, '300 failed events');
    expect(deliveriesTo('/hook')).toHaveLength(300);
    failing = false;
  }, 180_000);
  afterEach(() => Object.assign(bulkTuning, defaults));
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('a dry run counts, shows what would be sent now, and changes nothing', async () => {
    const res = await api('post', '/events/bulk_operations').send({ status: 'failed', destination_id: destination, dry_run: true });
    expect(res.status, res.text).toBe(200);
    const op = res.body as Op;
    expect(op).toMatchObject({ state: 'completed', dry_run: true, estimated_count: 300, total: 300, processed_count: 0 });
    expect(op.query).toMatchObject({ status: ['FAILED'], destination_id: destination });
    expect(op.sample).toHaveLength(5);
    for (const s of op.sample ?? []) {
      expect(s.action).toBe('deliver');
      expect(s.delivery).toMatchObject({ url: `${receiver.url}/hook`, message_id: s.event_id, body: { tag: 'first', n: expect.any(Number) } });
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect(deliveriesTo('/hook')).toHaveLength(300);
    expect(await count('/events/count?status=failed')).toBe(300);
    expect(await count(`/events/count?batch_operation_id=${op.id}`)).toBe(0);
    expect((await api('get', `/events/bulk_operations/${op.id}`)).body).toMatchObject({ id: op.id, dry_run: true, sample: op.sample });
  });

  it('retries 300 failed events: progress to processed == total, each delivered once more', async () => {
    const res = await api('post', '/events/bulk_operations').send({ status: 'failed', source_id: source });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ state: 'planned', estimated_count: 300, processed_count: 0, dry_run: false });
    const done = await until(res.body.id, (op) => op.state === 'completed');
    expect(done.processed_count).toBe(300);
    expect(done.total).toBe(300);
    expect(done.skipped_count).toBe(0);

    await waitFor(() => deliveriesTo('/hook').length >= 600, 30_000, '300 more deliveries');
    await new Promise((r) => setTimeout(r, 500));
    const seen = perEvent(deliveriesTo('/hook'));
    expect(seen.size).toBe(300);
    expect([...seen.values()].every((n) => n === 2)).toBe(true);
    await waitFor(async () => (await count('/events/count?status=SUCCESSFUL')) === 300, 10_000, 'all successful');
    expect(await count(`/events/count?batch_operation_id=${done.id}`)).toBe(300);
    const [event] = (await api('get', `/events?batch_operation_id=${done.id}&limit=1`)).body.models;
    expect(event.batch_operation_id).toBe(done.id);
    const attempts = (await api('get', `/attempts?event_id=${event.id}`)).body.models as { trigger: string; status: string }[];
    expect(attempts.map((a) => [a.trigger, a.status]).sort()).toEqual([
      ['bulk', 'SUCCESSFUL'],
      ['initial', 'FAILED'],
    ]);

    const history = (await api('get', '/events/bulk_operations?bucket=history')).body.models.map((o: Op) => o.id);
    expect(history).toContain(done.id);
    expect((await api('get', '/events/bulk_operations?bucket=ongoing')).body.models).toEqual([]);
    const again = await api('post', `/events/bulk_operations/${done.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('BULK_OPERATION_FINISHED');
  });

  it('cancel stops a bulk retry half-way, and exactly what it processed is delivered', async () => {
    failing = true;
    await ingest(source, 200, 'second');
    await waitFor(async () => (await count('/events/count?status=failed')) === 200, 30_000, '200 more failed events');
    failing = false;
    const before = deliveriesTo('/hook').length;
    bulkTuning.eventBatch = 10;
    bulkTuning.spreadMs = 200;

    const res = await api('post', '/events/bulk_operations').send({ status: 'FAILED' });
    expect(res.status, res.text).toBe(202);
    await until(res.body.id, (op) => op.processed_count >= 20);
    const cancelled = await api('post', `/events/bulk_operations/${res.body.id}/cancel`);
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    const processed = cancelled.body.processed_count as number;
    expect(processed).toBeLessThan(cancelled.body.total);
    expect(cancelled.body.total).toBe(200);

    await new Promise((r) => setTimeout(r, 1500));
    const after = (await api('get', `/events/bulk_operations/${res.body.id}`)).body as Op;
    expect(after).toMatchObject({ state: 'cancelled', processed_count: processed });
    await waitFor(() => deliveriesTo('/hook').length >= before + processed, 15_000, 'the processed events delivered');
    await new Promise((r) => setTimeout(r, 500));
    expect(deliveriesTo('/hook').length).toBe(before + processed);
    expect(await count('/events/count?status=failed')).toBe(200 - processed);
    expect((await api('get', '/events/bulk_operations?bucket=ongoing')).body.models).toEqual([]);
  });

  it('replays requests in bulk: each makes a new event, delivered under the current rules', async () => {
    await ingest(replaySource, 30, 'form');
    await waitFor(() => deliveriesTo('/forms').length === 30, 15_000, 'the first 30 form deliveries');

    const dry = await api('post', '/requests/bulk_operations').send({ source_id: replaySource, from: 'now-1h', dry_run: true });
    expect(dry.status, dry.text).toBe(200);
    expect(dry.body).toMatchObject({ kind: 'requests', estimated_count: 30, state: 'completed' });
    expect(dry.body.sample).toHaveLength(5);
    expect(dry.body.sample[0]).toMatchObject({
      action: 'replay',
      events: [{ action: 'deliver', delivery: { url: `${receiver.url}/forms`, body: { tag: 'form' } } }],
    });

    const res = await api('post', '/requests/bulk_operations').send({ source_id: replaySource, from: 'now-1h' });
    expect(res.status, res.text).toBe(202);
    const done = await until(res.body.id, (op) => op.state === 'completed', 'requests');
    expect(done).toMatchObject({ processed_count: 30, total: 30 });
    await waitFor(() => deliveriesTo('/forms').length === 60, 15_000, '30 replayed deliveries');
    // New events: the receiver sees 60 distinct ids, two per request.
    expect(perEvent(deliveriesTo('/forms')).size).toBe(60);
    expect(await count(`/events/count?batch_operation_id=${done.id}`)).toBe(30);
    expect(await count(`/requests/count?batch_operation_id=${done.id}`)).toBe(30);
    expect(await count('/requests/count?retry_kind=bulk')).toBe(30);
    expect(await count(`/events/count?source_id=${replaySource}`)).toBe(60);
  });

  it('keeps operations to their workspace and refuses bad input with the field named', async () => {
    const mine = (await api('get', '/events/bulk_operations')).body.models as Op[];
    expect(mine.length).toBeGreaterThanOrEqual(3);
    const id = mine[0].id;
    for (const [m, url] of [
      ['get', `/events/bulk_operations/${id}`],
      ['post', `/events/bulk_operations/${id}/cancel`],
      ['get', `/requests/bulk_operations/${id}`],
    ] as const) {
      const res = await api(m, url, url.startsWith('/requests') ? ws.key : other.key);
      expect(res.status, url).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    expect((await api('get', '/events/bulk_operations', other.key)).body.models).toEqual([]);
    // Another workspace's filter finds none of this workspace's events.
    const theirs = await api('post', '/events/bulk_operations', other.key).send({ source_id: source, dry_run: true });
    expect(theirs.body.estimated_count).toBe(0);

    const bad: [string, object | undefined, string[]][] = [
      ['/events/bulk_operations', { status: 'exploded' }, ['body.status']],
      ['/events/bulk_operations', { dry_run: 'yes', from: 'yesterday' }, ['body.dry_run', 'body.from']],
      ['/events/bulk_operations', { statuz: 'failed' }, ['body.statuz']],
      ['/requests/bulk_operations', { status: 'failed', ingested_at: { gte: 'soon' } }, ['body.status', 'body.ingested_at[gte]']],
    ];
    for (const [url, body, paths] of bad) {
      const res = await api('post', url).send(body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(paths.sort());
    }
    const list = await api('get', '/events/bulk_operations?bucket=old&limit=0');
    expect(list.status).toBe(400);
    expect(list.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['query.bucket', 'query.limit']);
  });
});
