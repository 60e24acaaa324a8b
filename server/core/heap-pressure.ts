import { getHeapStatistics } from 'node:v8';

const EVERY_MS = 100;

/**
 * How full this process's JavaScript heap is, as a share of its limit (`--max-old-space-size`),
 * sampled every 100 ms: asking V8 per request would cost more than the answer is worth. Ingest
 * refuses new work while the heap is nearly full, so a capped heap (what keeps the process small)
 * slows intake instead of running out of memory.
 */
export class HeapPressure {
  private used = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly read: () => { used_heap_size: number; heap_size_limit: number } = getHeapStatistics) {
    this.sample();
    this.timer = setInterval(() => this.sample(), EVERY_MS);
    this.timer.unref();
  }

  private sample(): void {
    const s = this.read();
    this.used = s.used_heap_size / s.heap_size_limit;
  }

  /** Used heap as a percentage of the limit, as of the last sample. */
  get percent(): number {
    return this.used * 100;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
