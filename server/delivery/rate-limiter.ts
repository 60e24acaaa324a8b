const PERIOD_MS = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;

/**
 * Spreads a destination's deliveries evenly over its rate limit: each delivery takes the next free
 * slot, so events over the limit are rescheduled to the exact moment they may go. An event that
 * comes back at its slot keeps it instead of queueing again behind everything reserved since.
 */
export class RateLimiter {
  private nextFree = new Map<string, number>();
  private held = new Map<string, number>();

  /** Milliseconds to wait before this delivery may go (0 = now). */
  reserve(destinationId: string, limit: number | null | undefined, period: keyof typeof PERIOD_MS, eventId = '', now = Date.now()): number {
    if (!limit) return 0;
    const mine = this.held.get(eventId);
    if (mine !== undefined) {
      this.held.delete(eventId);
      if (mine <= now + 5) return 0;
      this.held.set(eventId, mine);
      return mine - now;
    }
    const spacing = PERIOD_MS[period] / limit;
    const slot = Math.max(now, this.nextFree.get(destinationId) ?? 0);
    this.nextFree.set(destinationId, slot + spacing);
    if (slot > now && eventId) {
      if (this.held.size > 100_000) this.held.clear();
      this.held.set(eventId, slot);
    }
    return slot - now;
  }
}
