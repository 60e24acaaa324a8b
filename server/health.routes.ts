import { Router } from 'express';
import type { Agenda } from 'agenda';
import type { Deps } from './deps.ts';
import type { Jobs } from './jobs/agenda.ts';
import { LIVE_WORKERS_SQL, PRESENCE, lockNamespace } from './delivery/lane-coordinator.ts';
import { VERSION } from './version.ts';

/** A database that has not answered `SELECT 1` within this is reported down: a status page must not hang with it. */
export const DB_TIMEOUT_MS = 1000;
/** Status pages poll every few seconds; within this, the job verdict is reused rather than recomputed. */
const JOBS_CACHE_MS = 1000;
/** Agenda polls every `processEvery`; missing two polls in a row (plus scheduling slack) is a stalled scheduler. */
const MISSED_POLLS = 2;
const POLL_SLACK_MS = 1000;

export type Health = {
  status: 'ok' | 'unavailable';
  db: 'ok' | 'down';
  jobs: 'ok' | 'down' | 'not-running-here';
  version: string;
  uptime_s: number;
  role: 'all' | 'api' | 'worker';
  /** The delivery lanes this process runs (a process that runs jobs). */
  lanes?: number[];
};

/**
 * When Agenda last polled for due jobs. Agenda keeps this private (`nextScanAt`, set to now +
 * processEvery at each poll, before the database is asked), so it is read defensively; null when a
 * future Agenda no longer has it — test/health.test.ts asserts it is found, so an upgrade that
 * loses it fails a test instead of quietly weakening the probe.
 */
export function agendaLastPollAt(agenda: Agenda): Date | null {
  const processor = (agenda as unknown as { jobProcessor?: { nextScanAt?: unknown } }).jobProcessor;
  const next = processor?.nextScanAt;
  const every = agenda.attrs.processEvery;
  return next instanceof Date && typeof every === 'number' ? new Date(next.getTime() - every) : null;
}

/**
 * What "the job runner is alive" means, per role:
 * - a process that runs jobs (role `all` or `worker`) answers for its own Agenda (started, not
 *   stopped or draining, and it polled within the last two intervals) and its lane coordinator
 *   (connected to the database, so it can hold lanes). That costs nothing and is exactly what
 *   breaks when this process can no longer deliver.
 * - an API-only process (role `api`) runs no jobs, so it answers for the fleet: some worker holds
 *   the presence lock of this deployment (lane-coordinator.ts), that is, its database session is
 *   open. One read of pg_locks, a view of the server's memory.
 *   A fleet with no living worker still ingests, but delivers nothing: that is "unavailable" for a
 *   status page, so it turns `/api/health` 503 too.
 *   `/healthz` is the process's own probe (for a load balancer or an orchestrator): an API process
 *   there reports `jobs: 'not-running-here'` and is healthy when its database answers, so API
 *   processes are not pulled from rotation — or kept from starting — for want of a worker.
 */
function jobsProbe(deps: Deps, jobs: () => Jobs | null): () => Promise<boolean> {
  if (deps.config.role === 'api') {
    // The embedded database is one process: no worker can join an API-only one.
    if (deps.database.embedded) return async () => false;
    const ns = lockNamespace(deps.config.dbSchema ?? 'public');
    return async () => {
      const { rows } = await deps.database.pool.query(LIVE_WORKERS_SQL, [ns, PRESENCE]);
      return rows.length > 0;
    };
  }
  return async () => {
    const running = jobs();
    const agenda = running?.agenda;
    if (!agenda?.isActiveJobProcessor() || !running?.lanes.connected) return false;
    const polledAt = agendaLastPollAt(agenda);
    if (!polledAt) return true;
    const every = agenda.attrs.processEvery;
    return Date.now() - polledAt.getTime() <= MISSED_POLLS * every + POLL_SLACK_MS;
  };
}

/** Settles within `ms` with the check's outcome, or false; the check itself is left to finish. */
function within(ms: number, check: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([check.catch(() => false), late]).finally(() => clearTimeout(timer));
}

/**
 * At most one probe of each kind is in flight: while the database hangs, every poll answers 503
 * after the timeout but adds no further query to the pool's queue (the embedded database has a
 * single connection, and a stack of stuck `SELECT 1`s would outlive the outage).
 */
function singleFlight(run: () => Promise<boolean>): () => Promise<boolean> {
  let inFlight: Promise<boolean> | null = null;
  return () => {
    inFlight ??= run()
      .catch(() => false)
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
}

export function healthService(deps: Deps, jobs: () => Jobs | null) {
  const startedAt = Date.now();
  const pingDb = singleFlight(async () => {
    await deps.database.pool.query('SELECT 1');
    return true;
  });
  const probeJobs = singleFlight(jobsProbe(deps, jobs));
  let jobsCache: { at: number; ok: boolean } | null = null;

  return {
    /** `fleet`: answer for the job runner wherever it runs; `process`: only for this process's own. */
    async check(scope: 'fleet' | 'process' = 'fleet'): Promise<Health> {
      const dbOk = await within(DB_TIMEOUT_MS, pingDb());
      const base = {
        db: dbOk ? ('ok' as const) : ('down' as const),
        version: VERSION,
        uptime_s: Math.floor((Date.now() - startedAt) / 1000),
        role: deps.config.role,
      };
      if (scope === 'process' && deps.config.role === 'api') {
        return { status: dbOk ? 'ok' : 'unavailable', ...base, jobs: 'not-running-here' };
      }
      let jobsOk: boolean;
      if (jobsCache && Date.now() - jobsCache.at < JOBS_CACHE_MS) {
        jobsOk = jobsCache.ok;
      } else {
        // The API-only probe reads the database: without one it cannot vouch for any worker.
        jobsOk = deps.config.role === 'api' && !dbOk ? false : await within(DB_TIMEOUT_MS, probeJobs());
        jobsCache = { at: Date.now(), ok: jobsOk };
      }
      const lanes = jobs()?.lanes.lanes();
      return { status: dbOk && jobsOk ? 'ok' : 'unavailable', ...base, jobs: jobsOk ? 'ok' : 'down', ...(lanes ? { lanes } : {}) };
    },
  };
}

/**
 * `GET /api/health` (the status page's view) and `GET /healthz` (this process's own): 200 when the
 * database answers and the job runner is alive, else 503. Public and cheap.
 */
export function healthRoutes(deps: Deps, jobs: () => Jobs | null): Router {
  const health = healthService(deps, jobs);
  const r = Router();
  for (const [path, scope] of [
    ['/api/health', 'fleet'],
    ['/healthz', 'process'],
  ] as const) {
    r.get(path, async (_req, res) => {
      const body = await health.check(scope);
      res
        .status(body.status === 'ok' ? 200 : 503)
        .set('cache-control', 'no-store')
        .json(body);
    });
  }
  return r;
}
