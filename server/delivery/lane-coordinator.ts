import pg from 'pg';
import type { Deps } from '../deps.ts';
import type { DeliveryEngine } from './delivery-engine.ts';
import { LaneRunner } from './lane-runner.ts';

/** How often a worker looks at who is alive and which lanes are its own. */
const TICK_MS = 1000;
/**
 * A lock-connection query that takes longer than this means the session is gone (a partition the
 * socket has not noticed yet). It is well under the server's own keepalive verdict (below), so a
 * cut-off worker stops its lanes before the server hands them to another worker.
 */
const LOCK_QUERY_TIMEOUT_MS = 2500;
/**
 * The server drops a session whose client stopped answering after ~2 s idle + 3 probes 1 s apart,
 * or 5 s of unacknowledged data. A killed process needs none of this: its kernel closes the socket.
 */
const SESSION_SETTINGS = `SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3; SET tcp_user_timeout = 5000`;
/** The advisory-lock key every live worker holds shared; lanes use keys 0..63. */
export const PRESENCE = 1_000_000;
/** The runner's own heartbeat is not needed: the lock connection is the liveness, and runners are stopped explicitly. */
const NO_HEARTBEAT_MS = 3_600_000;

/**
 * The first key of every advisory lock this deployment takes: a positive int31 hash of its schema,
 * so hubs in different schemas of one database (tests) neither see nor block each other.
 */
export function lockNamespace(schema: string): number {
  return fnv1a(`wirehub:${schema}`) & 0x7fffffff || 1;
}

/** The backend pids of the live workers of a namespace (holders of the shared presence lock), ascending. */
export const LIVE_WORKERS_SQL = `
  SELECT pid FROM pg_locks
  WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted
  ORDER BY pid`;

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** How much `worker` wants `lane` (rendezvous hashing): FNV-1a with a final avalanche, so close pids spread well. */
function affinity(lane: number, worker: number): number {
  let h = fnv1a(`${worker}/${lane}`);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Which lanes each worker runs. Balanced: every worker gets floor(lanes/n) or ceil(lanes/n). Sticky:
 * (lane, worker) pairs are taken by falling affinity (rendezvous hashing) while the worker has room,
 * so a worker joining or leaving moves about lanes/n lanes, not all of them. Every worker computes
 * this from the same live set and gets the same answer; order and duplicates of `workerIds` do not matter.
 */
export function assignLanes(lanes: number, workerIds: readonly number[]): Map<number, number[]> {
  const workers = [...new Set(workerIds)].sort((a, b) => a - b);
  const out = new Map(workers.map((w) => [w, [] as number[]]));
  if (workers.length === 0) return out;
  const floor = Math.floor(lanes / workers.length);
  // How many workers may still take one lane beyond the floor.
  let extra = lanes % workers.length;
  const pairs: { lane: number; worker: number; score: number }[] = [];
  for (let lane = 0; lane < lanes; lane++) for (const worker of workers) pairs.push({ lane, worker, score: affinity(lane, worker) });
  pairs.sort((a, b) => b.score - a.score || a.lane - b.lane || a.worker - b.worker);
  const placed = new Set<number>();
  for (const { lane, worker } of pairs) {
    if (placed.has(lane)) continue;
    const mine = out.get(worker)!;
    if (mine.length > floor || (mine.length === floor && extra === 0)) continue;
    if (mine.length === floor) extra--;
    mine.push(lane);
    placed.add(lane);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** One connection to the server and the locks it holds; a new one after every loss. */
type Session = {
  client: pg.Client;
  pid: number;
  /** Lanes whose lock this session holds. */
  held: Set<number>;
  /** Held lanes being handed over: their runner is finishing its deliveries before the unlock. */
  releasing: Set<number>;
  lost: boolean;
};

/**
 * Runs the delivery lanes of this process.
 *
 * Embedded database: this process is the only one (the data-dir lock guarantees it), so it runs
 * every lane.
 *
 * PostgreSQL: a dedicated connection holds session-level advisory locks: a shared "presence" lock
 * that lists the live workers in pg_locks, and one exclusive lock per lane it runs. Every tick it
 * computes its share with assignLanes over the live workers, hands over the lanes it should no
 * longer run (deliveries finished and recorded first, then unlock) and takes the free ones it
 * should (clearing the leases a dead owner left). A process that dies loses its session, and the
 * server frees its locks at once: the next tick of another worker takes the lanes.
 */
export class LaneCoordinator {
  /** Runners of this process, until their run() has returned (a lane being handed over included). */
  readonly runners = new Map<number, LaneRunner>();
  private readonly finished = new Map<number, Promise<void>>();
  private readonly ns: number;
  private readonly channel: string;
  private session: Session | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private kicked = false;
  private failing = false;

  constructor(
    private readonly deps: Deps,
    private readonly engine: DeliveryEngine,
  ) {
    this.ns = lockNamespace(deps.config.dbSchema ?? 'public');
    this.channel = `wirehub_lanes_${this.ns}`;
  }

  async start(): Promise<void> {
    const { config, database } = this.deps;
    if (database.embedded) {
      for (let lane = 0; lane < config.deliveryLanes; lane++) this.startRunner(lane);
      return;
    }
    // The first tick right away, so a starting worker takes free lanes before it reports healthy.
    await this.tick();
    this.loop = this.run();
  }

  /** The lanes this process runs now, ascending. */
  lanes(): number[] {
    return [...this.runners.keys()].sort((a, b) => a - b);
  }

  /** False once stopped, and while a PostgreSQL worker has no lock connection (it runs no lanes then). */
  get connected(): boolean {
    return !this.stopped && (this.deps.database.embedded || this.session !== null);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.loop;
    for (const runner of this.runners.values()) runner.stop();
    await Promise.all(this.finished.values());
    const s = this.session;
    if (s && !s.lost) {
      // Ending the session would free the locks too; the notification has the others take the lanes now.
      // A session that does not answer is dropped by query() instead.
      const said = await this.query(s, 'SELECT pg_advisory_unlock_all(), pg_notify($1, $2)', [this.channel, 'left']).then(
        () => true,
        () => false,
      );
      if (said) {
        s.lost = true;
        await s.client.end().catch(() => {});
      }
    }
    this.session = null;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.sleep(TICK_MS);
      if (this.stopped) break;
      await this.tick();
    }
  }

  /** A failing tick is retried the next second; while the server stays away, one warning says so. */
  private async tick(): Promise<void> {
    try {
      await this.reconcile();
      this.failing = false;
    } catch (err) {
      const fields = { err: (err as Error).message };
      if (this.failing) this.deps.log.debug(fields, 'lane coordinator tick failed again');
      else this.deps.log.warn(fields, 'lane coordinator tick failed; trying again every second');
      this.failing = true;
    }
  }

  /** One tick: who is alive, which lanes are mine, hand over and take lanes accordingly. */
  private async reconcile(): Promise<void> {
    const s = this.session ?? (await this.connect());
    if (!s) return;
    const { rows } = await this.query<{ pid: number }>(s, LIVE_WORKERS_SQL, [this.ns, PRESENCE]);
    const live = rows.map((r) => r.pid);
    const mine = new Set(assignLanes(this.deps.config.deliveryLanes, live.includes(s.pid) ? live : [...live, s.pid]).get(s.pid));
    for (const lane of s.held) {
      if (!mine.has(lane) && !s.releasing.has(lane)) void this.release(s, lane);
    }
    for (const lane of mine) {
      if (s.lost || this.stopped) return;
      if (s.held.has(lane)) {
        // A runner that ended by itself (it should not) is restarted on the lock still held.
        if (!this.runners.has(lane) && !s.releasing.has(lane)) this.startRunner(lane);
        continue;
      }
      // The runner of a lane lost with an earlier session is still finishing: take it once it has.
      if (this.runners.has(lane)) continue;
      const got = await this.query<{ ok: boolean }>(s, 'SELECT pg_try_advisory_lock($1, $2) AS ok', [this.ns, lane]);
      // Held by a worker handing it over (or one that has not seen the new live set yet): next tick.
      if (!got.rows[0]?.ok) continue;
      s.held.add(lane);
      try {
        await this.clearLeases(s, lane);
      } catch (err) {
        if (!s.lost) await this.query(s, 'SELECT pg_advisory_unlock($1, $2)', [this.ns, lane]).catch(() => {});
        s.held.delete(lane);
        throw err;
      }
      if (s.lost || this.stopped) return;
      this.startRunner(lane);
    }
  }

  private async clearLeases(s: Session, lane: number): Promise<void> {
    // Leases of the lane's previous owner: it is dead (it would still hold the lock) or handed the
    // lane over after its deliveries ended, so no delivery holds them. `claims` stays: it counts
    // claims without an outcome, which quarantines an event that kills every worker delivering it.
    // The status condition lets the lane's due index find the rows.
    await this.query(s, `UPDATE events SET lease_until = NULL WHERE lane = $1 AND status IN ('QUEUED', 'SCHEDULED') AND lease_until IS NOT NULL`, [lane]);
  }

  private async connect(): Promise<Session | null> {
    if (this.stopped) return null;
    // A server that cannot be reached must not hold the tick (or stop()) for the OS's connect timeout.
    const client = new pg.Client({ ...this.deps.database.poolConfig, keepAlive: true, connectionTimeoutMillis: LOCK_QUERY_TIMEOUT_MS });
    const s: Session = { client, pid: 0, held: new Set(), releasing: new Set(), lost: false };
    // pg may report one failure both as 'error' and as a rejected query: lose() acts once.
    client.on('error', (err) => this.lose(s, err.message));
    client.on('end', () => this.lose(s, 'connection ended'));
    client.on('notification', (msg) => {
      if (msg.channel === this.channel) this.kick();
    });
    try {
      await client.connect();
      await this.query(s, `${SESSION_SETTINGS}; SET application_name = 'wirehub lanes (pid ${process.pid})'`);
      const { rows } = await this.query<{ pid: number }>(s, 'SELECT pg_backend_pid() AS pid, pg_advisory_lock_shared($1, $2)', [this.ns, PRESENCE]);
      s.pid = rows[0].pid;
      await this.query(s, `LISTEN ${this.channel}`);
      // The others rebalance now rather than at their next tick.
      await this.query(s, 'SELECT pg_notify($1, $2)', [this.channel, 'joined']);
    } catch (err) {
      this.lose(s, (err as Error).message);
      throw err;
    }
    if (this.stopped) {
      this.lose(s, 'stopping');
      return null;
    }
    this.session = s;
    this.deps.log.info({ pid: s.pid }, 'lane coordinator connected');
    return s;
  }

  /**
   * The session is gone, so are its locks: another worker may take the lanes any moment. Every
   * runner stops claiming now; the deliveries already in flight end and are recorded (a new owner
   * may deliver those again: at least once).
   */
  private lose(s: Session, why: string): void {
    if (s.lost) return;
    s.lost = true;
    if (this.session === s) this.session = null;
    if (s.held.size > 0) this.deps.log.warn({ lanes: [...s.held], err: why }, 'lane coordinator lost its database session; stopping its lanes');
    for (const lane of s.held) this.runners.get(lane)?.stop();
    s.held.clear();
    s.client.end().catch(() => {});
    this.kick();
  }

  /** Hands a lane over: its deliveries end and are recorded, then the lock goes, and the others are told. */
  private async release(s: Session, lane: number): Promise<void> {
    s.releasing.add(lane);
    try {
      this.runners.get(lane)?.stop();
      await this.finished.get(lane);
      if (s.lost) return;
      await this.query(s, 'SELECT pg_advisory_unlock($1, $2), pg_notify($3, $4)', [this.ns, lane, this.channel, 'released']);
      s.held.delete(lane);
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, lane }, 'could not hand a lane over');
    } finally {
      s.releasing.delete(lane);
    }
  }

  private startRunner(lane: number): void {
    const runner = new LaneRunner(this.deps, this.engine, lane, this.deps.config.deliveryConcurrency);
    this.runners.set(lane, runner);
    const done = runner
      .run(async () => {}, NO_HEARTBEAT_MS)
      .catch((err: unknown) => this.deps.log.error({ err, lane }, 'delivery lane stopped on an error'))
      .finally(() => {
        if (this.runners.get(lane) === runner) this.runners.delete(lane);
        if (this.finished.get(lane) === done) this.finished.delete(lane);
      });
    this.finished.set(lane, done);
  }

  /** A query on the lock connection; one that does not answer in time costs the session. */
  private async query<R extends pg.QueryResultRow>(s: Session, text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the lock connection did not answer within ${LOCK_QUERY_TIMEOUT_MS} ms`)), LOCK_QUERY_TIMEOUT_MS);
    });
    try {
      return await Promise.race([s.client.query<R>(text, values), late]);
    } catch (err) {
      // The server refusing a statement leaves the session as it was; anything else (a timeout, a
      // broken socket) does not.
      if (!(err instanceof pg.DatabaseError)) this.lose(s, (err as Error).message);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private kick(): void {
    this.kicked = true;
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.kicked = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
