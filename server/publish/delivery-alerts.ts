import type { DeliveryAlertBounds } from '../config.ts';
import type { Logger } from '../core/logger.ts';
import type { DeliveryFailure } from '../delivery/delivery-engine.ts';

/** The failures of one destination that one hub.delivery.failed tells of: the latest, and how many since the last alert. */
export type FailureWindow = { workspaceId: string; destinationId: string; count: number; first: DeliveryFailure; last: DeliveryFailure };

type Open = FailureWindow & { timer: NodeJS.Timeout };

/** The hub's own events (hub.webhook.disabled, hub.delivery.failed…): an alert about one failing would feed the loop it reports. */
const isSystemEvent = (f: DeliveryFailure) => f.eventType?.startsWith('hub.') ?? false;

/**
 * Turns events that failed for good into hub.delivery.failed alerts without storms or loops:
 *
 * - **No loops.** A hub event (`hub.*`) that fails for good raises no alert: the alert flow's own
 *   receiver failing would otherwise alert about itself for ever.
 * - **One a minute per destination.** The first failure opens a window and its alert goes
 *   `gatherMs` later (a burst that fails together is one alert); the failures of that destination
 *   until the alert goes are counted into it (`failed_count`), and the next alert goes no sooner
 *   than `windowMs` after it, counting everything in between. Nothing is lost, only folded.
 * - **A ceiling per team.** At most `perTeam` alerts per team in a window; more destinations
 *   failing at once wait their turn (still counting).
 * - **Never in the way of a delivery.** `report` only records and sets a timer; the publishing
 *   runs later, its errors logged.
 *
 * The state is this process's: a destination's events go through one lane on one worker (lanes.ts),
 * so the bound holds across workers except while lanes move. Alerts still waiting when the process
 * ends are sent by `close`; a crash loses them (the Events log keeps every failure).
 */
export class DeliveryAlerts {
  private readonly open = new Map<string, Open>();
  /** When each destination's last alert went, while that is less than a window ago. */
  private readonly lastSent = new Map<string, number>();
  /** When each team's alerts of the last window went, oldest first. */
  private readonly teamSent = new Map<string, number[]>();
  private readonly sending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly send: (w: FailureWindow) => Promise<void>,
    private readonly log: Logger,
    private readonly bounds: DeliveryAlertBounds,
  ) {}

  report(failures: readonly DeliveryFailure[]): void {
    if (this.closed) return;
    const now = Date.now();
    for (const f of failures) {
      if (isSystemEvent(f)) continue;
      const w = this.open.get(f.destinationId);
      if (w) {
        w.count++;
        w.last = f;
        continue;
      }
      const last = this.lastSent.get(f.destinationId);
      const due = Math.max(now + this.bounds.gatherMs, last === undefined ? 0 : last + this.bounds.windowMs);
      this.open.set(f.destinationId, {
        workspaceId: f.workspaceId,
        destinationId: f.destinationId,
        count: 1,
        first: f,
        last: f,
        timer: this.at(due - now, f.destinationId),
      });
    }
  }

  /** Sends what is still waiting and resolves once every alert is published (or failed). Later reports are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.open.values()) clearTimeout(w.timer);
    for (const id of [...this.open.keys()]) this.fire(id, true);
    while (this.sending.size) await Promise.all([...this.sending]);
  }

  private at(ms: number, destinationId: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.fire(destinationId), Math.max(0, ms));
    timer.unref();
    return timer;
  }

  private fire(destinationId: string, now = false): void {
    const w = this.open.get(destinationId);
    if (!w) return;
    const t = Date.now();
    const sent = (this.teamSent.get(w.workspaceId) ?? []).filter((at) => at > t - this.bounds.windowMs);
    if (!now && sent.length >= this.bounds.perTeam) {
      // The team's ceiling: this alert goes when the oldest of the window's leaves it.
      w.timer = this.at(sent[0] + this.bounds.windowMs - t, destinationId);
      return;
    }
    this.open.delete(destinationId);
    this.teamSent.set(w.workspaceId, [...sent, t]);
    this.lastSent.set(destinationId, t);
    this.forget(t);
    const { timer: _timer, ...window } = w;
    const p: Promise<void> = this.send(window)
      .catch((err: unknown) => this.log.error({ err, destinationId, count: w.count }, 'could not publish hub.delivery.failed'))
      .finally(() => this.sending.delete(p));
    this.sending.add(p);
  }

  /** Drops what no longer bounds anything (older than a window), so the maps hold only recent alerts. */
  private forget(t: number): void {
    const before = t - this.bounds.windowMs;
    for (const [id, at] of this.lastSent) if (at <= before && !this.open.has(id)) this.lastSent.delete(id);
    for (const [team, times] of this.teamSent) if (times[times.length - 1] <= before) this.teamSent.delete(team);
  }
}
