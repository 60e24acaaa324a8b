import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { dedupeSpec } from '../server/gateway/dedupe-key.ts';
import { claimDedupeKeys } from '../server/ingest/dedupe.ts';
import { housekeeping } from '../server/jobs/housekeeping.job.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver, type Received } from './support/receiver.ts';

type EventOut = { id: string; status: string; next_attempt_at: string | null; error_code: string | null; connection_id: string };
type RequestOut = { id: string; events_count: number; ignored_count: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Delay, deduplicate and the transform's expression, as a user wires them on a connection.
describe('connection rules: delay, deduplicate, transform expression', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let src: string;
  let appSrc: string;

  const api = (m: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string) => hub.api(m, `/api/v1${url}`, ws.key);
  const at = (path: string) => receiver.received.filter((r) => r.url === path);
  const bodyOf = (r: Received) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;

  /** A destination at `/<path>` of the receiver and a connection to it with these rules. */
  async function connect(path: string, rules: unknown[], source = src): Promise<string> {
    const des = await api('post', '/destinations').send({ name: `to-${path}`, config: { url: `${receiver.url}/${path}` } });
    expect(des.status, des.text).toBe(201);
    const conn = await api('post', '/connections').send({ name: path, source_id: source, destination_id: des.body.id, rules });
    expect(conn.status, conn.text).toBe(201);
    return conn.body.id as string;
  }
  const ingest = async (body: object, path = '/') => {
    const res = await hub.api('post', `/e/${src}${path}`).send(body);
    expect(res.status, res.text).toBe(200);
    return res.body.request_id as string;
  };
  const request = async (id: string) => (await api('get', `/requests/${id}`)).body as RequestOut;
  const eventsOf = async (requestId: string) => (await api('get', `/requests/${requestId}/events`)).body.models as EventOut[];
  const ignoredOf = async (requestId: string) =>
    (await api('get', `/requests/${requestId}/ignored_events`)).body.models as { connection_id: string; cause: string }[];
  /** Every other connection of the source ignores a request as FILTERED; these are the rule's own. */
  const duplicatesOf = async (requestId: string) => (await ignoredOf(requestId)).filter((g) => g.cause === 'DUPLICATE');
  const eventsOfConnection = async (connectionId: string) => (await api('get', `/events?connection_id=${connectionId}&limit=255`)).body.models as EventOut[];

  beforeAll(async () => {
    [hub, receiver] = await Promise.all([startTestHub(), startReceiver()]);
    ws = await newWorkspace(hub);
    const s = await api('post', '/sources').send({ name: 'shop' });
    expect(s.status).toBe(201);
    src = s.body.id;
    // The first publish makes the workspace's application source.
    expect(
      (await api('post', '/publish').send({ eventType: 'conversation.started', data: { started_at: '2026-05-03T14:19:55Z', channel: 'web' } })).status,
    ).toBe(202);
    appSrc = ((await api('get', '/sources')).body.models as { id: string; type: string }[]).find((x) => x.type === 'APPLICATION')!.id;
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('stores the rules as given, with the defaults filled in', async () => {
    const rules = [
      { type: 'filter', body: { kind: 'order' } },
      { type: 'filter', body: { amount: { $gte: 10 } } },
      { type: 'deduplicate', window: 60_000, include_fields: ['body.order_id', 'headers.x-shop'] },
      { type: 'delay', delay: 0 },
      { type: 'transform', expression: '$merge([body, {"via": "wirehub"}])' },
    ];
    const id = await connect('shapes', rules);
    const got = (await api('get', `/connections/${id}`)).body.rules;
    expect(got).toEqual([...rules.slice(0, 4), { type: 'transform', expression: '$merge([body, {"via": "wirehub"}])', mappings: null, envelope: 'flat' }]);
    // Both filters must match.
    const missed = await ingest({ kind: 'order', amount: 5, order_id: 1 });
    expect(await ignoredOf(missed)).toEqual([expect.objectContaining({ connection_id: id, cause: 'FILTERED' })]);
    const hit = await ingest({ kind: 'order', amount: 50, order_id: 1 });
    await waitFor(() => at('/shapes').length === 1, 10_000, 'the matching order');
    expect(bodyOf(at('/shapes')[0])).toEqual({ kind: 'order', amount: 50, order_id: 1, via: 'wirehub' });
    expect((await request(hit)).events_count).toBe(1);
  });

  it('delay: the event waits SCHEDULED for 2 s, then is delivered; retries and replays are not delayed again', async () => {
    const conn = await connect('delayed', [
      { type: 'filter', body: { kind: 'late' } },
      { type: 'delay', delay: 2000 },
    ]);
    const sent = Date.now();
    const req = await ingest({ kind: 'late', n: 1 });
    const [event] = await eventsOf(req);
    // A second in, however long the checks below take, and a second before the delay ends: nothing
    // delivered yet and the event still SCHEDULED. Watched alongside them, so it is always checked.
    const midway = sleep(Math.max(0, sent + 1000 - Date.now())).then(async () => ({
      received: at('/delayed').length,
      status: ((await api('get', `/events/${event.id}`)).body as EventOut).status,
    }));
    expect(event.connection_id).toBe(conn);
    const shown = (await api('get', `/events/${event.id}`)).body as EventOut;
    expect(shown.status).toBe('SCHEDULED');
    expect(new Date(shown.next_attempt_at!).getTime()).toBeGreaterThanOrEqual(sent + 1900);
    // Seed 002's `queued` covers SCHEDULED; our upper-case QUEUED does not.
    const ids = async (status: string) =>
      ((await api('get', `/events?connection_id=${conn}&status=${status}`)).body as { models: EventOut[] }).models.map((e) => e.id);
    expect(await ids('queued')).toEqual([event.id]);
    expect(await ids('QUEUED')).toEqual([]);

    expect(await midway).toEqual({ received: 0, status: 'SCHEDULED' });

    await waitFor(() => at('/delayed').length === 1, 10_000, 'the delayed delivery');
    expect(at('/delayed')[0].at - sent).toBeGreaterThanOrEqual(2000);
    await waitFor(async () => ((await api('get', `/events/${event.id}`)).body as EventOut).status === 'SUCCESSFUL', 5000, 'SUCCESSFUL');
    // Delivered once: the retry below is the second delivery, not an early duplicate.
    expect(at('/delayed')).toHaveLength(1);

    // A manual retry of the event goes at once.
    const retried = Date.now();
    expect((await api('post', `/events/${event.id}/retry`)).status).toBeLessThan(300);
    await waitFor(() => at('/delayed').length === 2, 5000, 'the retry');
    expect(at('/delayed')[1].at - retried).toBeLessThan(1500);

    // So does a replay of the whole request: a new event, QUEUED, not SCHEDULED.
    const replayed = Date.now();
    const replay = await api('post', `/requests/${req}/retry`);
    expect(replay.status).toBe(202);
    expect(replay.body.events.map((e: EventOut) => e.status)).toEqual(['QUEUED']);
    await waitFor(() => at('/delayed').length === 3, 5000, 'the replay');
    expect(at('/delayed')[2].at - replayed).toBeLessThan(1500);
  });

  it('deduplicate: the same body twice in the window is one event and one ignored DUPLICATE; after the window, two events', async () => {
    const conn = await connect('dedupe-body', [
      { type: 'filter', body: { kind: 'same' } },
      { type: 'deduplicate', window: 1000 },
    ]);
    const first = await ingest({ kind: 'same', a: 1, b: { c: 2 } });
    // Key order does not make a body different.
    const second = await ingest({ b: { c: 2 }, a: 1, kind: 'same' });
    expect((await request(first)).events_count).toBe(1);
    expect(await duplicatesOf(first)).toEqual([]);
    expect((await request(second)).events_count).toBe(0);
    expect(await duplicatesOf(second)).toEqual([expect.objectContaining({ connection_id: conn, cause: 'DUPLICATE' })]);
    // Counted with the request's ignored events, like the filtered ones.
    expect((await request(second)).ignored_count).toBe((await ignoredOf(second)).length);
    // A different body is not a duplicate.
    const other = await ingest({ kind: 'same', a: 2, b: { c: 2 } });
    expect((await request(other)).events_count).toBe(1);

    await sleep(1100);
    const later = await ingest({ kind: 'same', a: 1, b: { c: 2 } });
    expect((await request(later)).events_count).toBe(1);
    expect(await duplicatesOf(later)).toEqual([]);
    await waitFor(() => at('/dedupe-body').length === 3, 10_000, 'three deliveries');
    expect((await eventsOfConnection(conn)).length).toBe(3);
  });

  it('deduplicate with include_fields compares only those fields', async () => {
    await connect('dedupe-include', [
      { type: 'filter', body: { kind: 'inc' } },
      { type: 'deduplicate', window: 60_000, include_fields: ['body.order.id', 'headers.x-shop'] },
    ]);
    const send = (body: object, shop: string) => hub.api('post', `/e/${src}`).set('x-shop', shop).send(body);
    const a = await send({ kind: 'inc', order: { id: 7 }, at: 1 }, 'north');
    const b = await send({ kind: 'inc', order: { id: 7 }, at: 2 }, 'north');
    const c = await send({ kind: 'inc', order: { id: 8 }, at: 3 }, 'north');
    const d = await send({ kind: 'inc', order: { id: 7 }, at: 4 }, 'south');
    const counts = await Promise.all([a, b, c, d].map(async (r) => (await request(r.body.request_id)).events_count));
    expect(counts).toEqual([1, 0, 1, 1]);
  });

  it('deduplicate with exclude_fields compares the body without those fields', async () => {
    await connect('dedupe-exclude', [
      { type: 'filter', body: { kind: 'exc' } },
      { type: 'deduplicate', window: 60_000, exclude_fields: ['body.sent_at', 'body.meta.trace'] },
    ]);
    const a = await ingest({ kind: 'exc', total: 10, sent_at: 1, meta: { trace: 'x', shop: 1 } });
    const b = await ingest({ kind: 'exc', total: 10, sent_at: 2, meta: { trace: 'y', shop: 1 } });
    const c = await ingest({ kind: 'exc', total: 10, sent_at: 3, meta: { trace: 'z', shop: 2 } });
    const counts = await Promise.all([a, b, c].map(async (r) => (await request(r)).events_count));
    expect(counts).toEqual([1, 0, 1]);
  });

  it('deduplicate: 20 identical requests at once make exactly one event', async () => {
    const conn = await connect('dedupe-burst', [
      { type: 'filter', body: { kind: 'burst' } },
      { type: 'deduplicate', window: 60_000 },
    ]);
    const results = await Promise.all(Array.from({ length: 20 }, () => hub.api('post', `/e/${src}`).send({ kind: 'burst', id: 'same' })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const reqs = await Promise.all(results.map((r) => request(r.body.request_id)));
    expect(reqs.reduce((n, r) => n + r.events_count, 0)).toBe(1);
    const duplicates = (await Promise.all(results.map((r) => duplicatesOf(r.body.request_id)))).flat();
    expect(duplicates.length).toBe(19);
    expect(new Set(duplicates.map((g) => g.connection_id))).toEqual(new Set([conn]));
    expect((await eventsOfConnection(conn)).length).toBe(1);
    await waitFor(() => at('/dedupe-burst').length === 1, 10_000, 'the one delivery');
    await sleep(300);
    expect(at('/dedupe-burst').length).toBe(1);
  });

  it('deduplicate keys are won once across concurrent transactions (several pool connections), without deadlocks', async () => {
    const conn = await connect('dedupe-race', [
      { type: 'filter', body: { kind: 'never' } },
      { type: 'deduplicate', window: 60_000 },
    ]);
    const claim = (key: string) => ({ connection_id: conn, key, window_ms: 60_000 });
    // Each transaction holds its claim a moment before committing, so they really overlap.
    const race = (claims: ReturnType<typeof claim>[]) =>
      hub.deps.db.transaction().execute(async (trx) => {
        const dup = await claimDedupeKeys(trx, claims);
        await sql`SELECT pg_sleep(0.02)`.execute(trx);
        return claims.map((_, i) => !dup.has(i));
      });
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => race([claim('same')])));
    expect(outcomes.flat().filter(Boolean).length).toBe(1);
    // Batches holding the same keys in opposite orders finish (keys are taken in one order), and
    // within a batch only the first of a key competes.
    const crossed = await Promise.all(Array.from({ length: 10 }, (_, i) => race(i % 2 ? [claim('a'), claim('b'), claim('a')] : [claim('b'), claim('a')])));
    const wins = crossed.flat().filter(Boolean).length;
    expect(wins).toBe(2);
    expect(crossed.every((o) => o.length < 3 || o[2] === false)).toBe(true);
  });

  it('deduplicate: published events through a connection keyed on body.data.email', async () => {
    const conn = await connect(
      'dedupe-leads',
      [
        { type: 'filter', body: { eventType: 'lead.captured', data: { channel: 'chat' } } },
        { type: 'deduplicate', window: 60_000, include_fields: ['body.data.email'] },
      ],
      appSrc,
    );
    const lead = (email: string, name: string) => api('post', '/publish').send({ eventType: 'lead.captured', data: { email, name, channel: 'chat' } });
    for (const [email, name] of [
      ['ada@example.com', 'Ada'],
      ['ada@example.com', 'Ada L.'],
      ['bob@example.com', 'Bob'],
      ['ada@example.com', 'Ada again'],
    ]) {
      expect((await lead(email, name)).status).toBe(202);
    }
    await waitFor(() => at('/dedupe-leads').length === 2, 10_000, 'two leads');
    expect(at('/dedupe-leads').map((r) => bodyOf(r).name)).toEqual(['Ada', 'Bob']);
    expect((await eventsOfConnection(conn)).length).toBe(2);
    const appRequests = (await api('get', `/requests?source_id=${appSrc}&limit=255`)).body.models as RequestOut[];
    const duplicates = (await Promise.all(appRequests.map((r) => ignoredOf(r.id)))).flat().filter((g) => g.connection_id === conn);
    expect(duplicates.map((g) => g.cause)).toEqual(['DUPLICATE', 'DUPLICATE']);
  });

  it('keeps the dedupe table bounded: housekeeping drops expired keys and keeps live ones', async () => {
    const conn = await connect('dedupe-purge', [
      { type: 'filter', body: { kind: 'purge' } },
      { type: 'deduplicate', window: 60_000 },
    ]);
    await ingest({ kind: 'purge', n: 1 });
    await ingest({ kind: 'purge', n: 2 });
    const keys = () => hub.deps.db.selectFrom('dedupe_keys').select('key').where('connection_id', '=', conn).execute();
    expect(await keys()).toHaveLength(2);
    await sql`UPDATE dedupe_keys SET expires_at = now() - interval '1 second' WHERE connection_id = ${conn} AND key = (SELECT min(key) FROM dedupe_keys WHERE connection_id = ${conn})`.execute(
      hub.deps.db,
    );
    const jobs = hub.jobs as NonNullable<TestHub['jobs']>;
    await housekeeping(hub.deps, jobs.runners);
    expect(await keys()).toHaveLength(1);
  });

  it("transform expression: runs on the published event's data before the mappings", async () => {
    await connect(
      'expr-leads',
      [
        { type: 'filter', body: { eventType: 'lead.captured', data: { channel: 'form' } } },
        {
          type: 'transform',
          expression: '$merge([$, {"full": first & " " & last}])',
          mappings: [
            { to: 'name', from: 'data.full' },
            { to: 'email', from: 'data.email' },
          ],
        },
      ],
      appSrc,
    );
    const pub = await api('post', '/publish').send({
      eventType: 'lead.captured',
      data: { channel: 'form', first: 'Ada', last: 'Lovelace', email: 'ada@example.com' },
    });
    expect(pub.status, pub.text).toBe(202);
    await waitFor(() => at('/expr-leads').length === 1, 10_000, 'the mapped lead');
    expect(bodyOf(at('/expr-leads')[0])).toMatchObject({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      eventType: 'lead.captured',
      eventId: pub.body.eventId,
    });
    expect(bodyOf(at('/expr-leads')[0])).not.toHaveProperty('first');
  });

  it("transform expression: reshapes an inbound request's body; a non-object result or a runtime error fails that event clearly", async () => {
    await connect('expr-inbound', [
      { type: 'filter', body: { kind: 'shape' } },
      { type: 'transform', expression: '{"total": body.qty * body.price, "sku": query.sku}' },
    ]);
    await ingest({ kind: 'shape', qty: 3, price: 2 }, '/?sku=A1');
    await waitFor(() => at('/expr-inbound').length === 1, 10_000, 'the reshaped body');
    expect(bodyOf(at('/expr-inbound')[0])).toEqual({ total: 6, sku: 'A1' });

    await connect('expr-array', [
      { type: 'filter', body: { kind: 'array' } },
      { type: 'transform', expression: 'body.items' },
    ]);
    await connect('expr-throws', [
      { type: 'filter', body: { kind: 'array' } },
      { type: 'transform', expression: '$error("no items today")' },
    ]);
    const req = await ingest({ kind: 'array', items: [1, 2] });
    const failed = await waitFor(
      async () => {
        const evs = await eventsOf(req);
        return evs.length === 2 && evs.every((e) => e.status === 'FAILED') && evs;
      },
      10_000,
      'both events FAILED',
    );
    expect(failed.map((e) => e.error_code)).toEqual(['PAYLOAD', 'PAYLOAD']);
    const messages = await Promise.all(failed.map(async (e) => (await api('get', `/attempts?event_id=${e.id}`)).body.models[0].error.message as string));
    expect(messages.sort()).toEqual([
      expect.stringMatching(/^transform expression: expression failed: no items today/),
      'transform expression: the result must be an object, got an array',
    ]);
    expect(at('/expr-array')).toEqual([]);
    expect(at('/expr-throws')).toEqual([]);
    // The hub carries on.
    expect((await hub.api('get', '/api/health')).status).toBe(200);
  });
});

describe('deduplicate keys', () => {
  const view = (body: unknown, headers: Record<string, string> = {}) => ({ body, headers, query: {}, path: '/' });

  it('ignore key order, tell values apart, and read only what the rule names', () => {
    const whole = dedupeSpec({ window: 1000 });
    expect(whole.keyOf(view({ a: 1, b: [1, { c: 2, d: 3 }] }))).toBe(whole.keyOf(view({ b: [1, { d: 3, c: 2 }], a: 1 })));
    expect(whole.keyOf(view({ a: 1 }))).not.toBe(whole.keyOf(view({ a: '1' })));
    expect(whole.keyOf(view({ a: [1, 2] }))).not.toBe(whole.keyOf(view({ a: [2, 1] })));
    const inc = dedupeSpec({ window: 1000, include_fields: ['body.items[1].sku', 'headers.x-id'] });
    expect(inc.keyOf(view({ items: [{ sku: 'a' }, { sku: 'b' }], n: 1 }, { 'x-id': '1' }))).toBe(
      inc.keyOf(view({ items: [{ sku: 'z' }, { sku: 'b' }], n: 2 }, { 'x-id': '1' })),
    );
    expect(inc.keyOf(view({ items: [{ sku: 'a' }, { sku: 'b' }] }, { 'x-id': '1' }))).not.toBe(
      inc.keyOf(view({ items: [{ sku: 'a' }, { sku: 'b' }] }, { 'x-id': '2' })),
    );
    const exc = dedupeSpec({ window: 1000, exclude_fields: ['body.items[0]', 'body.meta.at', 'headers.x-id'] });
    expect(exc.keyOf(view({ items: [1, 2], meta: { at: 1, k: 1 } }))).toBe(exc.keyOf(view({ items: [9, 2], meta: { at: 2, k: 1 } })));
    expect(exc.keyOf(view({ items: [1, 2], meta: { at: 1, k: 1 } }))).not.toBe(exc.keyOf(view({ items: [1, 3], meta: { at: 1, k: 1 } })));
    // How a flow's dedupe node compares published events: their data, whatever their eventId.
    const published = (eventId: string, data: object) => view({ eventType: 'lead.captured', eventId, eventTimestamp: eventId, customerId: 'c', data });
    const flowExclude = dedupeSpec({ window: 1000, exclude_fields: ['body.eventId', 'body.eventTimestamp', 'body.data.at'] });
    expect(flowExclude.keyOf(published('msg_1', { email: 'a', at: 1 }))).toBe(flowExclude.keyOf(published('msg_2', { email: 'a', at: 2 })));
    expect(flowExclude.keyOf(published('msg_1', { email: 'a', at: 1 }))).not.toBe(flowExclude.keyOf(published('msg_2', { email: 'b', at: 1 })));
    const flowWhole = dedupeSpec({ window: 1000, include_fields: ['body.data'] });
    expect(flowWhole.keyOf(published('msg_1', { email: 'a' }))).toBe(flowWhole.keyOf(published('msg_2', { email: 'a' })));
  });
});
