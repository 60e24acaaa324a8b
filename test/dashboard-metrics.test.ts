import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

type Point = { time: string; requests: number | null; delivered: number; failed: number; filtered: number; held: number; waiting: number };
type Dashboard = {
  range: string;
  granularity: string;
  date_range: { start: string; end: string };
  scope: { flow: { id: string; name: string } | null; destination: { id: string; name: string } | null };
  series: Point[];
  totals: Omit<Point, 'time'>;
  latency: { deliveries: number; p50_ms: number | null; p95_ms: number | null; p99_ms: number | null };
  latency_series: { time: string; p50_ms: number | null; p95_ms: number | null; p99_ms: number | null }[];
  failing_destinations: {
    id: string;
    name: string;
    state: string;
    failed_attempts: number;
    attempts: number;
    failed_events: number;
    last_error: { message: string; response_status: number | null; at: string } | null;
  }[];
};
type Sparklines = { by: string; granularity: string; times: string[]; series: Record<string, { delivered: number[]; failed: number[] }> };

const node = (id: string, kind: string, data: Record<string, unknown>) => ({ id, kind, position: { x: 0, y: 0 }, data });
const chain = (a: string, b: string) => ({ id: `${a}-${b}`, source: a, target: b });

// The dashboard as a marketer reads it after real traffic: a flow whose one webhook answers 200
// and whose other answers 500, a filter step that turns some requests away, and a plain
// connection beside the flow; the numbers per workspace, per flow and per destination, the
// latency percentiles against the attempts themselves, the failing destination first, the
// sparklines of both lists; other teams' flows and destinations answer 404 or nothing.
describe('dashboard metrics', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let other: Awaited<ReturnType<typeof newWorkspace>>;
  const ids = {} as Record<'shop' | 'crm' | 'flow' | 'ok' | 'bad' | 'crmOk' | 'otherFlow' | 'otherDest', string>;

  const get = async <T>(path: string, key = ws.key) => {
    const res = await hub.api('get', `/api/v1${path}`, key);
    expect(res.status, res.text).toBe(200);
    return res.body as T;
  };
  const dashboard = (q = '', key = ws.key) => get<Dashboard>(`/metrics/dashboard?range=1h${q}`, key);
  const send = async (source: string, body: object) => {
    const res = await hub.api('post', `/e/${source}`).send(body);
    expect(res.status, res.text).toBe(200);
  };

  beforeAll(async () => {
    hub = await startTestHub({ retrySchedule: [50, 50], autoDisableAfter: 1000 });
    receiver = await startReceiver((r) => (r.url.startsWith('/bad') ? { status: 500, body: 'Internal Server Error' } : { status: 200, body: 'ok' }));
    [ws, other] = await Promise.all([newWorkspace(hub), newWorkspace(hub)]);
    const create = async (path: string, body: object, key = ws.key) => {
      const res = await hub.api('post', `/api/v1${path}`, key).send(body);
      expect(res.status, res.text).toBe(201);
      return res.body as { id: string; objects: { nodeId: string; destinationId: string }[] };
    };
    ids.shop = (await create('/sources', { name: 'shop' })).id;
    ids.crm = (await create('/sources', { name: 'crm' })).id;
    const flow = await create('/flows', {
      name: 'Leads',
      graph: {
        nodes: [
          node('t1', 'trigger', { sourceId: ids.shop }),
          node('f1', 'filter', { conditions: [{ field: 'body.type', op: 'eq', value: 'lead' }], mode: 'all' }),
          node('w1', 'webhook', { url: `${receiver.url}/ok`, signing: 'hmac' }),
          node('w2', 'webhook', { url: `${receiver.url}/bad`, signing: 'hmac' }),
        ],
        edges: [chain('t1', 'f1'), chain('f1', 'w1'), chain('f1', 'w2')],
      },
    });
    ids.flow = flow.id;
    ids.ok = flow.objects.find((o) => o.nodeId === 'w1')?.destinationId ?? '';
    ids.bad = flow.objects.find((o) => o.nodeId === 'w2')?.destinationId ?? '';
    ids.crmOk = (await create('/destinations', { name: 'crm-ok', config: { url: `${receiver.url}/crm` } })).id;
    await create('/connections', { name: 'crm', source_id: ids.crm, destination_id: ids.crmOk });

    const theirs = await create('/sources', { name: 'theirs' }, other.key);
    ids.otherFlow = (
      await create(
        '/flows',
        {
          name: 'Theirs',
          graph: {
            nodes: [node('t1', 'trigger', { sourceId: theirs.id }), node('w1', 'webhook', { url: `${receiver.url}/theirs`, signing: 'hmac' })],
            edges: [chain('t1', 'w1')],
          },
        },
        other.key,
      )
    ).id;
    ids.otherDest = (await create('/destinations', { name: 'theirs', config: { url: `${receiver.url}/theirs` } }, other.key)).id;

    for (const n of [1, 2, 3]) await send(ids.shop, { type: 'lead', n });
    await send(ids.shop, { type: 'newsletter' });
    for (const n of [1, 2]) await send(ids.crm, { n });
    const count = async (q: string) => (await get<{ count: number }>(`/events/count?${q}`)).count;
    await waitFor(
      async () => (await count('status=QUEUED,SCHEDULED')) === 0 && (await count('status=failed')) === 3 && (await count('status=delivered')) === 5,
      30_000,
      'deliveries done and the 500s failed for good',
    );
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('counts requests in and what became of them over the last hour', async () => {
    const d = await dashboard();
    expect(d.range).toBe('1h');
    expect(d.granularity).toBe('1m');
    expect(d.series).toHaveLength(60);
    expect(Date.parse(d.date_range.end) - Date.parse(d.date_range.start)).toBe(3_600_000);
    // The last bucket is the current minute.
    expect(Date.parse(d.series[59].time)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(d.date_range.end)).toBeGreaterThan(Date.now());
    // 4 to the shop (1 turned away by the filter at both webhooks), 2 to the CRM.
    expect(d.totals).toEqual({ requests: 6, delivered: 3 + 2, failed: 3, filtered: 2, held: 0, waiting: 0 });
    const sum = (k: keyof Omit<Point, 'time'>) => d.series.reduce((n, p) => n + (p[k] ?? 0), 0);
    expect(sum('delivered')).toBe(5);
    expect(sum('requests')).toBe(6);
  });

  it('draws the same traffic in 24 h and 7 d, in coarser buckets', async () => {
    const day = await get<Dashboard>('/metrics/dashboard?range=24h');
    expect([day.granularity, day.series.length]).toEqual(['15m', 96]);
    const week = await get<Dashboard>('/metrics/dashboard?range=7d');
    expect([week.granularity, week.series.length]).toEqual(['1h', 168]);
    for (const d of [day, week]) expect(d.totals).toEqual({ requests: 6, delivered: 5, failed: 3, filtered: 2, held: 0, waiting: 0 });
    // Without a range: the day.
    expect((await get<Dashboard>('/metrics/dashboard')).range).toBe('24h');
  });

  it('narrows to one flow and to one destination', async () => {
    const flow = await dashboard(`&flow_id=${ids.flow}`);
    expect(flow.scope.flow).toEqual({ id: ids.flow, name: 'Leads' });
    // The requests that reached the flow, not twice for its two webhooks; the CRM's are not its.
    expect(flow.totals).toEqual({ requests: 4, delivered: 3, failed: 3, filtered: 2, held: 0, waiting: 0 });
    const bad = await dashboard(`&destination_id=${ids.bad}`);
    expect(bad.scope.destination).toEqual({ id: ids.bad, name: expect.any(String) });
    expect(bad.totals).toEqual({ requests: null, delivered: 0, failed: 3, filtered: 1, held: 0, waiting: 0 });
    expect(bad.series.every((p) => p.requests === null)).toBe(true);
    expect(bad.latency.deliveries).toBe(0);
    expect(bad.latency.p50_ms).toBeNull();
    const crm = await dashboard(`&destination_id=${ids.crmOk}`);
    expect(crm.totals).toMatchObject({ delivered: 2, failed: 0, filtered: 0 });
    const both = await dashboard(`&flow_id=${ids.flow}&destination_id=${ids.crmOk}`);
    expect(both.totals).toMatchObject({ delivered: 0, failed: 0 });
  });

  it('puts the failing destination first, with its failures and last error', async () => {
    const d = await dashboard();
    expect(d.failing_destinations.map((f) => f.id)).toEqual([ids.bad]);
    const [bad] = d.failing_destinations;
    const failedAttempts = await hub.deps.db
      .selectFrom('attempts')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('destination_id', '=', ids.bad)
      .where('status', '=', 'FAILED')
      .executeTakeFirstOrThrow();
    expect(failedAttempts.n).toBe(9); // 3 events × (1 attempt + 2 retries)
    expect(bad).toMatchObject({ failed_attempts: 9, attempts: 9, failed_events: 3, state: 'enabled' });
    expect(bad.last_error?.response_status).toBe(500);
    expect(bad.last_error?.message).toMatch(/500/);
    // Scoped to a destination that never failed, nothing is failing.
    expect((await dashboard(`&destination_id=${ids.crmOk}`)).failing_destinations).toEqual([]);
  });

  it('reads latency percentiles from the counts, matching the attempts within a bin', async () => {
    const d = await dashboard();
    const { rows } = await sql<{ ms: number }>`
      SELECT extract(epoch FROM a.created_at - e.created_at) * 1000 + a.duration_ms AS ms
      FROM attempts a JOIN events e ON e.id = a.event_id
      WHERE a.workspace_id = ${ws.teamId} AND a.status = 'SUCCESSFUL' ORDER BY 1`.execute(hub.deps.db);
    const ms = rows.map((r) => Math.max(1, Number(r.ms)));
    expect(d.latency.deliveries).toBe(5);
    expect(ms).toHaveLength(5);
    for (const [q, key] of [
      [0.5, 'p50_ms'],
      [0.95, 'p95_ms'],
      [0.99, 'p99_ms'],
    ] as const) {
      const exact = ms[Math.ceil(q * ms.length) - 1];
      const shown = d.latency[key] as number;
      // A bin spans a factor 2^(1/8); its middle is within 2^(1/16) of anything in it.
      expect(shown / exact, `${key}: ${shown} vs ${exact}`).toBeGreaterThan(2 ** (-1 / 16) - 0.01);
      expect(shown / exact, `${key}: ${shown} vs ${exact}`).toBeLessThan(2 ** (1 / 16) + 0.01);
    }
    expect(d.latency_series).toHaveLength(60);
    expect(d.latency_series.some((p) => p.p50_ms !== null)).toBe(true);
  });

  it('keeps the attempt counts equal to the attempts log', async () => {
    const { rows } = await sql<{ key: string; counted: number; logged: number }>`
      WITH c AS (SELECT workspace_id, minute, connection_id, destination_id, status, sum(n) AS n FROM attempt_counts_1m GROUP BY 1, 2, 3, 4, 5),
      l AS (SELECT a.workspace_id, date_bin('1 minute', a.created_at, TIMESTAMPTZ 'epoch') AS minute, e.connection_id, a.destination_id, a.status, count(*) AS n
            FROM attempts a JOIN events e ON e.id = a.event_id GROUP BY 1, 2, 3, 4, 5)
      SELECT concat_ws(' ', workspace_id, minute, connection_id, destination_id, status) AS key, COALESCE(c.n, 0)::int AS counted, COALESCE(l.n, 0)::int AS logged
      FROM c FULL JOIN l USING (workspace_id, minute, connection_id, destination_id, status)
      WHERE COALESCE(c.n, 0) <> COALESCE(l.n, 0)`.execute(hub.deps.db);
    expect(rows).toEqual([]);
  });

  it('gives each flow and destination of a list its 24 h sparkline in one call, its own only', async () => {
    const dest = await get<Sparklines>(`/metrics/sparklines?by=destination&ids=${ids.ok},${ids.bad},${ids.crmOk},${ids.otherDest}`);
    expect(dest.times).toHaveLength(24);
    expect(Object.keys(dest.series).sort()).toEqual([ids.ok, ids.bad, ids.crmOk].sort());
    const total = (a: number[]) => a.reduce((s, n) => s + n, 0);
    expect([total(dest.series[ids.bad].delivered), total(dest.series[ids.bad].failed)]).toEqual([0, 3]);
    expect([total(dest.series[ids.ok].delivered), total(dest.series[ids.ok].failed)]).toEqual([3, 0]);
    expect(dest.series[ids.ok].delivered).toHaveLength(24);
    const flows = await get<Sparklines>(`/metrics/sparklines?by=flow&ids=${ids.flow},${ids.otherFlow}`);
    expect(Object.keys(flows.series)).toEqual([ids.flow]);
    expect([total(flows.series[ids.flow].delivered), total(flows.series[ids.flow].failed)]).toEqual([3, 3]);
  });

  it('shows another team nothing of this one', async () => {
    const theirs = await dashboard('', other.key);
    expect(theirs.totals).toEqual({ requests: 0, delivered: 0, failed: 0, filtered: 0, held: 0, waiting: 0 });
    expect(theirs.failing_destinations).toEqual([]);
    for (const q of [`&flow_id=${ids.flow}`, `&destination_id=${ids.bad}`]) {
      const res = await hub.api('get', `/api/v1/metrics/dashboard?range=1h${q}`, other.key);
      expect(res.status, q).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    const spark = await get<Sparklines>(`/metrics/sparklines?by=flow&ids=${ids.flow}`, other.key);
    expect(spark.series).toEqual({});
  });

  it('refuses ranges and parameters it does not draw, naming each', async () => {
    const bad = async (path: string, paths: string[]) => {
      const res = await hub.api('get', `/api/v1/metrics/${path}`, ws.key);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.map((d: { path: string }) => d.path).sort(), path).toEqual([...paths].sort());
    };
    await bad('dashboard?range=30d', ['query.range']);
    await bad('dashboard?range=1h&flow_id=flows', ['query.flow_id']);
    await bad(`dashboard?destination_id=${ids.flow}`, ['query.destination_id']);
    await bad('dashboard?range=1h&since=now-1y', ['query.since']);
    await bad('sparklines?by=destination', ['query.ids']);
    await bad(`sparklines?by=source&ids=${ids.shop}`, ['query.by']);
    await bad(`sparklines?by=destination&ids=${Array.from({ length: 101 }, () => ids.ok).join(',')}`, ['query.ids']);
  });
});
