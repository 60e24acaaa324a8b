import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import type { Outcome } from './attempt.ts';
import { holdDestinationEvents } from './holds.ts';

/** Failures that say the receiver could not be reached or did not answer: they open its circuit. */
const UNREACHABLE = new Set(['TIMEOUT', 'CONNECTION_REFUSED', 'CONNECTION_RESET', 'DNS', 'TLS', 'NETWORK']);

/** A destination the engine turned off (or removed) by itself: reported as a hub event. */
export type AutoDisabled = { workspaceId: string; destinationId: string; reason: string };

/**
 * What one batch of attempts says about one destination, decided from the outcomes alone (the
 * stored counters it adds to are read and written in one UPDATE).
 */
export type HealthVerdict =
  /** Delivered, with no failure before or after: nothing to store. */
  | { kind: 'healthy' }
  /** A REST-hook target answered 410 Gone: it has unsubscribed (Zapier's contract), so it is removed. */
  | { kind: 'remove' }
  | {
      kind: 'update';
      /** Failed deliveries after the batch's last success (`succeeded`), or all of them, added to the stored count. */
      failures: number;
      succeeded: boolean;
      /** Timeouts and connection failures after the batch's last reached receiver (`reached`), or all of them. */
      unreachable: number;
      reached: boolean;
      /** What the circuit's reason calls the failures, after the batch's last one. */
      unreachableKind: 'timeouts' | 'connection failures';
      /** The receiver answered 410 Gone: the destination is disabled. */
      gone: boolean;
      /** The batch's last error, for the reason of an auto-disable. */
      lastError: string;
    };

/** `list`: one destination's attempted outcomes of a batch, in order, those that are the receiver's doing. */
export function healthVerdict(list: Outcome[]): HealthVerdict {
  let lastOk = -1;
  let lastReached = -1;
  for (let i = 0; i < list.length; i++) {
    if (list[i].ok === true) lastOk = i;
    if (!UNREACHABLE.has(list[i].errorCode ?? '')) lastReached = i;
  }
  const failures = list.length - 1 - lastOk;
  const gone = list.find((o) => o.gone);
  const healthy = lastOk >= 0 && failures === 0 && list.every((o) => o.failuresBefore === 0 && o.unreachableBefore === 0);
  if (healthy) return { kind: 'healthy' };
  if (gone?.removeOnGone) return { kind: 'remove' };
  const last = list[list.length - 1];
  return {
    kind: 'update',
    failures,
    succeeded: lastOk >= 0,
    unreachable: list.length - 1 - lastReached,
    reached: lastReached >= 0,
    unreachableKind: last.errorCode === 'TIMEOUT' ? 'timeouts' : 'connection failures',
    gone: gone !== undefined,
    lastError: last.error ?? 'failed',
  };
}

/** Why a destination with `consecutiveFailures` stored after this verdict is disabled, or null when it is not. */
export function autoDisableReason(verdict: { gone: boolean; lastError: string }, consecutiveFailures: number, threshold: number): string | null {
  if (verdict.gone) return 'the receiver answered 410 Gone';
  if (consecutiveFailures >= threshold) return `${consecutiveFailures} consecutive failed deliveries (last: ${verdict.lastError})`;
  return null;
}

/**
 * Keeps each destination's health from the outcomes of its deliveries, apart from delivering them.
 * Ten consecutive failed deliveries, or one 410 Gone, disable a destination (config.autoDisableAfter).
 * Timeouts and connection failures in a row also open its circuit, which pauses it without holding
 * delivery slots until a probe gets through (the claim gives an open circuit no room but its probe).
 */
export class DestinationHealth {
  constructor(
    private readonly deps: Pick<Deps, 'db' | 'config' | 'log' | 'routing' | 'delivery'>,
    private readonly hooks: {
      /** Awaited after the destination is disabled; errors are logged. */
      onAutoDisabled?: (d: AutoDisabled) => Promise<void>;
    },
  ) {}

  /** Learns from a stored batch of outcomes: failures, circuits, auto-disables, and the connectors' warnings. */
  async learn(batch: Outcome[]): Promise<void> {
    await this.track(batch.filter((o) => o.attempted && !o.notDestination));
    await this.recordWarnings(batch);
  }

  private async track(outcomes: Outcome[]): Promise<void> {
    const byDestination = new Map<string, Outcome[]>();
    for (const o of outcomes) {
      const list = byDestination.get(o.destinationId);
      if (list) list.push(o);
      else byDestination.set(o.destinationId, [o]);
    }
    for (const [destinationId, list] of byDestination) {
      const verdict = healthVerdict(list);
      if (verdict.kind === 'healthy') continue;
      if (verdict.kind === 'remove') {
        const removed = await this.deps.delivery.removeDestination(destinationId);
        this.deps.routing.invalidate();
        if (removed) this.deps.log.info({ destinationId }, 'subscription removed: the target answered 410 Gone');
        continue;
      }
      const { rows } = await sql<{
        consecutive_failures: number;
        disabled_at: Date | null;
        workspace_id: string;
        circuit_opened: boolean;
        was_open: boolean;
        circuit_reason: string | null;
      }>`
        UPDATE destinations d SET
          consecutive_failures = ${verdict.succeeded ? sql`${verdict.failures}` : sql`d.consecutive_failures + ${verdict.failures}`},
          circuit_failures = v.n,
          circuit_opened_at = CASE WHEN v.n >= ${this.deps.config.circuitOpenAfter} THEN COALESCE(d.circuit_opened_at, now()) END,
          -- The first probe after 5 s, then after as long again as the circuit has been open (doubling), at most 5 minutes.
          circuit_probe_at = CASE WHEN v.n >= ${this.deps.config.circuitOpenAfter}
            THEN now() + LEAST(interval '5 minutes', GREATEST(interval '5 seconds', now() - COALESCE(d.circuit_opened_at, now()))) END,
          circuit_reason = CASE WHEN v.n >= ${this.deps.config.circuitOpenAfter} THEN v.n::text || ${` ${verdict.unreachableKind} in a row`}::text END
        FROM (SELECT ${verdict.reached ? sql`${verdict.unreachable}::int` : sql`circuit_failures + ${verdict.unreachable}`} AS n, circuit_opened_at IS NOT NULL AS was_open
              FROM destinations WHERE id = ${destinationId}) v
        WHERE d.id = ${destinationId}
        RETURNING d.consecutive_failures, d.disabled_at, d.workspace_id, d.circuit_opened_at IS NOT NULL AS circuit_opened, v.was_open, d.circuit_reason`.execute(
        this.deps.db,
      );
      const row = rows[0];
      if (row?.circuit_opened && !row.was_open) this.deps.log.warn({ destinationId, reason: row.circuit_reason }, 'destination paused: circuit opened');
      if (row && !row.circuit_opened && row.was_open) this.deps.log.info({ destinationId }, 'destination resumed: circuit closed');
      if (!row || row.disabled_at) continue;
      const reason = autoDisableReason(verdict, row.consecutive_failures, this.deps.config.autoDisableAfter);
      if (reason !== null) await this.disable(destinationId, row.workspace_id, reason);
    }
  }

  /** Marked for the owners' alert mail in the same UPDATE: the mail is a worker's job (jobs/alert-mail.job.ts), not this delivery's. */
  private async disable(destinationId: string, workspaceId: string, reason: string): Promise<void> {
    const disabled = await this.deps.db
      .updateTable('destinations')
      .set({ disabled_at: new Date(), disabled_reason: `disabled automatically: ${reason}`, disable_alert_pending: true, updated_at: new Date() })
      .where('id', '=', destinationId)
      .where('disabled_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    await holdDestinationEvents(this.deps.db, destinationId);
    this.deps.routing.invalidate();
    this.deps.log.warn({ destinationId, reason }, 'destination disabled automatically');
    if (disabled) {
      await this.hooks.onAutoDisabled?.({ workspaceId, destinationId, reason }).catch((err: unknown) => {
        this.deps.log.error({ err, destinationId }, 'could not report a disabled destination');
      });
    }
  }

  /** Connectors report problems the owner must fix (a drifted sheet header) and clear them when fixed. */
  private async recordWarnings(outcomes: Outcome[]): Promise<void> {
    const latest = new Map<string, string | null>();
    for (const o of outcomes) if (o.warning !== undefined) latest.set(o.destinationId, o.warning);
    for (const [id, warning] of latest) {
      await this.deps.db.updateTable('destinations').set({ warning }).where('id', '=', id).where(sql<boolean>`warning IS DISTINCT FROM ${warning}`).execute();
    }
  }
}
