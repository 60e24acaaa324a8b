import type { Kysely } from 'kysely';
import type { Logger } from '../core/logger.ts';
import type { DB } from '../db/schema.ts';
import { acceptedRequests, eventQuotaExceeded, monthOf } from './quotas.service.ts';

/**
 * A minute of request_counts_1m is taken as final this long after it ended: the requests stamped
 * in it have all committed by then (a commit takes a second or so, a stalled one is refused within
 * WIREHUB_INGEST_MAX_WAIT_MS), so its count is added to the settled total once and never read again.
 */
const SETTLE_MS = 5 * 60_000;

type Tally = {
  max: number;
  /** Accepted requests of the month in minutes before `settledUntil`, read once each. */
  settled: number;
  /** Those of the minutes since, as the last refresh read them. */
  recent: number;
  /** Taken in by this process since the last refresh read the counters; the next one reads them there. */
  local: number;
};

/**
 * The events-per-month quotas as ingest and publish check them: in memory, with no query on the
 * request's path. Ingest and publish are the busiest routes (thousands a second), and a count of
 * the month's requests per request — or even a cached one per team, re-read when it expires —
 * would put a query on them. Instead a timer reads the teams that have a quota and their count
 * from the per-minute counters that migration 013's triggers already keep (request_counts_1m,
 * which costs ingest nothing more), every few seconds, and a request costs a Map lookup. Only the
 * last few minutes are re-read each time; older minutes are summed once (SETTLE_MS).
 *
 * A team can go past its quota by what the other API processes take in before this one's next
 * refresh: each process also counts what it took in itself since its last read, so one process
 * alone stops at the quota. Other teams are never touched: a team without a quota is not in the map.
 */
export class EventQuotas {
  private tallies = new Map<string, Tally>();
  private month = monthOf(new Date());
  private settledUntil = this.month.start;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly log: Logger,
  ) {}

  /** Reads the quotas now, then every `intervalMs`; a failed read keeps the last one (and is logged). */
  async start(intervalMs: number): Promise<void> {
    await this.refresh().catch((err: unknown) => this.log.warn({ err }, 'could not read the event quotas'));
    this.timer = setInterval(() => void this.refresh().catch((err: unknown) => this.log.warn({ err }, 'could not read the event quotas')), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** Throws 429 QUOTA_EXCEEDED when the team has taken in its month's quota. The hot path: no I/O. */
  check(team: string, now = Date.now()): void {
    const t = this.tallies.get(team);
    // A new month starts from nothing; the next refresh reads it.
    if (!t || now >= this.month.next.getTime()) return;
    const used = t.settled + t.recent + t.local;
    if (used >= t.max) throw eventQuotaExceeded(t.max, used, this.month.next, now);
  }

  /** One request taken in (committed) for the team. */
  taken(team: string): void {
    const t = this.tallies.get(team);
    if (t) t.local++;
  }

  /** A quota changed in this process: read them again now rather than at the next tick. */
  changed(): Promise<void> {
    return this.refresh();
  }

  /** One read at a time; one asked for during a read runs after it (so a change made meanwhile is seen). */
  refresh(): Promise<void> {
    if (this.running) {
      this.queued ??= this.running
        .catch(() => {})
        .then(() => {
          this.queued = null;
          return this.refresh();
        });
      return this.queued;
    }
    this.running = this.read().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async read(): Promise<void> {
    const now = new Date();
    const month = monthOf(now);
    const newMonth = month.start.getTime() !== this.month.start.getTime();
    const from = newMonth ? month.start : this.settledUntil;
    const settleTo = new Date(Math.max(from.getTime(), Math.floor((now.getTime() - SETTLE_MS) / 60_000) * 60_000));

    const quotas = await this.db.selectFrom('workspaces').select(['id', 'max_events_per_month']).where('max_events_per_month', 'is not', null).execute();
    const known = newMonth ? [] : quotas.filter((q) => this.tallies.has(q.id)).map((q) => q.id);
    const fresh = quotas.filter((q) => !known.includes(q.id)).map((q) => q.id);
    const [sinceSettled, sinceMonth] = await Promise.all([
      acceptedRequests(this.db, known, from, settleTo),
      // A team whose quota is new to this process is counted from the month's start.
      acceptedRequests(this.db, fresh, month.start, settleTo),
    ]);
    const counts = new Map([...sinceSettled, ...sinceMonth].map((r) => [r.workspace_id, r]));

    const next = new Map<string, Tally>();
    for (const q of quotas) {
      const c = counts.get(q.id);
      const before = this.tallies.get(q.id);
      const carried = before && !newMonth ? before.settled : 0;
      // What this process took in so far is in those counts, or committed too late for them
      // (PostgreSQL, another connection): then it is missing until the next read, a refresh's
      // worth of requests at most. Counting it again instead would refuse a team short of its quota.
      next.set(q.id, { max: Number(q.max_events_per_month), settled: carried + Number(c?.before ?? 0), recent: Number(c?.after ?? 0), local: 0 });
    }
    this.tallies = next;
    this.month = month;
    this.settledUntil = settleTo;
  }
}
