// @vitest-environment happy-dom
// The dashboard page against a stand-in for the API (the numbers themselves are covered by
// test/dashboard-metrics.test.ts): the tiles, the failing destinations worst first with a link to
// their events, and what the charts are handed to draw. happy-dom has no canvas, so uPlot is
// replaced by a recorder of its options and data; test/e2e-dashboard.test.ts draws in Chromium.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type Drawn = { series: string[]; data: (number | null)[][] };
const drawn = vi.hoisted(() => [] as Drawn[]);
vi.mock('uplot', () => ({
  default: class {
    constructor(opts: { series: { label?: string }[] }, data: (number | null)[][], el: HTMLElement) {
      drawn.push({ series: opts.series.slice(1).map((s) => s.label ?? ''), data });
      el.appendChild(document.createElement('canvas'));
    }
    setSize() {}
    destroy() {}
  },
}));

const { Dashboard } = await import('../../web/src/pages/Dashboard.tsx');
const { AuthProvider } = await import('../../web/src/auth.tsx');
const { duration, failingEventsLink, trafficSeries } = await import('../../web/src/pages/dashboard/shape.ts');
type DashboardOut = import('../../web/src/pages/dashboard/types.ts').DashboardOut;

const STEPS = { '1h': [60, 60], '24h': [96, 900], '7d': [168, 3600] } as const;

function fixture(range: keyof typeof STEPS, destination: string | null): DashboardOut {
  const [n, step] = STEPS[range];
  const start = Date.parse('2026-12-07T09:00:00Z') - n * step * 1000;
  const time = (i: number) => new Date(start + i * step * 1000).toISOString();
  const series = Array.from({ length: n }, (_, i) => ({
    time: time(i),
    requests: destination ? null : i === n - 1 ? 6 : 0,
    delivered: i === n - 1 ? 5 : 0,
    failed: i === n - 1 ? 3 : 0,
    filtered: i === n - 1 ? 2 : 0,
    held: 0,
    waiting: 0,
  }));
  return {
    range,
    granularity: range === '1h' ? '1m' : range === '24h' ? '15m' : '1h',
    date_range: { start: time(0), end: time(n) },
    scope: { flow: null, destination: destination ? { id: destination, name: 'CRM' } : null },
    series,
    totals: { requests: destination ? null : 6, delivered: 5, failed: 3, filtered: 2, held: 0, waiting: 0 },
    latency: { deliveries: 5, p50_ms: 42, p95_ms: 1800, p99_ms: 65_000 },
    latency_series: series.map((p, i) => ({
      time: p.time,
      p50_ms: i === n - 1 ? 42 : null,
      p95_ms: i === n - 1 ? 1800 : null,
      p99_ms: i === n - 1 ? 65_000 : null,
    })),
    failing_destinations: [
      {
        id: 'des_bad',
        name: 'Orders webhook',
        state: 'enabled',
        failed_attempts: 9,
        attempts: 9,
        failed_events: 3,
        last_error: { message: 'the receiver answered 500', response_status: 500, at: '2026-12-07T08:59:00Z' },
      },
      { id: 'des_slow', name: 'Slow CRM', state: 'paused', failed_attempts: 2, attempts: 7, failed_events: 0, last_error: null },
    ],
  };
}

let calls: string[] = [];
beforeEach(() => {
  calls = [];
  drawn.length = 0;
  const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  vi.stubGlobal('fetch', async (url: string) => {
    const path = url.replace(/^\/api\/v1/, '');
    calls.push(path);
    if (path.startsWith('/metrics/dashboard?')) {
      const q = new URLSearchParams(path.split('?')[1]);
      return json(fixture(q.get('range') as keyof typeof STEPS, q.get('destination_id')));
    }
    if (path === '/auth/me')
      return json({ user: { id: 'usr_me', email: 'me@example.test', name: 'Me' }, team: { id: 'tm_acme', name: 'Acme', role: 'owner' }, memberships: [] });
    if (path.startsWith('/metrics/sparklines?')) {
      const q = new URLSearchParams(path.split('?')[1]);
      const day = Array.from({ length: 24 }, (_, i) => (i === 23 ? 4 : 0));
      return json({
        by: q.get('by'),
        granularity: '1h',
        times: [],
        series: Object.fromEntries((q.get('ids') ?? '').split(',').map((id) => [id, { delivered: day, failed: day.map((n) => n / 2) }])),
      });
    }
    if (path === '/flows') return json({ models: [{ id: 'flw_leads', name: 'Leads' }] });
    if (path.startsWith('/destinations?'))
      return json({
        models: [
          { id: 'des_bad', name: 'Orders webhook' },
          { id: 'des_crm', name: 'CRM' },
        ],
      });
    return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: path } }), { status: 404 });
  });
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function Where() {
  const l = useLocation();
  return <p data-testid="where">{l.pathname + l.search}</p>;
}

const renderAt = (url: string) =>
  render(
    <MemoryRouter initialEntries={[url]}>
      <AuthProvider>
        <Routes>
          <Route path="/dashboard" element={<Dashboard />} />
          <Route path="/events" element={<Where />} />
        </Routes>
      </AuthProvider>
    </MemoryRouter>,
  );

const dashboardCalls = () => calls.filter((c) => c.startsWith('/metrics/dashboard'));
const lastChart = (first: string) => [...drawn].reverse().find((d) => d.series[0] === first) as Drawn;

describe('dashboard page', () => {
  it('shows the totals, the delivery time and the failing destinations worst first', async () => {
    renderAt('/dashboard');
    await screen.findByTestId('dashboard-totals');
    expect(dashboardCalls().at(-1)).toBe('/metrics/dashboard?range=24h');
    expect(screen.getByTestId('tile-requests-in').textContent).toContain('6');
    expect(screen.getByTestId('tile-delivered').textContent).toContain('5');
    expect(screen.getByTestId('tile-failed').textContent).toContain('3');
    expect(screen.getByTestId('tile-filtered').textContent).toContain('2');
    expect(screen.getByTestId('tile-latency').textContent).toMatch(/42 ms.*p95 1\.8 s, p99 1 min/);
    const failing = screen.getAllByTestId('failing-destination');
    expect(failing.map((f) => f.querySelector('strong')?.textContent)).toEqual(['Orders webhook', 'Slow CRM']);
    expect(failing[0].textContent).toContain('9 failed attempts of 9');
    expect(failing[0].textContent).toContain('3 events failed for good');
    expect(within(failing[0]).getByTestId('failing-destination-error').textContent).toContain('the receiver answered 500');
    expect(failing[1].textContent).toContain('paused by Wirehub');
    // Its link opens the events log on its failed events of the same range.
    fireEvent.click(within(failing[0]).getByTestId('failing-destination-events'));
    expect(screen.getByTestId('where').textContent).toBe('/events?destination_id=des_bad&status=FAILED&range=24h');
  });

  it('hands the charts every bucket of each series, and redraws them for another range', async () => {
    renderAt('/dashboard');
    await screen.findByTestId('traffic-chart');
    await waitFor(() => expect(lastChart('Requests in')).toBeTruthy());
    const traffic = lastChart('Requests in');
    expect(traffic.series).toEqual(['Requests in', 'Delivered', 'Failed', 'Filtered']);
    expect(traffic.data).toHaveLength(5);
    expect(traffic.data.every((col) => col.length === 96)).toBe(true);
    expect(traffic.data[2].at(-1)).toBe(5);
    expect(lastChart('p50').series).toEqual(['p50', 'p95', 'p99']);
    expect(screen.getByTestId('traffic-chart').getAttribute('data-points')).toBe('96');

    fireEvent.click(screen.getByRole('button', { name: '7 days' }));
    await waitFor(() => expect(screen.getByTestId('traffic-chart').getAttribute('data-points')).toBe('168'));
    expect(calls).toContain('/metrics/dashboard?range=7d');
    expect(lastChart('Requests in').data[0]).toHaveLength(168);
    expect(screen.getByRole('button', { name: '7 days' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('narrows to a destination: no "requests in" there, and the scope is in the URL', async () => {
    renderAt('/dashboard?range=1h&destination_id=des_crm');
    await screen.findByTestId('dashboard-totals');
    expect(dashboardCalls().at(-1)).toBe('/metrics/dashboard?range=1h&destination_id=des_crm');
    expect(screen.queryByTestId('tile-requests-in')).toBeNull();
    await waitFor(() => expect(lastChart('Delivered')).toBeTruthy());
    expect(lastChart('Delivered').series).toEqual(['Delivered', 'Failed', 'Filtered']);
    expect(lastChart('Delivered').data[0]).toHaveLength(60);
  });
});

describe('flows at a glance', () => {
  it('shows each flow’s last 24 h from one call, and picking one narrows the dashboard to it', async () => {
    renderAt('/dashboard');
    const row = await screen.findByTestId('glance-flow');
    await waitFor(() => expect(row.textContent).toContain('4 delivered'));
    expect(row.textContent).toContain('2 failed');
    expect(calls.filter((c) => c.startsWith('/metrics/sparklines'))).toEqual(['/metrics/sparklines?by=flow&ids=flw_leads']);
    fireEvent.click(within(row).getByRole('button', { name: 'Leads' }));
    await waitFor(() => expect(dashboardCalls().at(-1)).toBe('/metrics/dashboard?range=24h&flow_id=flw_leads'));
    expect(screen.queryByTestId('flows-at-a-glance')).toBeNull();
  });
});

describe('dashboard data shaping', () => {
  it('reads latencies in the unit a person would', () => {
    expect([duration(null), duration(7.5), duration(850), duration(4200), duration(42_000), duration(180_000), duration(9_000_000)]).toEqual([
      '–',
      '8 ms',
      '850 ms',
      '4.2 s',
      '42 s',
      '3 min',
      '2.5 h',
    ]);
  });

  it('draws "Held" only when something was held', () => {
    const d = fixture('1h', null);
    expect(trafficSeries(d).map((s) => s.label)).not.toContain('Held');
    const held = { ...d, totals: { ...d.totals, held: 2 }, series: d.series.map((p, i) => (i === 3 ? { ...p, held: 2 } : p)) };
    const line = trafficSeries(held).find((s) => s.label === 'Held');
    expect(line?.values[3]).toBe(2);
  });

  it('links a destination still retrying to all its events, one that failed for good to its failed ones', () => {
    expect(failingEventsLink({ id: 'des_a', failed_events: 0 }, '1h')).toBe('/events?destination_id=des_a&range=1h');
    expect(failingEventsLink({ id: 'des_a', failed_events: 2 }, '7d')).toBe('/events?destination_id=des_a&status=FAILED&range=7d');
  });
});
