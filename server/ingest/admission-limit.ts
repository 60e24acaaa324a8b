import { performance, type EventLoopUtilization } from 'node:perf_hooks';

const WINDOW_MS = 100;
/** Never fewer admissions than this a second: a loop busy with other work still takes some in. */
const FLOOR_PER_S = 100;
/** Under this share of the loop busy the allowance grows back, by this factor a window. */
const RELAX_BELOW = 0.75;
const GROWTH = 1.2;
/** Cut to this share of what was admitted in a window where the loop ran too busy. */
const CUT = 0.9;

/**
 * How many ingest requests a second this process admits, kept where its event loop has room to
 * spare (the idea of TCP's congestion window, steered by event-loop utilisation).
 *
 * Why the loop's utilisation: when the process itself is the bottleneck, the queue is not in the
 * writer nor anywhere this process can see, but in its sockets and the senders' connection pools:
 * every request waits there for the loop, accepted or not, and a bound on requests in progress does
 * nothing for that wait (bench phase 3b: 5,000/s offered over 1,024 connections, nothing refused,
 * p99 4.2 s, the loop 100 % busy). A loop with room to spare reads every socket promptly, so
 * the wait goes when the loop stops running full: each window where it ran busier than
 * `maxBusy`, the allowance is cut below what was admitted; each window well under, it grows back.
 * Requests beyond the allowance are refused before Express sees them (`refuseBeforeExpress`),
 * which costs ≈ 23 µs against ≈ 280 µs for one accepted.
 */
export class AdmissionLimit {
  /** Admissions allowed a second; Infinity while the loop has room. */
  private perSecond = Infinity;
  private admitted = 0;
  private windowStart: number;
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    /** The share (0–1) of the loop's time above which admissions are cut; 0 never limits. */
    private readonly maxBusy: number,
    /** Tests drive `adapt` themselves, with their own clock. */
    private readonly now: () => number = () => performance.now(),
    manual = false,
  ) {
    this.windowStart = now();
    let elu: EventLoopUtilization = performance.eventLoopUtilization();
    const sample = () => {
      const busy = performance.eventLoopUtilization(elu).utilization;
      elu = performance.eventLoopUtilization();
      this.adapt(busy);
    };
    this.timer = maxBusy > 0 && !manual ? setInterval(sample, WINDOW_MS) : null;
    this.timer?.unref();
  }

  /** Admissions allowed a second now (Infinity: no limit). */
  get limit(): number {
    return this.perSecond;
  }

  /** Takes one admission when the allowance has room for it; false when the request is to be refused. */
  admit(): boolean {
    if (this.perSecond !== Infinity) {
      const allowed = (this.perSecond * (this.now() - this.windowStart)) / 1000;
      // A burst of a few is let through: admissions come in clumps, a socket read at a time.
      if (this.admitted >= Math.max(allowed, 8)) return false;
    }
    this.admitted++;
    return true;
  }

  /** Ends a window in which the loop was busy this share (0–1) of the time. */
  adapt(busy: number): void {
    if (this.maxBusy === 0) return;
    const now = this.now();
    const admittedPerS = this.admitted / (Math.max(1, now - this.windowStart) / 1000);
    if (busy > this.maxBusy) this.perSecond = Math.max(FLOOR_PER_S, admittedPerS * CUT);
    else if (busy < RELAX_BELOW && this.perSecond !== Infinity) {
      this.perSecond *= GROWTH;
      // Far above what is asked for, the allowance is no limit: drop it.
      if (this.perSecond > 4 * Math.max(admittedPerS, FLOOR_PER_S)) this.perSecond = Infinity;
    }
    this.admitted = 0;
    this.windowStart = now;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
