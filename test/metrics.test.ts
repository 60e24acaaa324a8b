import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

// The metrics histograms as a user reads them: traffic of known times, counted per bucket, every
// empty bucket present as zeros, sums equal to the logs' own counts, other workspaces invisible.
describe('request and event metrics', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let other: Awaited<ReturnType<typeof newWorkspace>>;
  const ids = {} as Record<'shop' | 'crm' | 'locked' | 'ok' | 'bad' | 'shopToOk' | 'crmToBad' | 'crmLater', string>;
  /** Every minute of the test's hour starts here; 10:00–10:05 UTC of a day long past. */
  const T0 = Date.parse('2026-01-05T10:00:00.000Z');
  const at = (seconds: number) => new Date(T0 + seconds * 1000);
  const iso = (seconds: number) => at(seconds).toISOString();

  const api = (url: string, key = ws.key) => hub.api('get', `/api/v1${url}`, key);
  const metrics = async (path: string, key = ws.key) => {
    const res = await api(`/metrics/${path}`, key);
    expect(res.status, res.text).toBe(200);
    return res.body as {
      granularity: string;
      date_range: { start: string; end: string };
      measures: string[];
      data: ({ time: string } & Record<string, number>)[];
    };
  };
  const range = (from: number, to: number, granularity = '1m') => `date_range[start]=${iso(from)}&date_range[end]=${iso(to)}&granularity=${granularity}`;
  const column = (data: Record<string, number | string>[], m: string) => data.map((d) => d[m]);

  /**
   * The API stamps requests and events with the time they arrive and offers no way to backdate
   * them, so after real ingestion and delivery the rows are moved to known times directly: the
   * only thing written behind the API's back is created_at.
   */
  async function place(requestId: string, seconds: number) {
    const db = hub.deps.db;
    await db
      .updateTable('requests')
      .set({ created_at: at(seconds) })
      .where('id', '=', requestId)
      .execute();
    await db
      .updateTable('events')
      .set({ created_at: at(seconds) })
      .where('request_id', '=', requestId)
      .execute();
    await db
      .updateTable('ignored_events')
      .set({ created_at: at(seconds) })
      .where('request_id', '=', requestId)
      .execute();
  }
  const send = async (source: string, body: object, headers: Record<string, string> = {}) => {
    const res = await hub.api('post', `/e/${source}`).set(headers).send(body);
    // A rejected request is stored too: its id comes with the error.
    const id = (res.body.request_id ?? res.body.error?.details?.request_id) as string;
    expect(id, res.text).toBeTruthy();
    return id;
  };

  beforeAll(async () => {
    hub = await startTestHub({ autoDisableAfter: 1000 });
    receiver = await startReceiver((r) => (r.url.startsWith('/bad') ? { status: 400, body: 'no' } : { status: 200, body: 'ok' }));
    [ws, other] = await Promise.all([newWorkspace(hub), newWorkspace(hub)]);
    const create = async (path: string, body: object, key = ws.key) => {
      const res = await hub.api('post', `/api/v1${path}`, key).send(body);
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    };
    ids.shop = await create('/sources', { name: 'shop' });
    ids.crm = await create('/sources', { name: 'crm' });
    ids.locked = await create('/sources', { name: 'locked', config: { auth: { type: 'api_key', header_key: 'x-api-key', api_key: 'open sesame' } } });
    ids.ok = await create('/destinations', { name: 'ok', config: { url: `${receiver.url}/ok` } });
    ids.bad = await create('/destinations', { name: 'bad', config: { url: `${receiver.url}/bad` } });
    ids.shopToOk = await create('/connections', {
      name: 'paid',
      source_id: ids.shop,
      destination_id: ids.ok,
      rules: [{ type: 'filter', body: { type: 'order.paid' } }],
    });
    ids.crmToBad = await create('/connections', {
      name: 'crm-bad',
      source_id: ids.crm,
      destination_id: ids.bad,
      rules: [{ type: 'retry', count: 0, interval: 1000 }],
    });
    ids.crmLater = await create('/connections', {
      name: 'crm-later',
      source_id: ids.crm,
      destination_id: ids.ok,
      rules: [{ type: 'delay', delay: 86_400_000 }],
    });
    await create('/connections', { name: 'locked-ok', source_id: ids.locked, destination_id: ids.ok });

    // Minute 0: shop paid (5 s), crm (10 s). Minute 1: shop paid ×2 (65 s, 70 s). Minute 2: shop
    // unpaid → ignored (130 s), rejected request (150 s). Minute 3: crm (200 s). Minute 4: nothing.
    await place(await send(ids.shop, { type: 'order.paid', n: 1 }), 5);
    await place(await send(ids.crm, { n: 1 }), 10);
    await place(await send(ids.shop, { type: 'order.paid', n: 2 }), 65);
    await place(await send(ids.shop, { type: 'order.paid', n: 3 }), 70);
    await place(await send(ids.shop, { type: 'order.refunded', n: 4 }), 130);
    await place(await send(ids.locked, { n: 5 }, { 'x-api-key': 'wrong' }), 150);
    await place(await send(ids.crm, { n: 6 }), 200);

    // The other workspace has traffic at the same times, which must never show.
    const theirs = await create('/sources', { name: 'theirs' }, other.key);
    const theirOk = await create('/destinations', { name: 'ok', config: { url: `${receiver.url}/ok` } }, other.key);
    await create('/connections', { name: 'all', source_id: theirs, destination_id: theirOk }, other.key);
    for (const s of [5, 65, 130, 200]) await place(await send(theirs, { n: s }), s);

    const settled = async (key: string) => (await hub.api('get', '/api/v1/events/count?status=QUEUED,SCHEDULED', key)).body.count;
    await waitFor(async () => (await settled(ws.key)) === 2 && (await settled(other.key)) === 0, 15_000, 'immediate events delivered or failed');
    // An attempt in flight cannot be held still in a test: one delayed event gets a live lease
    // directly, as the worker gives one when it claims an event (which is then due).
    const lateEvent = await hub.deps.db
      .selectFrom('events')
      .select('id')
      .where('connection_id', '=', ids.crmLater)
      .orderBy('created_at')
      .executeTakeFirstOrThrow();
    await hub.deps.db
      .updateTable('events')
      .set({ next_attempt_at: sql<Date>`now()`, lease_until: sql<Date>`now() + interval '10 minutes'` })
      .where('id', '=', lateEvent.id)
      .execute();
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('counts requests per minute, every minute present', async () => {
    const m = await metrics(`requests?${range(0, 300)}&measures[]=count&measures[]=accepted_count&measures[]=rejected_count`);
    expect(m.granularity).toBe('1m');
    expect(m.date_range).toEqual({ start: iso(0), end: iso(300) });
    expect(m.measures).toEqual(['count', 'accepted_count', 'rejected_count']);
    expect(m.data).toEqual([
      { time: iso(0), count: 2, accepted_count: 2, rejected_count: 0 },
      { time: iso(60), count: 2, accepted_count: 2, rejected_count: 0 },
      { time: iso(120), count: 2, accepted_count: 1, rejected_count: 1 },
      { time: iso(180), count: 1, accepted_count: 1, rejected_count: 0 },
      { time: iso(240), count: 0, accepted_count: 0, rejected_count: 0 },
    ]);
  });

  it('counts events per minute by their status now', async () => {
    const m = await metrics(`events?${range(0, 300)}`);
    // No measures asked: all of them, in the documented order.
    expect(m.measures).toEqual(['count', 'delivered_count', 'failed_count', 'queued_count', 'processing_count', 'ignored_count']);
    expect(m.data).toEqual([
      // shop paid → delivered; crm → failed at "bad" and delayed at "ok" (the one with a live lease).
      { time: iso(0), count: 3, delivered_count: 1, failed_count: 1, queued_count: 0, processing_count: 1, ignored_count: 0 },
      { time: iso(60), count: 2, delivered_count: 2, failed_count: 0, queued_count: 0, processing_count: 0, ignored_count: 0 },
      // The unpaid order is ignored by the filter; the rejected request made no event at all.
      { time: iso(120), count: 0, delivered_count: 0, failed_count: 0, queued_count: 0, processing_count: 0, ignored_count: 1 },
      { time: iso(180), count: 2, delivered_count: 0, failed_count: 1, queued_count: 1, processing_count: 0, ignored_count: 0 },
      { time: iso(240), count: 0, delivered_count: 0, failed_count: 0, queued_count: 0, processing_count: 0, ignored_count: 0 },
    ]);
  });

  it('sums to the logs’ counts of the same range and filters', async () => {
    const to = new Date(T0 + 300_000 - 1).toISOString(); // the logs' `to` is inclusive, the metrics' end is not
    for (const filter of ['', `&source_id=${ids.crm}`, `&connection_id=${ids.crmToBad}`, `&destination_id=${ids.ok}`, '&status=failed']) {
      const m = await metrics(`events?${range(0, 300, '10s')}&measures[]=count${filter}`);
      expect(m.data).toHaveLength(30);
      const logs = (await api(`/events/count?from=${iso(0)}&to=${to}${filter}`)).body.count;
      expect(
        m.data.reduce((n, d) => n + d.count, 0),
        filter,
      ).toBe(logs);
    }
    for (const filter of ['', `&source_id=${ids.shop}`, '&status=rejected', `&connection_id=${ids.shopToOk}`]) {
      const m = await metrics(`requests?${range(0, 300, '1s')}&measures[]=count${filter}`);
      expect(m.data).toHaveLength(300);
      const logs = (await api(`/requests/count?from=${iso(0)}&to=${to}${filter}`)).body.count;
      expect(
        m.data.reduce((n, d) => n + d.count, 0),
        filter,
      ).toBe(logs);
    }
  });

  it('applies the seed’s filters to each bucket, ignored events included', async () => {
    const crm = await metrics(`events?${range(0, 300)}&measures[]=count&measures[]=failed_count&source_id=${ids.crm}`);
    expect(column(crm.data, 'count')).toEqual([2, 0, 0, 2, 0]);
    expect(column(crm.data, 'failed_count')).toEqual([1, 0, 0, 1, 0]);
    const later = await metrics(`events?${range(0, 300)}&measures=queued_count,processing_count&webhook_id=${ids.crmLater}`);
    expect(column(later.data, 'queued_count')).toEqual([0, 0, 0, 1, 0]);
    expect(column(later.data, 'processing_count')).toEqual([1, 0, 0, 0, 0]);
    // Ignored events are found through their connection, its destination and their request's source.
    for (const filter of [`connection_id=${ids.shopToOk}`, `destination_id=${ids.ok}`, `source_id=${ids.shop}`]) {
      const m = await metrics(`events?${range(0, 300)}&measures[]=ignored_count&${filter}`);
      expect(column(m.data, 'ignored_count'), filter).toEqual([0, 0, 1, 0, 0]);
    }
    for (const filter of [`connection_id=${ids.crmToBad}`, `destination_id=${ids.bad}`, `source_id=${ids.crm}`, 'status=delivered']) {
      const m = await metrics(`events?${range(0, 300)}&measures[]=ignored_count&${filter}`);
      expect(column(m.data, 'ignored_count'), filter).toEqual([0, 0, 0, 0, 0]);
    }
    // `ignored` is in the seed's status vocabulary: it counts ignored events and no delivery event.
    const ignored = await metrics(`events?${range(0, 300)}&measures[]=count&measures[]=ignored_count&status=ignored`);
    expect(ignored.data.map((d) => [d.count, d.ignored_count])).toEqual([
      [0, 0],
      [0, 0],
      [0, 1],
      [0, 0],
      [0, 0],
    ]);
    const rejected = await metrics(`requests?${range(0, 300)}&measures[]=count&status=rejected&source_id=${ids.locked}`);
    expect(column(rejected.data, 'count')).toEqual([0, 0, 1, 0, 0]);
    const verified = await metrics(`requests?${range(0, 300, '5m')}&verified=true`);
    expect(verified.data).toEqual([{ time: iso(0), count: 0, accepted_count: 0, rejected_count: 0 }]);
  });

  it('aligns buckets to the clock and leaves out the range’s end', async () => {
    // 10:00:30 → 10:02:00 at 1m: the buckets of 10:00 (from :30 only), 10:01; 10:02:00 itself is excluded.
    const m = await metrics(`requests?${range(30, 120)}&measures[]=count`);
    expect(m.data).toEqual([
      { time: iso(0), count: 0 },
      { time: iso(60), count: 2 },
    ]);
    const edge = await metrics(`requests?${range(65, 70, '1s')}&measures[]=count`);
    expect(edge.data.map((d) => d.count)).toEqual([1, 0, 0, 0, 0]);
    const hour = await metrics(`events?${range(-3600, 3600, '1h')}&measures[]=count`);
    expect(hour.data).toEqual([
      { time: iso(-3600), count: 0 },
      { time: iso(0), count: 7 },
    ]);
  });

  it('chooses a granularity when none is given and accepts relative times', async () => {
    const day = await metrics(`events?date_range[start]=now-24h&date_range[end]=now&measures[]=count`);
    // The finest granularity that draws 24 h in at most 1,000 buckets.
    expect(day.granularity).toBe('5m');
    expect(day.data.length).toBeGreaterThanOrEqual(288);
    expect(day.data.length).toBeLessThanOrEqual(289);
    expect(day.data.every((d) => d.count === 0)).toBe(true);
    const short = await metrics(`requests?date_range[start]=${iso(0)}&date_range[end]=${iso(300)}`);
    expect(short.granularity).toBe('1s');
    expect(short.data).toHaveLength(300);
  });

  it('shows a workspace only its own traffic', async () => {
    const mine = await metrics(`requests?${range(0, 300)}&measures[]=count`, other.key);
    expect(column(mine.data, 'count')).toEqual([1, 1, 1, 1, 0]);
    const theirs = await metrics(`events?${range(0, 300)}&measures[]=count&measures[]=delivered_count&source_id=${ids.crm}`, other.key);
    expect(column(theirs.data, 'count')).toEqual([0, 0, 0, 0, 0]);
  });

  it('refuses ranges and parameters it cannot draw, naming each', async () => {
    const bad = async (path: string, paths: string[]) => {
      const res = await api(`/metrics/${path}`);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.map((d: { path: string }) => d.path).sort(), path).toEqual([...paths].sort());
    };
    await bad('requests', ['query.date_range[start]', 'query.date_range[end]']);
    await bad(`events?date_range[start]=${iso(0)}`, ['query.date_range[end]']);
    await bad(`events?${range(300, 0)}`, ['query.date_range[end]']);
    await bad(`events?${range(0, 0)}`, ['query.date_range[end]']);
    await bad(`events?date_range[start]=yesterday&date_range[end]=now`, ['query.date_range[start]']);
    await bad(`events?${range(0, 300, '2m')}`, ['query.granularity']);
    await bad(`events?${range(0, 86_400, '1s')}`, ['query.granularity']);
    await bad(`events?${range(0, 300)}&measures[]=count&measures[]=accepted_count`, ['query.measures.1']);
    await bad(`requests?${range(0, 300)}&measures[]=delivered_count`, ['query.measures.0']);
    await bad(`events?${range(0, 300)}&status=exploded`, ['query.status']);
    await bad(`requests?${range(0, 300)}&status=failed`, ['query.status']);
    await bad(`events?date_range[start]=${iso(0)}&date_range[end]=${new Date(T0 + 10_001 * 3_600_000).toISOString()}`, ['query.date_range[start]']);
  });
});
