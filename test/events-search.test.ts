import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

// The events and requests logs as a user searches them: every filter narrows to exactly the rows
// it names, counts agree with the lists, ids (including a published event's eventId) are found.
describe('searching the events and requests logs', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let other: Awaited<ReturnType<typeof newWorkspace>>;
  const ids = {} as Record<'shop' | 'crm' | 'ok' | 'bad' | 'shopToOk' | 'crmToBad' | 'hook' | 'msg' | 'published', string>;
  const shopRequests: string[] = [];
  const crmRequests: string[] = [];

  const api = (m: 'get' | 'post' | 'put', url: string, key = ws.key) => hub.api(m, `/api/v1${url}`, key);
  const list = async (path: string, query: string, key = ws.key) => {
    const res = await api('get', `/${path}?${query.includes('limit=') ? '' : 'limit=255&'}${query}`, key);
    expect(res.status, res.text).toBe(200);
    return res.body.models as { id: string; status: string; request_id?: string }[];
  };
  const count = async (path: string, query: string, key = ws.key) => {
    const res = await api('get', `/${path}/count?${query}`, key);
    expect(res.status, res.text).toBe(200);
    return res.body.count as number;
  };
  /** The list and the count of one filter, which must agree. */
  const both = async (path: 'events' | 'requests', query: string, key = ws.key) => {
    const [models, n] = await Promise.all([list(path, query, key), count(path, query, key)]);
    expect(n, `${path} count vs list for ${query}`).toBe(models.length);
    return models;
  };

  beforeAll(async () => {
    hub = await startTestHub({ autoDisableAfter: 1000 });
    receiver = await startReceiver((r) => (r.url.startsWith('/bad') ? { status: 400, body: 'no' } : { status: 200, body: 'ok' }));
    [ws, other] = await Promise.all([newWorkspace(hub), newWorkspace(hub)]);
    const create = async (path: string, body: object) => {
      const res = await api('post', path).send(body);
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    };
    ids.shop = await create('/sources', { name: 'shop' });
    ids.crm = await create('/sources', { name: 'crm' });
    ids.ok = await create('/destinations', { name: 'ok', config: { url: `${receiver.url}/ok` } });
    ids.bad = await create('/destinations', { name: 'bad', config: { url: `${receiver.url}/bad` } });
    ids.shopToOk = await create('/connections', { name: 'shop-ok', source_id: ids.shop, destination_id: ids.ok });
    ids.crmToBad = await create('/connections', {
      name: 'crm-bad',
      source_id: ids.crm,
      destination_id: ids.bad,
      rules: [{ type: 'retry', count: 0, interval: 1000 }],
    });
    ids.hook = await create('/webhooks', { name: 'leads', url: `${receiver.url}/leads`, events: ['lead.captured'] });
    for (let i = 0; i < 3; i++) shopRequests.push((await hub.api('post', `/e/${ids.shop}`).send({ n: i })).body.request_id);
    for (let i = 0; i < 2; i++) crmRequests.push((await hub.api('post', `/e/${ids.crm}`).send({ n: i })).body.request_id);
    const published = await api('post', '/publish').send({ eventType: 'lead.captured', data: { email: 'a@example.com', name: 'A', source: 'web' } });
    expect(published.status, published.text).toBe(202);
    ids.msg = published.body.eventId;
    await waitFor(async () => (await count('events', 'status=SUCCESSFUL,FAILED')) === 6, 15_000, 'every event delivered or failed');
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('filters events by status in both vocabularies', async () => {
    expect(await both('events', '')).toHaveLength(6);
    expect(await both('events', 'status=SUCCESSFUL')).toHaveLength(4);
    expect(await both('events', 'status=delivered')).toHaveLength(4);
    const failed = await both('events', 'status=failed');
    expect(failed.map((e) => e.status)).toEqual(['FAILED', 'FAILED']);
    expect(await both('events', 'status=FAILED,SUCCESSFUL')).toHaveLength(6);
    expect(await both('events', 'status=queued')).toHaveLength(0);
    // Ignored requests are not delivery events: a filter on them says where they are listed.
    for (const path of ['/events?status=ignored', '/events/count?status=failed,IGNORED']) {
      const res = await api('get', path);
      expect([res.status, res.body.error.code]).toEqual([400, 'IGNORED_EVENTS_ELSEWHERE']);
      expect(res.body.error.message).toContain('GET /ignored_events');
    }
  });

  it('filters events by source, connection (or webhook) and destination', async () => {
    const shop = await both('events', `source_id=${ids.shop}`);
    expect(new Set(shop.map((e) => e.request_id))).toEqual(new Set(shopRequests));
    expect(await both('events', `connection_id=${ids.crmToBad}`)).toHaveLength(2);
    expect(await both('events', `webhook_id=${ids.hook}`)).toHaveLength(1);
    expect(await both('events', `destination_id=${ids.bad}&status=delivered`)).toHaveLength(0);
    expect(await both('events', `destination_id=${ids.ok}`)).toHaveLength(3);
  });

  it('filters by time, ISO or relative, with from/to and ingested_at[gte]/[lte]', async () => {
    expect(await both('events', 'from=now-1h')).toHaveLength(6);
    expect(await both('events', 'to=now-1h')).toHaveLength(0);
    expect(await both('events', 'from=now-1h&to=now')).toHaveLength(6);
    expect(await both('events', `ingested_at[gte]=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).toHaveLength(0);
    expect(await both('events', 'ingested_at[lte]=now-2d')).toHaveLength(0);
    expect(await both('events', 'ingested_at[gte]=now-15m&ingested_at[lte]=now%2B1h')).toHaveLength(6);
    expect(await both('requests', 'from=now-1h')).toHaveLength(6);
    expect(await both('requests', 'to=now-1d')).toHaveLength(0);
  });

  it('finds events by event id, request id, id prefix and a published eventId', async () => {
    const [first] = await list('events', `source_id=${ids.shop}&limit=1`);
    expect((await both('events', `q=${first.id}`)).map((e) => e.id)).toEqual([first.id]);
    expect((await both('events', `search_term=${first.request_id}`)).map((e) => e.id)).toEqual([first.id]);
    expect((await both('events', `q=${first.id.slice(0, 20)}`)).map((e) => e.id)).toContain(first.id);
    const published = await both('events', `q=${ids.msg}`);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ connection_id: ids.hook, status: 'SUCCESSFUL' });
    ids.published = published[0].request_id as string;
    expect(await both('events', `q=msg_${'0'.repeat(26)}`)).toHaveLength(0);
    // Another workspace finds nothing with the same ids.
    expect(await both('events', `q=${first.id}`, other.key)).toHaveLength(0);
    expect(await both('requests', `q=${ids.msg}`, other.key)).toHaveLength(0);
  });

  it('pages events with a deterministic cursor', async () => {
    const all = (await both('events', '')).map((e) => e.id);
    expect(all).toEqual([...all].sort().reverse());
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const res = await api('get', `/events?limit=2${next ? `&next=${next}` : ''}`);
      seen.push(...res.body.models.map((e: { id: string }) => e.id));
      next = res.body.pagination.next;
    } while (next);
    expect(seen).toEqual(all);
  });

  it('filters requests by status, source, connection, search and retries', async () => {
    expect(await both('requests', '')).toHaveLength(6);
    expect(await both('requests', 'status=accepted&verified=false')).toHaveLength(5);
    expect((await both('requests', `source_id=${ids.crm}`)).map((r) => r.id).sort()).toEqual([...crmRequests].sort());
    expect((await both('requests', `connection_id=${ids.shopToOk}`)).map((r) => r.id).sort()).toEqual([...shopRequests].sort());
    expect((await both('requests', `q=${shopRequests[1]}`)).map((r) => r.id)).toEqual([shopRequests[1]]);
    expect((await both('requests', `search_term=${ids.msg}`)).map((r) => r.id)).toEqual([ids.published]);
    const [anEvent] = await list('events', `source_id=${ids.crm}&limit=1`);
    expect((await both('requests', `q=${anEvent.id}`)).map((r) => r.id)).toEqual([anEvent.request_id]);

    expect(await both('requests', 'is_retry=true')).toHaveLength(0);
    const replay = await api('post', `/requests/${shopRequests[0]}/retry`);
    expect(replay.status, replay.text).toBe(202);
    expect(replay.body.request).toMatchObject({ is_retry: true, retry_kind: 'single' });
    expect((await both('requests', 'is_retry=true')).map((r) => r.id)).toEqual([shopRequests[0]]);
    expect(await both('requests', 'retry_kind=single')).toHaveLength(1);
    expect(await both('requests', 'retry_kind=bulk')).toHaveLength(0);
    expect(await both('requests', 'is_retry=false')).toHaveLength(5);
    expect(await both('events', `request_id=${shopRequests[0]}`)).toHaveLength(2);
  });

  it('refuses bad filters with a 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['/events?status=exploded', 'query.status'],
      ['/events/count?from=yesterday', 'query.from'],
      ['/events/count?ingested_at[lte]=2024-13-45', 'query.ingested_at[lte]'],
      ['/requests/count?retry_kind=sometimes', 'query.retry_kind'],
      ['/requests?is_retry=maybe', 'query.is_retry'],
      ['/requests/count?status=delivered', 'query.status'],
    ];
    for (const [url, path] of cases) {
      const res = await api('get', url);
      expect(res.status, `${url}: ${res.text}`).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
    }
  });
});
