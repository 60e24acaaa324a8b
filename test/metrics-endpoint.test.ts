import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountsById, HubMetrics, OTHER, UNKNOWN } from '../server/core/prometheus.ts';
import { laneOf } from '../server/delivery/lanes.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

/**
 * The operator's Prometheus endpoint (`GET /metrics`, server/prometheus.routes.ts): scraped before
 * and after real traffic, its counters must have moved by exactly what was sent.
 */

type Sample = Map<string, number>;

/** Prometheus's text format as `name{a="x",b="y"}` (labels sorted) → value. */
function parse(text: string): Sample {
  const out: Sample = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels = m[2] ? [...m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort() : [];
    out.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return out;
}

const key = (name: string, labels: Record<string, string | number> = {}) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',')}}`;
const at = (s: Sample, name: string, labels?: Record<string, string | number>) => s.get(key(name, labels)) ?? 0;

describe('GET /metrics after real traffic', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let ok: Awaited<ReturnType<typeof startReceiver>>;
  let failing: Awaited<ReturnType<typeof startReceiver>>;
  let open: string;
  let keyed: string;
  let desOk: string;
  let desFail: string;

  beforeAll(async () => {
    ok = await startReceiver();
    failing = await startReceiver(() => ({ status: 500, body: 'down' }));
    hub = await startTestHub();
    ws = await newWorkspace(hub);
    const api = (method: 'post', url: string) => hub.api(method, `/api/v1${url}`, ws.key);
    open = (await api('post', '/sources').send({ name: 'open' })).body.id;
    keyed = (
      await api('post', '/sources').send({ name: 'keyed', config: { auth: { type: 'api_key', header_key: 'x-shop-key', api_key: 'shop-key-0123456789' } } })
    ).body.id;
    desOk = (await api('post', '/destinations').send({ name: 'ok', config: { url: `${ok.url}/hook` } })).body.id;
    desFail = (await api('post', '/destinations').send({ name: 'failing', config: { url: `${failing.url}/hook` } })).body.id;
    expect((await api('post', '/connections').send({ name: 'open-ok', source_id: open, destination_id: desOk })).status).toBe(201);
    // One retry a second after the first failure, then failed for good: both outcomes, quickly.
    const retry = { type: 'retry', strategy: 'linear', count: 1, interval: 1000 };
    expect((await api('post', '/connections').send({ name: 'keyed-failing', source_id: keyed, destination_id: desFail, rules: [retry] })).status).toBe(201);
  });

  afterAll(async () => {
    await hub?.close();
    await ok?.close();
    await failing?.close();
  });

  const scrape = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${hub.url}/metrics`, { headers });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(await res.text());
  };
  const ingest = (source: string, headers: Record<string, string> = {}) =>
    fetch(`${hub.url}/e/${source}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ type: 'order.paid' }),
    });
  const publish = (headers: Record<string, string> = {}, extra: Record<string, string> = {}) =>
    fetch(`${hub.url}/api/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ws.key}`, ...headers },
      body: JSON.stringify({ eventType: 'conversation.started', data: { started_at: '2026-05-03T14:19:55Z', channel: 'web' }, ...extra }),
    });

  it('counts requests by source and outcome, verification failures, publishes and delivery attempts exactly', async () => {
    const before = await scrape();

    for (let i = 0; i < 5; i++) expect((await ingest(open)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await ingest(keyed, { 'x-shop-key': 'shop-key-0123456789' })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await ingest(keyed, { 'x-shop-key': 'wrong' })).status).toBe(401);
    expect((await ingest('src_doesnotexist0000000000')).status).toBe(404);
    expect((await publish()).status).toBe(202);
    expect((await publish({}, { idempotencyKey: 'metrics-1' })).status).toBe(202);
    const replay = await publish({}, { idempotencyKey: 'metrics-1' });
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([202, 'true']);
    expect((await publish({ authorization: 'Bearer nope' })).status).toBe(401);
    // A spelling of the path Express serves (publishEndpoint takes the exact ones).
    expect(
      (
        await fetch(`${hub.url}/api/v1/publish/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ws.key}` },
          body: '{"eventType":"conversation.started","data":{"started_at":"2026-05-03T14:19:55Z","channel":"web"}}',
        })
      ).status,
    ).toBe(202);

    // 5 deliveries to the good receiver; 3 first attempts and 3 retries to the failing one.
    await waitFor(() => ok.received.length === 5 && failing.received.length === 6, 20_000, 'the deliveries and retries');
    const after = await waitFor(
      async () => {
        const s = await scrape();
        return (
          at(s, 'wirehub_delivery_attempts_total', { destination: desFail, outcome: 'failed' }) -
            at(before, 'wirehub_delivery_attempts_total', { destination: desFail, outcome: 'failed' }) ===
            3 && s
        );
      },
      10_000,
      'the last outcomes to be counted',
    );
    const moved = (name: string, labels?: Record<string, string>) => at(after, name, labels) - at(before, name, labels);

    expect(moved('wirehub_ingest_requests_total', { source: open, outcome: 'accepted' })).toBe(5);
    expect(moved('wirehub_ingest_requests_total', { source: keyed, outcome: 'accepted' })).toBe(3);
    expect(moved('wirehub_ingest_requests_total', { source: keyed, outcome: 'rejected' })).toBe(2);
    expect(moved('wirehub_ingest_verification_failures_total', { source: keyed })).toBe(2);
    expect(moved('wirehub_ingest_verification_failures_total', { source: open })).toBe(0);
    // A made-up id gets no label of its own.
    expect(moved('wirehub_ingest_requests_total', { source: UNKNOWN, outcome: 'invalid' })).toBe(1);
    expect([...after.keys()].some((k) => k.includes('src_doesnotexist'))).toBe(false);

    expect(moved('wirehub_publish_requests_total', { outcome: 'accepted' })).toBe(3);
    expect(moved('wirehub_publish_requests_total', { outcome: 'replayed' })).toBe(1);
    expect(moved('wirehub_publish_requests_total', { outcome: 'invalid' })).toBe(1);

    expect(moved('wirehub_delivery_attempts_total', { destination: desOk, outcome: 'successful' })).toBe(5);
    expect(moved('wirehub_delivery_attempts_total', { destination: desOk, outcome: 'retry' })).toBe(0);
    expect(moved('wirehub_delivery_attempts_total', { destination: desFail, outcome: 'retry' })).toBe(3);
    expect(moved('wirehub_delivery_attempts_total', { destination: desFail, outcome: 'failed' })).toBe(3);
    expect(moved('wirehub_delivery_attempt_duration_seconds_count', { outcome: 'successful' })).toBe(5);
    expect(moved('wirehub_delivery_attempt_duration_seconds_count', { outcome: 'retry' })).toBe(3);
    expect(moved('wirehub_delivery_attempt_duration_seconds_bucket', { outcome: 'successful', le: '+Inf' })).toBe(5);

    // Read when scraped: every lane's queue (all delivered now), the pool, the sandbox, the process.
    for (let lane = 0; lane < hub.deps.config.deliveryLanes; lane++) {
      expect(after.get(key('wirehub_queue_waiting_events', { lane }))).toBe(0);
      expect(after.get(key('wirehub_queue_oldest_due_seconds', { lane }))).toBe(0);
    }
    expect(at(after, 'wirehub_queue_read_ok')).toBe(1);
    expect(at(after, 'wirehub_delivery_lanes_running')).toBe(hub.deps.config.deliveryLanes);
    expect(at(after, 'wirehub_db_pool_connections', { state: 'max' })).toBe(hub.deps.database.embedded ? 1 : hub.deps.config.dbPoolSize);
    expect(at(after, 'wirehub_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(after.has(key('wirehub_db_pool_waiting_queries'))).toBe(true);
    expect(after.has(key('wirehub_sandbox_threads', { state: 'busy' }))).toBe(true);
    expect(after.has(key('nodejs_eventloop_lag_seconds'))).toBe(true);
    expect(after.has(key('process_cpu_user_seconds_total'))).toBe(true);
  });

  it('reads a lane with due events: how many wait and how long the oldest has been due', async () => {
    // No worker delivers them: the lanes are stopped (a paused connection would hold them, not leave them due).
    await hub.jobs!.lanes.stop();
    const lane = laneOf(desOk, hub.deps.config.deliveryLanes);
    for (let i = 0; i < 3; i++) expect((await ingest(open)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const s = await scrape();
    expect(at(s, 'wirehub_queue_waiting_events', { lane })).toBe(3);
    expect(at(s, 'wirehub_queue_oldest_due_seconds', { lane })).toBeGreaterThanOrEqual(1);
    expect(at(s, 'wirehub_queue_oldest_due_seconds', { lane })).toBeLessThan(30);
  });

  it('answers this machine without a token, and not a request a proxy forwarded', async () => {
    await scrape();
    const forwarded = await fetch(`${hub.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(forwarded.status).toBe(403);
    expect(((await forwarded.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'METRICS_TOKEN_REQUIRED',
      message: expect.stringContaining('WIREHUB_METRICS_TOKEN'),
    });
  });
});

describe('GET /metrics behind WIREHUB_METRICS_TOKEN', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';
  let hub: TestHub;
  beforeAll(async () => {
    // Every ingest and publish is refused before Express (the heap is always fuller than 1 %).
    hub = await startTestHub({}, { WIREHUB_METRICS_TOKEN: TOKEN, WIREHUB_INGEST_MAX_HEAP_PERCENT: '1' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('asks for the bearer token, and counts refusals (503) under unknown sources', async () => {
    const none = await fetch(`${hub.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect((await fetch(`${hub.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789abcdef' } })).status).toBe(401);

    for (let i = 0; i < 2; i++) expect((await fetch(`${hub.url}/e/src_whatever00000000000000`, { method: 'POST', body: '{}' })).status).toBe(503);
    expect((await fetch(`${hub.url}/api/v1/publish`, { method: 'POST', body: '{}' })).status).toBe(503);

    const res = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '203.0.113.7' } });
    expect(res.status).toBe(200);
    const s = parse(await res.text());
    expect(at(s, 'wirehub_ingest_requests_total', { source: UNKNOWN, outcome: 'refused' })).toBe(2);
    expect(at(s, 'wirehub_publish_requests_total', { outcome: 'refused' })).toBe(1);
  });
});

describe('label sets are bounded', () => {
  it('counts ids past the cap under other', () => {
    const counts = new CountsById(['a', 'b'] as const, 3);
    for (const id of ['x', 'y', 'z', 'w', 'v', 'x']) counts.row(id).a++;
    expect(Object.fromEntries([...counts.entries()].map(([id, row]) => [id, row.a]))).toEqual({ x: 2, y: 1, z: 1, [OTHER]: 2 });
  });

  it('gives a source a label of its own only once a request to it was accepted or rejected', async () => {
    const m = new HubMetrics();
    m.ingest('src_a', 'invalid');
    m.ingest('src_a', 'refused');
    m.ingest('src_b', 'accepted');
    m.ingest('src_b', 'refused');
    const s = parse(await m.text());
    expect(at(s, 'wirehub_ingest_requests_total', { source: UNKNOWN, outcome: 'invalid' })).toBe(1);
    expect(at(s, 'wirehub_ingest_requests_total', { source: UNKNOWN, outcome: 'refused' })).toBe(1);
    expect(at(s, 'wirehub_ingest_requests_total', { source: 'src_b', outcome: 'refused' })).toBe(1);
    expect(s.has(key('wirehub_ingest_requests_total', { source: 'src_a', outcome: 'invalid' }))).toBe(false);
  });
});
