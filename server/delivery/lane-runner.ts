import type { Deps } from '../deps.ts';
import type { ClaimRoom, DeliveryEngine } from './delivery-engine.ts';

const IDLE_POLL_MS = 500;

/**
 * Delivers the due events of one lane, keeping up to `concurrency` deliveries in flight. It claims
 * more as soon as capacity frees up, so one slow receiver does not hold back a whole batch.
 */
export class LaneRunner {
  private inFlight = 0;
  /** In-flight deliveries by destination and by team: what the next claim must leave room for. */
  private readonly byDestination = new Map<string, number>();
  private readonly byTeam = new Map<string, number>();
  private cursor = '';
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private pending = false;
  private readonly onDue = (lanes: number[]) => {
    if (lanes.includes(this.lane)) this.poke();
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

  /** Runs until stop(); `heartbeat` keeps the job lock of the lane alive and throws if it was lost. */
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
        // A full batch: more may be due. Drained: wait for new work or the poll.
        if (claimed === free) continue;
        if (!this.pending) await this.sleep(IDLE_POLL_MS);
      }
      while (this.inFlight > 0) await this.sleep(50);
    } finally {
      this.deps.due.off('due', this.onDue);
      await this.engine.flush();
    }
  }

  /** One bounded pass (used by housekeeping for lanes no worker holds). */
  async drainOnce(limit: number): Promise<number> {
    const claimed = await this.claimAndStart(limit);
    while (this.inFlight > 0) await this.sleep(50);
    await this.engine.flush();
    return claimed;
  }

  private async claimAndStart(limit: number): Promise<number> {
    let events;
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
      void this.engine.deliver(ev).finally(() => {
        this.inFlight--;
        bump(this.byDestination, ev.destination_id, -1);
        bump(this.byTeam, ev.workspace_id, -1);
        this.poke();
      });
    }
    return events.length;
  }

  private room(): ClaimRoom {
    return {
      inFlight: this.inFlight,
      destinations: [...this.byDestination.keys()],
      destinationLoads: [...this.byDestination.values()],
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
