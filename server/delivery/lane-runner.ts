import type { Deps } from '../deps.ts';
import type { ClaimRoom } from './claim.ts';
import type { DeliveryEngine } from './delivery-engine.ts';

const IDLE_POLL_MS = 500;
/** A delivery this quick earns its destination one more slot; one this slow (or a timeout) takes it back to the default share. */
const FAST_MS = 250;
const SLOW_MS = 1000;

/**
 * Delivers the due events of one lane, keeping up to `concurrency` deliveries in flight. It claims
 * more as soon as capacity frees up, so one slow receiver does not hold back a whole batch.
 */
export class LaneRunner {
  private inFlight = 0;
  /** In-flight deliveries by destination and by team: what the next claim must leave room for. */
  private readonly byDestination = new Map<string, number>();
  private readonly byTeam = new Map<string, number>();
  /**
   * Shares above the default, earned by destinations whose deliveries come back fast. A destination
   * starts at the default share (16 of 64): one that never answers holds no more than that. One
   * that answers in milliseconds grows a slot per quick delivery, up to what the lane leaves a
   * team, so a single busy receiver is not throttled (and claims stay batched). A slow delivery, or
   * a second with nothing in flight, takes it back to the default: a receiver idle for a while and
   * down when traffic returns gets only the default share again.
   */
  private readonly shares = new Map<string, { share: number; at: number }>();
  private cursor = '';
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private pending = false;
  /** New work was announced (ingest, a release, a short retry) since the last claim. */
  private announced = false;
  /** Deliveries finished since the last claim. */
  private finished = 0;
  private lastClaimAt = 0;
  private readonly onDue = (lanes: number[]) => {
    if (!lanes.includes(this.lane)) return;
    this.announced = true;
    this.poke();
  };

  constructor(
    private readonly deps: Deps,
    private readonly engine: DeliveryEngine,
    readonly lane: number,
    private readonly concurrency: number,
  ) {
    this.minClaim = Math.max(1, Math.floor(concurrency / 8));
  }

  private readonly minClaim: number;

  poke(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  stop(): void {
    this.stopping = true;
    this.poke();
  }

  /** Runs until stop(); `heartbeat` is called every `heartbeatEveryMs` and stops the lane by throwing. */
  async run(heartbeat: () => Promise<void>, heartbeatEveryMs: number): Promise<void> {
    this.deps.due.on('due', this.onDue);
    let lastBeat = Date.now();
    try {
      while (!this.stopping) {
        if (Date.now() - lastBeat > heartbeatEveryMs) {
          await heartbeat();
          lastBeat = Date.now();
        }
        const free = this.concurrency - this.inFlight;
        // Under load, claim only once a few slots are free: one claim of 8 costs the database
        // far less than eight claims of one, and the deliveries still in flight keep the lane busy.
        if (free <= 0 || (free < this.minClaim && this.inFlight > 0)) {
          // Saturated: sleep until a delivery finishes (its poke wakes us). Looping straight back
          // instead, with `pending` set, spun without awaiting anything and starved the whole
          // process (ingest and deliveries alike) until the next heartbeat.
          await this.sleep(IDLE_POLL_MS);
          continue;
        }
        this.pending = false;
        const claimed = await this.claimAndStart(free);
        // A full batch: more may be due.
        if (claimed === free) continue;
        // A short one: what is due is in flight or held back by its destination's or team's share.
        // Claim again on new work, once a few deliveries have finished, or at the poll: claiming on
        // every finished delivery of a destination at its share cost one claim per event.
        while (!this.stopping && !this.announced && this.finished < this.minClaim && this.inFlight > 0) {
          const left = this.lastClaimAt + IDLE_POLL_MS - Date.now();
          if (left <= 0) break;
          await this.sleep(left);
        }
        if (!this.pending && this.inFlight === 0 && !this.announced) await this.sleep(IDLE_POLL_MS);
      }
      while (this.inFlight > 0) await this.sleep(50);
    } finally {
      this.deps.due.off('due', this.onDue);
      await this.engine.flush();
    }
  }

  private async claimAndStart(limit: number): Promise<number> {
    let events;
    this.announced = false;
    this.finished = 0;
    this.lastClaimAt = Date.now();
    try {
      const claimed = await this.engine.claim(this.lane, limit, this.room());
      events = claimed.events;
      this.cursor = claimed.walkEnd;
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, lane: this.lane }, 'could not claim events; retrying');
      await this.sleep(1000);
      return 0;
    }
    for (const ev of events) {
      this.inFlight++;
      bump(this.byDestination, ev.destination_id, 1);
      bump(this.byTeam, ev.workspace_id, 1);
      const started = Date.now();
      void this.engine.deliver(ev).finally(() => {
        this.inFlight--;
        bump(this.byDestination, ev.destination_id, -1);
        bump(this.byTeam, ev.workspace_id, -1);
        this.learn(ev.destination_id, Date.now() - started);
        this.finished++;
        this.poke();
      });
    }
    return events.length;
  }

  private learn(destinationId: string, ms: number): void {
    const { destinationConcurrency, teamConcurrency } = this.deps.config;
    if (ms >= SLOW_MS) {
      this.shares.delete(destinationId);
    } else if (ms < FAST_MS) {
      const share = this.shares.get(destinationId)?.share ?? destinationConcurrency;
      this.shares.set(destinationId, { share: Math.min(share + 1, Math.max(teamConcurrency, destinationConcurrency)), at: Date.now() });
    }
  }

  private room(): ClaimRoom {
    const now = Date.now();
    for (const [id, s] of this.shares) if (!this.byDestination.has(id) && now - s.at > SLOW_MS) this.shares.delete(id);
    const ids = new Set([...this.byDestination.keys(), ...this.shares.keys()]);
    return {
      inFlight: this.inFlight,
      destinations: [...ids],
      destinationLoads: [...ids].map((id) => this.byDestination.get(id) ?? 0),
      destinationShares: [...ids].map((id) => this.shares.get(id)?.share ?? this.deps.config.destinationConcurrency),
      teams: [...this.byTeam.keys()],
      teamLoads: [...this.byTeam.values()],
      cursor: this.cursor,
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
