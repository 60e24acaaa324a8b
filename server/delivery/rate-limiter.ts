const PERIOD_MS = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;

/**
 * Spreads a destination's deliveries evenly over its rate limit: each delivery takes the next free
 * slot, so events over the limit are rescheduled to the exact moment they may go.
 */
export class RateLimiter {
  private nextFree = new Map<string, number>();

  /** Milliseconds to wait before this delivery may go (0 = now). */
  reserve(destinationId: string, limit: number | null | undefined, period: keyof typeof PERIOD_MS, now = Date.now()): number {
    if (!limit) return 0;
    const spacing = PERIOD_MS[period] / limit;
    const slot = Math.max(now, this.nextFree.get(destinationId) ?? 0);
    this.nextFree.set(destinationId, slot + spacing);
    return slot - now;
  }
}
