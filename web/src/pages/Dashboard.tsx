import { useCallback, useEffect, useMemo } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { Chart, Sparkline } from '../ui/Chart.tsx';
import { useSparklines } from '../ui/useSparklines.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { COLORS, duration, failingEventsLink, latencySeries, RANGES, rangeWords, secondsOf, trafficSeries } from './dashboard/shape.ts';
import type { DashboardOut, DashboardRange, FailingDestination } from './dashboard/types.ts';
import './dashboard/dashboard.css';

type Named = { id: string; name: string };
const REFRESH_MS = 30_000;
const isRange = (v: string | null): v is DashboardRange => v === '1h' || v === '24h' || v === '7d';

/**
 * `/dashboard`, the first page after sign-in: what came in and what became of it over the last
 * hour, day or week, for everything, one flow or one destination (in the URL, so a view can be
 * linked to), the delivery time, and the destinations that fail, worst first.
 */
export function Dashboard() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const range: DashboardRange = isRange(params.get('range')) ? (params.get('range') as DashboardRange) : '24h';
  const flowId = params.get('flow_id') ?? '';
  const destinationId = params.get('destination_id') ?? '';
  const query = new URLSearchParams({ range, ...(flowId ? { flow_id: flowId } : {}), ...(destinationId ? { destination_id: destinationId } : {}) }).toString();
  // Switching the workspace in the menu shows its numbers at once.
  const team = useAuth().profile?.team?.id;
  const data = useLoad(() => api<DashboardOut>('GET', `/metrics/dashboard?${query}`), [query, team]);
  const flows = useLoad(() => api<{ models: Named[] }>('GET', '/flows'), [team]);
  const destinations = useLoad(() => api<{ models: Named[] }>('GET', '/destinations?limit=255'), [team]);
  // A dashboard left open keeps itself current (the per-minute counts make a refresh cheap), the
  // flows and destinations to narrow it to included.
  const [reloadData, reloadFlows, reloadDestinations] = [data.reload, flows.reload, destinations.reload];
  const reload = useCallback(() => Promise.all([reloadData(), reloadFlows(), reloadDestinations()]), [reloadData, reloadFlows, reloadDestinations]);
  useEffect(() => {
    const timer = setInterval(() => void reload(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
  };
  const d = data.data;

  return (
    <section className="dashboard">
      <header className="row">
        <div>
          <h1>Dashboard</h1>
          <p className="muted">What came in over {rangeWords(range)} and what became of it.</p>
        </div>
        <div className="row">
          <div className="segmented" role="group" aria-label="Time range">
            {RANGES.map(([value, label]) => (
              <button
                key={value}
                type="button"
                aria-pressed={range === value}
                className={range === value ? 'active' : ''}
                onClick={() => set('range', value === '24h' ? '' : value)}
              >
                {label}
              </button>
            ))}
          </div>
          <button type="button" onClick={() => void reload()}>
            Refresh
          </button>
          {/* The first thing a new workspace does, one click from the first page (as on the flows list). */}
          <button className="primary" data-testid="new-flow" onClick={() => navigate('/flows/new')}>
            New flow
          </button>
        </div>
      </header>
      <div className="row filters">
        <label>
          Flow
          <select aria-label="Flow" value={flowId} onChange={(e) => set('flow_id', e.target.value)}>
            <option value="">All flows</option>
            {flows.data?.models.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Destination
          <select aria-label="Destination" value={destinationId} onChange={(e) => set('destination_id', e.target.value)}>
            <option value="">All destinations</option>
            {destinations.data?.models.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name}
              </option>
            ))}
          </select>
        </label>
        {data.loading && d && <span className="muted small-text">Updating…</span>}
      </div>
      <ErrorBox error={data.error} />
      {!d && data.loading && <p className="loading">Loading the dashboard…</p>}
      {d && <DashboardBody d={d} range={range} />}
      {d && !flowId && flows.data && flows.data.models.length > 0 && <FlowsAtAGlance flows={flows.data.models} onPick={(id) => set('flow_id', id)} />}
    </section>
  );
}

function DashboardBody({ d, range }: { d: DashboardOut; range: DashboardRange }) {
  const times = useMemo(() => secondsOf(d.series), [d]);
  const traffic = useMemo(() => trafficSeries(d), [d]);
  const latencyTimes = useMemo(() => secondsOf(d.latency_series), [d]);
  const latency = useMemo(() => latencySeries(d), [d]);
  const t = d.totals;
  const quiet = (t.requests ?? 0) + t.delivered + t.failed + t.filtered + t.held + t.waiting === 0;
  return (
    <>
      <div className="tiles" data-testid="dashboard-totals">
        {t.requests !== null && <Tile label="Requests in" value={t.requests} color={COLORS.requests} />}
        <Tile label="Delivered" value={t.delivered} color={COLORS.delivered} />
        <Tile label="Failed" value={t.failed} color={COLORS.failed} />
        <Tile label="Filtered" value={t.filtered} color={COLORS.filtered} hint="turned away by a filter step, or a duplicate" />
        <Tile label="Held" value={t.held} color={COLORS.held} hint="waiting for a disabled destination" />
        {t.waiting > 0 && <Tile label="Waiting" value={t.waiting} color={COLORS.requests} hint="queued, or to be retried" />}
        <div className="tile" data-testid="tile-latency">
          <span className="tile-label">Delivery time</span>
          <span className="tile-value">{duration(d.latency.p50_ms)}</span>
          <span className="muted small-text">
            typical (p50); p95 {duration(d.latency.p95_ms)}, p99 {duration(d.latency.p99_ms)}
          </span>
        </div>
      </div>
      {quiet && (
        <div className="empty" data-testid="dashboard-empty">
          Nothing arrived in {rangeWords(range)}. <Link to="/flows">Build a flow</Link> or <Link to="/webhooks">add a webhook</Link>, send it a request, and it
          shows up here.
        </div>
      )}
      <FailingDestinations list={d.failing_destinations} range={range} />
      <div className="card">
        <h2>Traffic</h2>
        <Chart testId="traffic-chart" title={`Requests and deliveries over ${rangeWords(range)}`} times={times} series={traffic} />
      </div>
      <div className="card">
        <h2>Delivery time</h2>
        <p className="muted small-text">
          From a request's arrival to its delivery, retries included: half of the deliveries took less than p50, all but 5 % less than p95.
        </p>
        <Chart
          testId="latency-chart"
          title={`Delivery time over ${rangeWords(range)}`}
          times={latencyTimes}
          series={latency}
          format={duration}
          height={180}
          axisWidth={72}
        />
      </div>
    </>
  );
}

function Tile({ label, value, color, hint }: { label: string; value: number; color: string; hint?: string }) {
  return (
    <div className="tile" data-testid={`tile-${label.toLowerCase().replace(/\s+/g, '-')}`} title={hint}>
      <span className="tile-label">
        <span className="swatch" style={{ background: color }} />
        {label}
      </span>
      <span className="tile-value">{value.toLocaleString()}</span>
    </div>
  );
}

const STATE_WORDS: Record<FailingDestination['state'], string> = { enabled: '', disabled: 'disabled', paused: 'paused by Wirehub' };

function FailingDestinations({ list, range }: { list: FailingDestination[]; range: DashboardRange }) {
  return (
    <div className="card" data-testid="failing-destinations">
      <h2>Failing destinations</h2>
      {list.length === 0 ? (
        <p className="muted">No delivery failed in {rangeWords(range)}.</p>
      ) : (
        <ol className="failing-list">
          {list.map((f) => (
            <li key={f.id} data-testid="failing-destination" data-id={f.id}>
              <div className="row">
                <strong>{f.name}</strong>
                {STATE_WORDS[f.state] && <span className="badge paused-by-hub">{STATE_WORDS[f.state]}</span>}
                <span className="bad">
                  {f.failed_attempts} failed {f.failed_attempts === 1 ? 'attempt' : 'attempts'}
                  {f.attempts > 0 && ` of ${f.attempts}`}
                </span>
                {f.failed_events > 0 && (
                  <span className="muted">
                    · {f.failed_events} {f.failed_events === 1 ? 'event' : 'events'} failed for good
                  </span>
                )}
                <Link className="push-right" to={failingEventsLink(f, range)} data-testid="failing-destination-events">
                  {f.failed_events > 0 ? 'See the failed events' : 'See its events'} →
                </Link>
              </div>
              {f.last_error && (
                <div className="small-text muted" data-testid="failing-destination-error">
                  Last error {new Date(f.last_error.at).toLocaleString()}: {f.last_error.message}
                </div>
              )}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

const AT_A_GLANCE = 10;

/** Each flow's last 24 h in small multiples, the most failures first; picking one narrows the dashboard to it. */
function FlowsAtAGlance({ flows, onPick }: { flows: Named[]; onPick: (id: string) => void }) {
  const sparks = useSparklines(
    'flow',
    flows.map((f) => f.id),
  );
  const sum = (a: number[] | undefined) => (a ?? []).reduce((s, n) => s + n, 0);
  const rows = flows
    .map((f) => ({ ...f, delivered: sum(sparks[f.id]?.delivered), failed: sum(sparks[f.id]?.failed) }))
    .sort((a, b) => b.failed - a.failed || b.delivered - a.delivered)
    .slice(0, AT_A_GLANCE);
  return (
    <div className="card" data-testid="flows-at-a-glance">
      <h2>Flows, last 24 hours</h2>
      <table>
        <tbody>
          {rows.map((f) => (
            <tr key={f.id} data-testid="glance-flow" data-id={f.id}>
              <td>
                <button type="button" className="link" onClick={() => onPick(f.id)} title="Show this flow's numbers">
                  {f.name}
                </button>
              </td>
              <td>{sparks[f.id] && <Sparkline {...sparks[f.id]} />}</td>
              <td className="good">{f.delivered} delivered</td>
              <td className={f.failed ? 'bad' : 'muted'}>{f.failed} failed</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
