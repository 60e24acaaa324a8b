// Issue 14, trap 2 (log) and items 9-10: every request shows what became of it — delivered,
// filtered by which flow step, a duplicate, held by a paused connection, rejected, sent nowhere —
// and the events log's rows say what an event is about, where it goes, and why and when a failed
// one is tried again. Another team sees none of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadSummary, payloadType } from '../server/gateway/payload-summary.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

type Node = { id: string; kind: string; position: { x: number; y: number }; data: Record<string, unknown> };
const node = (id: string, kind: string, data: Record<string, unknown>): Node => ({ id, kind, position: { x: 0, y: 0 }, data });
const chain = (...ids: string[]) => ids.slice(1).map((id, i) => ({ id: `${ids[i]}-${id}`, source: ids[i], target: id }));

type Outcome = {
  result: string;
  text: string;
  connections: { connection_id: string; title: string; flow: { id: string; name: string } | null; result: string; count: number }[];
};
type RequestRow = {
  id: string;
  source_id: string;
  source_name: string | null;
  summary: string | null;
  event_type: string | null;
  outcome: Outcome;
  events_count: number;
  ignored_count: number;
};
type Story = Omit<Outcome, 'connections'> & {
  request_id: string;
  connections: (Outcome['connections'][number] & {
    explanation: string;
    steps?: { node_id: string | null; description: string; failed: string[] }[];
    event?: { id: string; status: string; reason: string | null; retry: { at: string; attempt: number; of: number } | null };
  })[];
};
type EventRow = {
  id: string;
  status: string;
  request_id: string;
  summary: string | null;
  event_type: string | null;
  flow: { id: string; name: string } | null;
  connection_name: string | null;
  destination_name: string | null;
  source_name: string | null;
  reason: string | null;
  retry: { at: string; attempt: number; of: number } | null;
};

describe('what became of each request, and readable event rows', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let other: Awaited<ReturnType<typeof newWorkspace>>;
  let forms: string;
  let flowId: string;
  const sent: Record<string, string> = {};
  const api = (m: 'get' | 'post' | 'put', url: string, key = ws.key) => hub.api(m, `/api/v1${url}`, key);
  const ingest = async (source: string, body: object) => {
    const res = await hub.api('post', `/e/${source}`).set('content-type', 'application/json').send(body);
    expect(res.status, res.text).toBe(200);
    return res.body.request_id as string;
  };
  const create = async (path: string, body: object) => {
    const res = await api('post', path).send(body);
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  };
  const requests = async (query: string, key = ws.key) => {
    const res = await api('get', `/requests?limit=100&${query}`, key);
    expect(res.status, res.text).toBe(200);
    return res.body.models as RequestRow[];
  };
  const events = async (query: string, key = ws.key) => {
    const res = await api('get', `/events?limit=100&${query}`, key);
    expect(res.status, res.text).toBe(200);
    return res.body.models as EventRow[];
  };
  const story = async (id: string, key = ws.key) => {
    const res = await api('get', `/requests/${id}/outcome`, key);
    expect(res.status, res.text).toBe(200);
    return res.body as Story;
  };

  beforeAll(async () => {
    // A failed delivery waits 10 minutes before its next try: long enough to read it in the log.
    hub = await startTestHub({ retrySchedule: [600_000, 600_000, 600_000], autoDisableAfter: 1000 });
    receiver = await startReceiver((r) =>
      r.url.startsWith('/down') ? { status: 500, body: 'boom' } : r.url.startsWith('/slow') ? { status: 200, delayMs: 1500 } : { status: 200, body: 'ok' },
    );
    [ws, other] = await Promise.all([newWorkspace(hub), newWorkspace(hub)]);
    forms = await create('/sources', { name: 'website forms' });
    const flow = await api('post', '/flows').send({
      name: 'New leads to CRM',
      graph: {
        nodes: [
          node('t1', 'trigger', { sourceId: forms }),
          node('f1', 'filter', { conditions: [{ field: 'body.type', op: 'eq', value: 'lead' }], mode: 'all' }),
          node('w1', 'webhook', { url: `${receiver.url}/leads`, signing: 'hmac' }),
        ],
        edges: chain('t1', 'f1', 'w1'),
      },
    });
    expect(flow.status, flow.text).toBe(201);
    flowId = flow.body.id;
    sent.lead1 = await ingest(forms, { type: 'lead', first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com', password: 'hunter2' });
    sent.spam1 = await ingest(forms, { type: 'newsletter', email: 'x@example.com' });
    sent.lead2 = await ingest(forms, { type: 'lead', name: 'Grace Hopper', email: 'grace@example.com' });
    sent.spam2 = await ingest(forms, { email: 'y@example.com' });
    sent.spam3 = await ingest(forms, { type: 'ping' });
    await waitFor(() => receiver.received.filter((r) => r.url === '/leads').length === 2, 10_000, 'both leads delivered');
    await waitFor(async () => (await events(`source_id=${forms}&status=SUCCESSFUL`)).length === 2, 10_000, 'both deliveries recorded');
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('lists all five requests of the source with what became of each, naming the flow that filtered three', async () => {
    const rows = await requests(`source_id=${forms}`);
    expect(rows).toHaveLength(5);
    const by = new Map(rows.map((r) => [r.id, r]));
    for (const id of [sent.lead1, sent.lead2])
      expect(by.get(id)?.outcome).toMatchObject({ result: 'delivered', text: 'Delivered by the flow “New leads to CRM”' });
    for (const id of [sent.spam1, sent.spam2, sent.spam3]) {
      expect(by.get(id)?.outcome).toMatchObject({ result: 'filtered', text: 'Filtered out by the flow “New leads to CRM”' });
      expect(by.get(id)?.outcome.connections[0].flow).toEqual({ id: flowId, name: 'New leads to CRM' });
    }
    expect(by.get(sent.lead1)).toMatchObject({ source_name: 'website forms', summary: 'Ada Lovelace · ada@example.com', event_type: 'lead' });
    expect(by.get(sent.spam3)).toMatchObject({ summary: null, event_type: 'ping' });
  });

  it('filters requests by what became of them, and replays the filtered ones in bulk (dry run)', async () => {
    const ids = async (outcome: string) => (await requests(`source_id=${forms}&outcome=${outcome}`)).map((r) => r.id).sort();
    expect(await ids('filtered')).toEqual([sent.spam1, sent.spam2, sent.spam3].sort());
    expect(await ids('delivered')).toEqual([sent.lead1, sent.lead2].sort());
    expect(await ids('not_sent')).toEqual([sent.spam1, sent.spam2, sent.spam3].sort());
    expect(await ids('duplicate')).toEqual([]);
    const n = await api('get', `/requests/count?source_id=${forms}&outcome=filtered`);
    expect(n.body).toEqual({ count: 3 });
    const dry = await api('post', '/requests/bulk_operations').send({ source_id: forms, outcome: 'filtered', dry_run: true });
    expect(dry.status, dry.text).toBe(200);
    expect(dry.body).toMatchObject({ estimated_count: 3, dry_run: true });
    const bad = await api('get', '/requests?outcome=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ path: 'query.outcome', message: expect.stringContaining('filtered') });
  });

  it('finds a filtered request by the id its sender got, and says which step filtered it and what the request had', async () => {
    const found = await requests(`q=${sent.spam1}`);
    expect(found.map((r) => r.id)).toEqual([sent.spam1]);
    const s = await story(sent.spam1);
    expect(s.result).toBe('filtered');
    expect(s.connections).toHaveLength(1);
    expect(s.connections[0].steps).toEqual([
      { node_id: 'f1', description: 'the filter step “body.type is "lead"” of the flow “New leads to CRM”', failed: ['body.type was "newsletter"'] },
    ]);
    expect(s.connections[0].explanation).toBe(
      'Filtered out by the filter step “body.type is "lead"” of the flow “New leads to CRM”: body.type was "newsletter".',
    );
    const missing = await story(sent.spam2);
    expect(missing.connections[0].steps?.[0].failed).toEqual(['the request has no body.type']);
    const delivered = await story(sent.lead1);
    expect(delivered.connections[0]).toMatchObject({
      result: 'delivered',
      explanation: 'The flow “New leads to CRM” delivered it.',
      event: { status: 'SUCCESSFUL', reason: null, retry: null },
    });
  });

  it('labels event rows with the flow, the destination, the type and a one-line summary without secrets', async () => {
    const rows = await events(`source_id=${forms}`);
    expect(rows).toHaveLength(2);
    const ada = rows.find((e) => e.request_id === sent.lead1) as EventRow;
    expect(ada).toMatchObject({
      status: 'SUCCESSFUL',
      summary: 'Ada Lovelace · ada@example.com',
      event_type: 'lead',
      flow: { id: flowId, name: 'New leads to CRM' },
      source_name: 'website forms',
      reason: null,
      retry: null,
    });
    expect(ada.connection_name).toContain('New leads to CRM');
    expect(JSON.stringify(rows)).not.toContain('hunter2');
    // The event's own page carries the same labels.
    expect((await api('get', `/events/${ada.id}`)).body).toMatchObject({ summary: 'Ada Lovelace · ada@example.com', flow: { name: 'New leads to CRM' } });
  });

  it('says a duplicate, a paused connection, a rejected request and a request no connection takes', async () => {
    const shop = await create('/sources', { name: 'shop' });
    const ok = await create('/destinations', { name: 'orders api', config: { url: `${receiver.url}/orders` } });
    await create('/connections', {
      name: 'orders once',
      source_id: shop,
      destination_id: ok,
      rules: [{ type: 'deduplicate', window: 60_000, include_fields: ['body.order_id'] }],
    });
    const first = await ingest(shop, { order_id: 7, total: 12.5, currency: 'eur' });
    const again = await ingest(shop, { order_id: 7, total: 12.5, currency: 'eur' });
    const dup = await story(again);
    expect(dup.result).toBe('duplicate');
    expect(dup.connections[0].explanation).toBe('“orders once” had already received the same request in the last 60 s and dropped this copy (de-duplication).');
    // The first copy is stored at once and delivered a moment later: wait for the delivery.
    const delivered = await waitFor(
      async () => {
        const row = (await requests(`q=${first}`))[0];
        return row?.outcome.result === 'delivered' ? row : null;
      },
      10_000,
      'the first order delivered',
    );
    expect(delivered).toMatchObject({ summary: '12.5 EUR', outcome: { result: 'delivered' } });

    const quiet = await create('/sources', { name: 'quiet' });
    const paused = await create('/connections', { name: 'held orders', source_id: quiet, destination_id: ok });
    expect((await api('put', `/connections/${paused}/pause`)).status).toBe(200);
    const held = await ingest(quiet, { order_id: 8 });
    expect((await requests(`q=${held}`))[0].outcome).toMatchObject({ result: 'held', text: 'On hold (paused) in “held orders”' });
    expect((await story(held)).connections[0].event?.reason).toBe('the connection is paused, and it is delivered when you resume it');

    const big = await create('/sources', { name: 'big orders only' });
    await create('/connections', { name: 'big orders', source_id: big, destination_id: ok, rules: [{ type: 'filter', body: { total: { $gte: 100 } } }] });
    const small = await story(await ingest(big, { total: 5 }));
    expect(small.connections[0]).toMatchObject({
      result: 'filtered',
      explanation: 'Filtered out by filter 1 of the connection “big orders” ({"body":{"total":{"$gte":100}}}).',
    });

    const lonely = await create('/sources', { name: 'nobody listens' });
    const nowhere = await ingest(lonely, { hello: 'world' });
    expect((await requests(`q=${nowhere}`))[0].outcome).toEqual({
      result: 'no_connection',
      text: 'Not sent anywhere: no flow or connection takes requests from this source',
      connections: [],
    });

    const guarded = await create('/sources', { name: 'guarded', config: { auth: { type: 'api_key', header_key: 'x-api-key', api_key: 'right-key' } } });
    const refused = await hub.api('post', `/e/${guarded}`).set('x-api-key', 'wrong').send({ a: 1 });
    expect(refused.status).toBe(401);
    const rejected = (await requests(`q=${refused.body.error.details.request_id}`))[0];
    expect(rejected.outcome).toEqual({
      result: 'rejected',
      text: 'Rejected: it failed verification (API key in x-api-key does not match), so nothing was sent',
      connections: [],
    });
  });

  it('explains a failed delivery that waits: the receiver’s answer, when and which attempt comes next', async () => {
    const crm = await create('/sources', { name: 'crm' });
    const down = await create('/destinations', { name: 'broken crm', config: { url: `${receiver.url}/down` } });
    const slow = await create('/destinations', { name: 'slow crm', config: { url: `${receiver.url}/slow`, timeout_ms: 300 } });
    await create('/connections', { name: 'to broken', source_id: crm, destination_id: down });
    await create('/connections', { name: 'to slow', source_id: crm, destination_id: slow, rules: [{ type: 'retry', count: 3, interval: 600_000 }] });
    const before = Date.now();
    const id = await ingest(crm, { contact: { full_name: 'Alan Turing', email: 'alan@example.com', phone: '+44 20 7946 0000' } });
    const rows = await waitFor(
      async () => {
        const r = await events(`request_id=${id}`);
        return r.length === 2 && r.every((e) => e.retry) ? r : null;
      },
      15_000,
      'both events waiting for their next try',
    );
    const broken = rows.find((e) => e.destination_name === 'broken crm') as EventRow;
    expect(broken).toMatchObject({
      status: 'SCHEDULED',
      reason: 'the receiver answered 500 Internal Server Error',
      retry: { attempt: 2, of: 4 },
      summary: 'Alan Turing · alan@example.com · +44 20 7946 0000',
    });
    const at = new Date(broken.retry?.at ?? 0).getTime();
    expect(at).toBeGreaterThanOrEqual(before + 590_000);
    expect(at).toBeLessThan(Date.now() + 700_000);
    const timedOut = rows.find((e) => e.destination_name === 'slow crm') as EventRow;
    expect(timedOut).toMatchObject({ reason: 'the receiver did not answer within 0.3 s', retry: { attempt: 2, of: 4 } });
    const s = await story(id);
    expect(s.result).toBe('retrying');
    expect(s.connections.map((c) => c.explanation).sort()).toEqual([
      '“to broken” could not deliver it (the receiver answered 500 Internal Server Error); it will try again (attempt 2 of 4).',
      '“to slow” could not deliver it (the receiver did not answer within 0.3 s); it will try again (attempt 2 of 4).',
    ]);
    // Retry answers the row as it is now, labels included.
    const retried = await api('post', `/events/${broken.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id: broken.id, status: 'QUEUED', destination_name: 'broken crm', retry: null });
  });

  it('summarises published events from their data and names their type', async () => {
    await create('/webhooks', { name: 'lead alerts', url: `${receiver.url}/alerts`, events: ['lead.captured'] });
    const pub = await api('post', '/publish').send({
      eventType: 'lead.captured',
      data: { name: 'Katherine Johnson', email: 'kj@example.com', company: 'NASA' },
    });
    expect(pub.status, pub.text).toBe(202);
    const row = await waitFor(async () => (await requests(`q=${pub.body.eventId}`))[0], 10_000, 'the published request');
    expect(row).toMatchObject({ event_type: 'lead.captured', summary: 'Katherine Johnson · kj@example.com · NASA' });
    const ev = await waitFor(async () => (await events(`request_id=${row.id}`))[0], 10_000, 'its event');
    expect(ev).toMatchObject({ event_type: 'lead.captured', connection_name: 'lead alerts', flow: null });
  });

  it('refuses malformed ids and shows another team nothing', async () => {
    for (const bad of ['nope', 'req_%27%3B--', 'evt_0123456789abcdefghjkmnpqrs', `${sent.spam1}x`]) {
      const res = await api('get', `/requests/${bad}/outcome`);
      expect(res.status, bad).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', message: expect.any(String) });
    }
    // Another team asks by the exact id: not found, not explained, not listed, not searchable.
    const theirs = await api('get', `/requests/${sent.spam1}/outcome`, other.key);
    expect(theirs.status).toBe(404);
    expect(JSON.stringify(theirs.body)).not.toContain('New leads');
    expect((await api('get', `/requests/${sent.lead1}`, other.key)).status).toBe(404);
    expect(await requests(`q=${sent.spam1}`, other.key)).toEqual([]);
    expect(await requests(`source_id=${forms}`, other.key)).toEqual([]);
    expect(await events(`source_id=${forms}`, other.key)).toEqual([]);
    expect(await events(`q=${sent.lead1}`, other.key)).toEqual([]);
    // Their own log labels their own rows only: a flow of ours never names their events.
    const theirSource = (await api('post', '/sources', other.key).send({ name: 'theirs' })).body.id as string;
    const theirRequest = await ingest(theirSource, { name: 'Their Lead', email: 'their@example.com' });
    expect(await requests(`q=${theirRequest}`)).toEqual([]);
    expect((await requests(`q=${theirRequest}`, other.key))[0]).toMatchObject({
      summary: 'Their Lead · their@example.com',
      source_name: 'theirs',
      outcome: { result: 'no_connection' },
    });
    const bad = await api('get', '/requests?status=delivered');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ path: 'query.status' });
  });
});

describe('payload summary', () => {
  it('reads well-known fields only, nearest first, and stays short', () => {
    expect(payloadSummary({ type: 'lead', first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com', password: 'x', token: 'y' })).toBe(
      'Ada Lovelace · ada@example.com',
    );
    expect(payloadSummary({ data: { object: { customer_name: 'Bob', amount: 2000, currency: 'usd' } } })).toBe('Bob · 2000 USD');
    expect(payloadSummary({ id: 'ord_1', secret: 'no' })).toBe('#ord_1');
    expect(payloadSummary({ card: '4242 4242 4242 4242', cvv: '123' })).toBeNull();
    expect(payloadSummary([1, 2])).toBeNull();
    const long = payloadSummary({ name: 'N'.repeat(500), email: `${'e'.repeat(500)}@x.test`, company: 'C'.repeat(500), title: 'T'.repeat(500) }) as string;
    expect(long.length).toBeLessThanOrEqual(160);
    // A field of megabytes (spaces and text) is read only as far as the line shows.
    expect(payloadSummary({ name: `${' \n'.repeat(20)}Ada ${'x '.repeat(2_000_000)}` })).toBe(`Ada ${'x '.repeat(27)}x…`);
    // A deep or wide body is walked only so far.
    let deep: Record<string, unknown> = { email: 'deep@example.com' };
    for (let i = 0; i < 50; i++) deep = { data: deep };
    expect(payloadSummary(deep)).toBeNull();
    expect(payloadType({ eventType: 'lead.captured', type: 'x' }, {})).toBe('lead.captured');
    expect(payloadType({}, { 'x-github-event': 'push' })).toBe('push');
    expect(payloadType({ event: { nested: true } }, {})).toBeNull();
  });
});
