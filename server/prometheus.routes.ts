import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { Router, type Request } from 'express';
import ipaddr from 'ipaddr.js';
import { AppError } from './core/errors.ts';
import type { Deps } from './deps.ts';
import { laneQueues, type LaneQueue } from './delivery/queue-depth.ts';
import type { Jobs } from './jobs/agenda.ts';
import { VERSION } from './version.ts';

/** A scrape reads the lanes' queues once; scrapes within this share that reading. */
const QUEUE_READING_MS = 1000;
/** A database that has not answered within this leaves the queue gauges empty rather than hold the scrape. */
const QUEUE_TIMEOUT_MS = 1000;

/**
 * `GET /metrics`, Prometheus's text format: this process's counters (core/prometheus.ts) and
 * gauges read when scraped (the lanes' queues, the database pool, the sandbox, the lanes it runs).
 *
 * Who may scrape: with WIREHUB_METRICS_TOKEN set, a caller sending it as a bearer token (401
 * otherwise). Without it, only this machine, and not through a proxy: the labels name every
 * team's source ids, and a source id is its ingest URL (`/e/<id>`), which anyone could post to.
 */
export function prometheusRoutes(deps: Deps, jobs: () => Jobs | null): Router {
  const { metrics, database, config, sandbox } = deps;
  const token = config.metricsToken ? digest(config.metricsToken) : null;

  let reading: { at: number; queues: Promise<LaneQueue[]> } | null = null;
  const queues = (): Promise<LaneQueue[]> => {
    if (!reading || Date.now() - reading.at > QUEUE_READING_MS) {
      const queues = within(QUEUE_TIMEOUT_MS, laneQueues(deps.db, config.deliveryLanes));
      queues.catch((err: unknown) => deps.log.debug({ err: (err as Error).message }, 'metrics could not read the delivery queues'));
      reading = { at: Date.now(), queues };
    }
    return reading.queues;
  };
  const perLane = (f: (q: LaneQueue) => number) => async () => (await queues()).map((q) => ({ labels: { lane: q.lane }, value: f(q) }));
  metrics.gauge(
    'wirehub_queue_waiting_events',
    `Events due for delivery and not in flight, per lane (read up to 10,000 per lane; the database's, the same in every process)`,
    ['lane'],
    perLane((q) => q.waiting),
  );
  metrics.gauge(
    'wirehub_queue_in_flight_events',
    'Due events being delivered (leased by a worker), per lane',
    ['lane'],
    perLane((q) => q.inFlight),
  );
  metrics.gauge(
    'wirehub_queue_oldest_due_seconds',
    'How long the oldest waiting event of each lane has been due (0: none waits)',
    ['lane'],
    perLane((q) => q.oldestDueSeconds),
  );
  metrics.gauge('wirehub_queue_read_ok', 'Whether this scrape could read the delivery queues from the database (1) or not (0)', [], async () => [
    {
      value: await queues().then(
        () => 1,
        () => 0,
      ),
    },
  ]);
  metrics.gauge('wirehub_delivery_lanes_running', 'Delivery lanes this process runs now', [], () => [{ value: jobs()?.runners.size ?? 0 }]);
  metrics.gauge('wirehub_db_pool_connections', "Connections of this process's database pool, open (total), idle, and its size (max)", ['state'], () => [
    { labels: { state: 'total' }, value: database.pool.totalCount },
    { labels: { state: 'idle' }, value: database.pool.idleCount },
    { labels: { state: 'max' }, value: database.pool.options.max ?? 0 },
  ]);
  metrics.gauge('wirehub_db_pool_waiting_queries', 'Queries waiting for a connection of the database pool', [], () => [{ value: database.pool.waitingCount }]);
  metrics.gauge(
    'wirehub_sandbox_threads',
    "The transformation sandbox's worker threads: all of them (0 before the first run) and those running a transformation",
    ['state'],
    () => {
      const use = sandbox.usage();
      return [
        { labels: { state: 'total' }, value: use.threads },
        { labels: { state: 'busy' }, value: use.busy },
      ];
    },
  );
  metrics.gauge('wirehub_sandbox_waiting_runs', 'Transformation runs waiting for a sandbox thread', [], () => [{ value: sandbox.usage().waiting }]);
  metrics.gauge('wirehub_info', 'This process: its version, role and database', ['version', 'role', 'database'], () => [
    { labels: { version: VERSION, role: config.role, database: database.embedded ? 'embedded' : 'postgres' }, value: 1 },
  ]);

  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (token) {
      const given = /^bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1]?.trim();
      if (!given || !timingSafeEqual(digest(given), token)) {
        throw new AppError(401, 'UNAUTHENTICATED', 'GET /metrics needs the metrics token: Authorization: Bearer <WIREHUB_METRICS_TOKEN>.', undefined, {
          'WWW-Authenticate': 'Bearer realm="metrics"',
        });
      }
    } else if (!fromThisMachine(req)) {
      throw new AppError(
        403,
        'METRICS_TOKEN_REQUIRED',
        'GET /metrics answers other machines only with a token: set WIREHUB_METRICS_TOKEN and send it as Authorization: Bearer <token>.',
      );
    }
    const text = await metrics.text();
    res.set({ 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }).send(text);
  });
  return router;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * A loopback peer that did not come through a proxy. The socket's address, not req.ip: a client
 * cannot choose it. A reverse proxy on this machine connects from loopback too, for everyone it
 * serves, so a request that says it was forwarded is not this machine's own.
 */
function fromThisMachine(req: Request): boolean {
  const peer = req.socket.remoteAddress;
  if (!peer || !isIP(peer)) return false;
  if (req.get('x-forwarded-for') !== undefined || req.get('forwarded') !== undefined || req.get('x-real-ip') !== undefined) return false;
  let addr = ipaddr.parse(peer);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return addr.range() === 'loopback';
}

/** Settles as `work` does, or rejects after `ms`; the work itself is left to finish. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
