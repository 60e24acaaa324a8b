import { performance } from 'node:perf_hooks';

const EVERY_MS = 10;
/** Weight of the newest sample once the lag falls: it decays over about ten samples (100 ms). */
const DECAY = 0.3;

/**
 * How late this process's event loop runs: how long a request that arrives now waits before its
 * handler runs. A timer that should fire every 10 ms measures how late it fires; a rise counts at
 * once and a fall slowly, so that one quiet tick in a saturated loop does not read as recovery.
 */
export class LoopLag {
  private lagMs = 0;
  private last = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => {
      const now = performance.now();
      const lag = Math.max(0, now - this.last - EVERY_MS);
      this.last = now;
      this.lagMs = lag >= this.lagMs ? lag : this.lagMs + DECAY * (lag - this.lagMs);
    }, EVERY_MS);
    this.timer.unref();
  }

  /** The lag now (ms), counting the time since the last tick: a loop stuck right now reads as late. */
  get ms(): number {
    return Math.max(this.lagMs, performance.now() - this.last - EVERY_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
