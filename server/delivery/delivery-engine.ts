import { sql, type Transaction } from 'kysely';
import type { Agent } from 'undici';
import type { z } from 'zod';
import { connectorFor } from '../../connectors/index.ts';
import type { Connector, DeliveryContext, DeliveryResult } from '../../connectors/types.ts';

type AnyConnector = Connector<z.ZodType>;
import { newId } from '../core/ids.ts';
import { withoutNul } from '../core/nul.ts';
import type { AttemptTrigger, DB, EventStatus, NewAttempt, NewTransformationExecution } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { deleteDestination, destinationConfig } from '../gateway/destinations.service.ts';
import type { Rule, RetryRuleT } from '../gateway/rules.ts';
import { ensureProjectSecrets } from '../gateway/project-secrets.service.ts';
import { holdDestinationEvents } from './holds.ts';
import { RateLimiter } from './rate-limiter.ts';
import { nextRetryDelay } from './retry-policy.ts';
import { SandboxBusy } from '../transformations/sandbox.ts';
import { OutboundShaper, outboundMessage, shaperFor, payloadFailure, TransformationFailed, TransformationFiltered, type Shaped } from './outbound.ts';
import { createDispatcher, deliveryContext } from './dispatcher.ts';
import { MappingError } from '../hub/mappings.ts';
import { mockApiRecorder } from '../gateway/mock-api.service.ts';
import { APPLICATION_SOURCE_TYPE } from '../hub/application-source.ts';
const SHORT_RETRY_MS = 1000;
/**
 * An event claimed this many times without an outcome was being delivered each time its worker
 * died or hung (an outcome is written within milliseconds of a delivery ending, failed or not).
 * Claimed once more it would take the next worker down too, so it is failed instead.
 */
const POISON_CLAIMS = 3;
/** Failures that say the receiver could not be reached or did not answer: they open its circuit. */
const UNREACHABLE = new Set(['TIMEOUT', 'CONNECTION_REFUSED', 'CONNECTION_RESET', 'DNS', 'TLS', 'NETWORK']);
/** Destinations one claim looks at; a lane with more waiting takes turns through them (ClaimRoom.cursor). */
const WALK_DESTINATIONS = 256;

/** What the lane already has in flight, so a claim keeps each destination and team within its share. */
export type ClaimRoom = {
  inFlight: number;
  destinations: string[];
  destinationLoads: number[];
  /** The share each of those destinations has earned (LaneRunner.shares); others get the default. */
  destinationShares: number[];
  teams: string[];
  teamLoads: number[];
  /** The walk over the lane's destinations starts after this id and wraps round: pass the last claim's walkEnd. */
  cursor: string;
};
const NO_LOAD: ClaimRoom = { inFlight: 0, destinations: [], destinationLoads: [], destinationShares: [], teams: [], teamLoads: [], cursor: '' };

/** One claimed event with everything needed to deliver it, read in the same statement that leases it. */
export type ClaimedEvent = {
  id: string;
  workspace_id: string;
  request_id: string;
  connection_id: string;
  connection_updated_at: Date;
  source_type: string;
  request: { headers: Record<string, string>; query: Record<string, unknown>; path: string } | null;
  /** The connection's transformation's updated_at (text), when it has a transformation rule. */
  transformation_version: string | null;
  destination_id: string;
  lane: number;
  attempts: number;
  /** Claims since the last recorded outcome, this one included. */
  claims: number;
  pending_trigger: AttemptTrigger;
  body: Buffer;
  content_type: string | null;
  rules: Rule[];
  paused_at: Date | null;
  connection_disabled_at: Date | null;
  destination_type: string;
  destination_config: Record<string, unknown>;
  destination_auth_enc: string | null;
  destination_disabled_at: Date | null;
  consecutive_failures: number;
  circuit_failures: number;
  signing_secret_enc: string | null;
};

type Outcome = {
  eventId: string;
  destinationId: string;
  lane: number;
  status: EventStatus;
  attempted: boolean;
  nextAttemptAt: Date | null;
  trigger: AttemptTrigger;
  responseStatus: number | null;
  errorCode: string | null;
  attempt?: NewAttempt;
  ok?: boolean;
  gone?: boolean;
  /** The connector removes its destination on 410 (a REST-hook subscription) instead of disabling it. */
  removeOnGone?: boolean;
  warning?: string | null;
  error?: string;
  failuresBefore: number;
  /** The destination's consecutive timeouts and connection failures when the event was claimed. */
  unreachableBefore: number;
  /** The connection's transformation ran for this delivery. */
  execution?: NewTransformationExecution;
  /** The transformed request failed a filter after the transformation: the event becomes an ignored one. */
  ignore?: boolean;
  /** The failure is the connection's (its transformation), not the receiver's: destination health ignores it. */
  notDestination?: boolean;
  /** Set when the event failed for good (FAILED, no next attempt): reported once its outcome is stored. */
  failure?: DeliveryFailure;
};

/** A destination the engine turned off (or removed) by itself: reported as a hub event. */
export type AutoDisabled = { workspaceId: string; destinationId: string; reason: string };

/** An event that failed for good (no attempt left, or none that could help): reported as a hub event. */
export type DeliveryFailure = {
  workspaceId: string;
  eventId: string;
  requestId: string;
  connectionId: string;
  destinationId: string;
  /** A published event's type (`hub.webhook.disabled`…); null for a source's requests. */
  eventType: string | null;
  attempts: number;
  responseStatus: number | null;
  errorCode: string | null;
  error: string | null;
  failedAt: Date;
};

export type EngineHooks = {
  /** Awaited after the destination is disabled; errors are logged. */
  onAutoDisabled?: (d: AutoDisabled) => Promise<void>;
  /** Called (not awaited) once a batch's outcomes are stored, with the events in it that failed for good; it must not block. */
  onDeliveryFailed?: (failures: DeliveryFailure[]) => void;
};

/**
 * Delivers claimed events and records what happened. Results are written in batches (one INSERT
 * for attempts, one UPDATE for events) so recording stays cheap at thousands of deliveries a second.
 */
export class DeliveryEngine {
  readonly dispatcher: Agent;
  private readonly mockApi: ReturnType<typeof mockApiRecorder>;
  private readonly limiter = new RateLimiter();
  private buffer: Outcome[] = [];
  private flushing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: Deps,
    private readonly hooks: EngineHooks = {},
  ) {
    this.dispatcher = createDispatcher(deps.config, 64);
    this.shaper = shaperFor(deps);
    this.mockApi = mockApiRecorder(deps.db);
  }

  /**
   * Leases up to `limit` due events of a lane, shared fairly: the lane is walked destination by
   * destination (a loose index scan from `cursor`, so a lane with thousands of waiting destinations
   * costs a bounded walk per claim and every destination has its turn), each destination gives at
   * most its room (its share of slots less what it has in flight; none while its circuit is open,
   * one probe once it is due), and the batch is filled team by team, round-robin, each team within
   * its share. Oldest-first over the whole lane put every fresh event behind one destination's
   * backlog, and one receiver that never answers held every slot of the lane.
   *
   * Within a destination fresh work goes first: events a bulk operation queued (pending_trigger
   * 'bulk') go only into room the others leave (a lazy UNION ALL: the bulk branch is not read when
   * fresh events fill the room; the bulk's pacing keeps its due rows to a few hundred).
   */
  async claim(lane: number, limit: number, room: ClaimRoom = NO_LOAD): Promise<{ events: ClaimedEvent[]; walkEnd: string }> {
    const { config } = this.deps;
    // The statement is the function claim_due_events (migration 021), planned once per connection.
    const { rows } = await sql<ClaimedEvent & { walk_end: string }>`
      SELECT * FROM claim_due_events(${lane}, ${limit}, ${room.inFlight}, ${room.cursor}, ${WALK_DESTINATIONS},
        ${room.destinations}::text[], ${room.destinationLoads}::int[], ${room.destinationShares}::int[], ${config.destinationConcurrency},
        ${room.teams}::text[], ${room.teamLoads}::int[], ${config.teamConcurrency})`.execute(this.deps.db);
    const walkEnd = rows[0]?.walk_end ?? '';
    return { events: rows.filter((r) => r.id !== null), walkEnd };
  }

  // Every config write seals a fresh ciphertext (new IV), so it is a safe key for the parsed config.
  private readonly parsed = new Map<string, unknown>();
  private readonly shaper: OutboundShaper;

  /** Decrypting and validating a destination's config on every delivery costs more than the delivery's signing. */
  private parsedConfig(connector: AnyConnector, ev: ClaimedEvent): unknown {
    const sealed = ev.destination_auth_enc;
    const hit = sealed ? this.parsed.get(sealed) : undefined;
    if (hit !== undefined) return hit;
    const value = connector.configSchema.parse(destinationConfig(this.deps, { config: ev.destination_config, auth_enc: sealed }));
    if (sealed) {
      if (this.parsed.size > 10_000) this.parsed.clear();
      this.parsed.set(sealed, value);
    }
    return value;
  }

  /** The record an earlier attempt for the same request created at this destination (a CRM contact). */
  private async previousRecordId(ev: ClaimedEvent): Promise<string | undefined> {
    const row = await this.deps.db
      .selectFrom('attempts')
      .innerJoin('events', 'events.id', 'attempts.event_id')
      .select('attempts.record_id')
      .where('events.request_id', '=', ev.request_id)
      .where('attempts.destination_id', '=', ev.destination_id)
      .where('attempts.record_id', 'is not', null)
      .orderBy('attempts.created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.record_id ?? undefined;
  }

  /** Delivers one claimed event; never throws. The outcome is buffered for the next flush. */
  async deliver(ev: ClaimedEvent): Promise<void> {
    const base = {
      eventId: ev.id,
      destinationId: ev.destination_id,
      lane: ev.lane,
      trigger: ev.pending_trigger,
      failuresBefore: ev.consecutive_failures,
      unreachableBefore: ev.circuit_failures,
    };
    if (ev.claims > POISON_CLAIMS) return this.push(quarantined(ev, base));
    if (ev.paused_at || ev.connection_disabled_at || ev.destination_disabled_at) {
      return this.push({ ...base, status: 'HOLD', attempted: false, nextAttemptAt: null, responseStatus: null, errorCode: null });
    }
    const connector = connectorFor(ev.destination_type);
    // Rate limits and URLs are never secret fields: the plain config has them without a decryption.
    const config = ev.destination_config;
    const rateLimit = typeof config.rate_limit === 'number' ? config.rate_limit : null;
    const period = (config.rate_limit_period ?? 'second') as 'second' | 'minute' | 'hour';
    const wait = this.limiter.reserve(ev.destination_id, rateLimit, period, ev.id);
    if (wait > 5) {
      return this.push({ ...base, status: ev.attempts === 0 ? 'QUEUED' : 'SCHEDULED', attempted: false, nextAttemptAt: new Date(Date.now() + wait), responseStatus: null, errorCode: null });
    }
    const started = new Date();
    const target = typeof config.url === 'string' ? config.url : ev.destination_type;
    let shaped: Shaped | null = null;
    let result: DeliveryResult;
    let execution: NewTransformationExecution | undefined;
    let notDestination = false;
    try {
      if (!connector) throw new Error(`destination type ${ev.destination_type} is not known to this Wirehub`);
      shaped = await this.shaper.shape(ev, { record: (e) => (execution = e) });
      const secret = ev.signing_secret_enc
        ? this.deps.box.open(ev.signing_secret_enc)
        : (await ensureProjectSecrets(this.deps, ev.workspace_id)).signingSecret;
      const previous = connector.tracksRecords ? await this.previousRecordId(ev) : undefined;
      result = await connector.deliver(this.context({ id: ev.destination_id, workspaceId: ev.workspace_id }), this.parsedConfig(connector, ev), outboundMessage(shaped, started, secret, previous));
    } catch (err) {
      const request = { method: 'POST', url: target, headers: {} };
      const durationMs = Date.now() - started.getTime();
      if (!connector) {
        result = { ok: false, retryable: false, errorCode: 'CONFIG', error: (err as Error).message, request, durationMs };
      } else if (err instanceof SandboxBusy) {
        // Not an attempt: the event waits its turn as a rate-limited one does.
        return this.push({ ...base, status: ev.attempts === 0 ? 'QUEUED' : 'SCHEDULED', attempted: false, nextAttemptAt: new Date(Date.now() + err.retryAfterMs), responseStatus: null, errorCode: null });
      } else if (err instanceof TransformationFiltered) {
        return this.push(this.filteredOutcome(ev, base, execution, started));
      } else if (err instanceof TransformationFailed) {
        // Retrying cannot help until the code changes; a manual retry runs the code as it is then.
        notDestination = true;
        result = { ok: false, retryable: false, errorCode: 'TRANSFORMATION_FAILED', error: err.message, request, durationMs };
      } else if (err instanceof MappingError || err instanceof SyntaxError) {
        result = payloadFailure(err, target, started);
      } else if (err instanceof RangeError && /call stack|string length/i.test(err.message)) {
        // A stack overflow or an over-long string, in the shaper or a connector serialising the payload
        // (a deep body stored before ingest refused it): the payload's doing, and a retry ends the same.
        result = payloadFailure(new Error(`the payload nests too deeply or is too large to be serialised (${err.message})`), target, started);
      } else {
        // A connector throws only on a bug; record it as a failed attempt rather than lose the event.
        this.deps.log.error({ err, eventId: ev.id }, 'connector failed unexpectedly');
        result = { ok: false, retryable: true, errorCode: 'NETWORK', error: `internal error: ${(err as Error).message}`, request, durationMs };
      }
    }
    // Refused before anything reached the receiver (by the shaping or by the connector itself): says
    // nothing of the receiver's health, and a sender must not be able to disable a destination by
    // sending bodies it knows will be refused.
    if (!result.ok && result.errorCode === 'PAYLOAD' && !result.response) notDestination = true;
    const attemptNumber = ev.attempts + 1;
    const attempt: NewAttempt = {
      id: newId('atm'),
      workspace_id: ev.workspace_id,
      event_id: ev.id,
      destination_id: ev.destination_id,
      attempt_number: attemptNumber,
      trigger: ev.pending_trigger,
      status: result.ok ? 'SUCCESSFUL' : 'FAILED',
      request_method: result.request.method,
      request_url: result.request.url,
      // A receiver's answer (or a transformation's text body) may carry a NUL, which PostgreSQL refuses
      // in text and jsonb: unescaped, it would fail this whole batch of outcomes, again at every retry.
      request_headers: JSON.stringify(withoutNul(result.request.headers)),
      response_status: result.response?.status ?? null,
      response_headers: result.response ? JSON.stringify(withoutNul(result.response.headers)) : null,
      response_body: withoutNul(result.response?.body ?? null),
      duration_ms: result.durationMs,
      error_code: result.ok ? null : result.errorCode,
      error_message: result.ok ? null : withoutNul(result.error),
      request_body: withoutNul(result.request.body ?? (shaped?.transformed ? shaped.body.toString('utf8') : null)),
      record_id: result.recordId ?? null,
      created_at: started,
    };
    const reported = { warning: result.warning, ...(execution ? { execution } : {}), ...(notDestination ? { notDestination } : {}) };
    if (result.ok) {
      return this.push({ ...base, ...reported, status: 'SUCCESSFUL', attempted: true, nextAttemptAt: null, responseStatus: result.status, errorCode: null, attempt, ok: true });
    }
    const retryRule = ev.rules.find((r): r is RetryRuleT => r.type === 'retry');
    const delay = result.retryable
      ? nextRetryDelay({ failedAttempts: attemptNumber, rule: retryRule, schedule: this.deps.config.retrySchedule, status: result.status, retryAfterMs: result.retryAfterMs })
      : null;
    this.push({
      ...(delay === null ? { failure: failureOf(ev, attemptNumber, result.status ?? null, result.errorCode, result.error) } : {}),
      ...base,
      ...reported,
      status: delay === null ? 'FAILED' : 'SCHEDULED',
      attempted: true,
      nextAttemptAt: delay === null ? null : new Date(Date.now() + delay),
      responseStatus: result.status ?? null,
      errorCode: result.errorCode,
      attempt,
      ok: false,
      gone: result.gone,
      removeOnGone: connector?.onGone === 'remove',
      error: result.error,
    });
  }

  context(destination?: DeliveryContext['destination']): DeliveryContext {
    return deliveryContext(this.deps.config, this.dispatcher, { destination, mockApi: this.mockApi });
  }

  /**
   * An event whose transformed request a later filter turns away is ignored, like a request a
   * filter turns away at ingest: on its first delivery it moves to ignored_events (cause
   * TRANSFORMATION_FILTERED), so the `ignored` status filter, the metrics' ignored_count and the
   * request's events/ignored counts all see it as one ignored event and not as a delivery. An event
   * that already has attempts (a retry after the code changed) keeps its history instead: it is
   * CANCELLED, with one attempt saying why.
   */
  private filteredOutcome(ev: ClaimedEvent, base: Pick<Outcome, 'eventId' | 'destinationId' | 'lane' | 'trigger' | 'failuresBefore' | 'unreachableBefore'>, execution: NewTransformationExecution | undefined, started: Date): Outcome {
    const common = { ...base, nextAttemptAt: null, responseStatus: null, notDestination: true, ...(execution ? { execution } : {}) };
    if (ev.attempts === 0) {
      return { ...common, status: 'CANCELLED', attempted: false, errorCode: null, ignore: true };
    }
    const attempt = unsentAttempt(ev, started, 'TRANSFORMATION_FILTERED', 'not sent: the transformed request does not pass the filter after the transformation');
    return { ...common, status: 'CANCELLED', attempted: true, errorCode: 'TRANSFORMATION_FILTERED', attempt, ok: false };
  }

  private push(outcome: Outcome): void {
    this.buffer.push(outcome);
    if (this.buffer.length >= 256) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), 2);
  }

  /** Writes buffered outcomes; resolves when everything buffered before the call is stored. */
  async flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer.splice(0);
    this.flushing = this.write(batch)
      .catch((err) => {
        // The events keep their lease and are claimed again when it ends: delivered at least once.
        this.deps.log.error({ err, count: batch.length }, 'could not record delivery outcomes');
      })
      .finally(() => {
        this.flushing = null;
      });
    await this.flushing;
  }

  private async write(all: Outcome[]): Promise<void> {
    const db = this.deps.db;
    const attempts = all.flatMap((o) => (o.attempt ? [o.attempt] : []));
    const executions = all.flatMap((o) => (o.execution ? [o.execution] : []));
    const ignored = all.filter((o) => o.ignore);
    const batch = all.filter((o) => !o.ignore);
    const col = <V>(f: (o: Outcome) => V) => batch.map(f);
    const update = sql`
      UPDATE events e SET
        status = v.status,
        attempts = e.attempts + CASE WHEN v.attempted THEN 1 ELSE 0 END,
        next_attempt_at = v.next_at,
        lease_until = NULL,
        claims = 0,
        pending_trigger = CASE WHEN v.attempted THEN 'automatic' ELSE e.pending_trigger END,
        last_attempt_at = CASE WHEN v.attempted THEN now() ELSE e.last_attempt_at END,
        response_status = CASE WHEN v.attempted THEN v.resp ELSE e.response_status END,
        error_code = CASE WHEN v.attempted THEN v.err ELSE e.error_code END,
        successful_at = CASE WHEN v.status = 'SUCCESSFUL' THEN now() ELSE e.successful_at END,
        updated_at = now()
      FROM unnest(${col((o) => o.eventId)}::text[], ${col((o) => o.status)}::text[], ${col((o) => o.attempted)}::bool[],
                  ${col((o) => o.nextAttemptAt)}::timestamptz[], ${col((o) => o.responseStatus)}::int[], ${col((o) => o.errorCode)}::text[])
        AS v(id, status, attempted, next_at, resp, err)
      WHERE e.id = v.id`;
    if (executions.length === 0 && ignored.length === 0) {
      // One statement is its own transaction: no BEGIN and COMMIT round trips. The attempts'
      // foreign key to events is checked at its end, after both writes.
      await (attempts.length > 0 ? sql`WITH stored_attempts AS (${insertAttempts(attempts)}) ${update}` : update).execute(db);
    } else {
      await db.transaction().execute(async (trx) => {
        if (attempts.length > 0) await insertAttempts(attempts).execute(trx);
        if (executions.length > 0) await trx.insertInto('transformation_executions').values(executions).execute();
        if (ignored.length > 0) await moveToIgnored(trx, ignored);
        await update.execute(trx);
      });
    }
    this.reportFailures(batch);
    await this.trackDestinationHealth(batch.filter((o) => o.attempted && !o.notDestination));
    await this.recordWarnings(batch);
    const soon = batch.filter((o) => o.nextAttemptAt && o.nextAttemptAt.getTime() - Date.now() < SHORT_RETRY_MS).map((o) => o.lane);
    if (soon.length > 0) this.deps.wake([...new Set(soon)]);
  }

  /**
   * Ten consecutive failed deliveries, or one 410 Gone, disable a destination (seed 000). Timeouts
   * and connection failures in a row also open its circuit (see circuitUpdate), which pauses it
   * without holding delivery slots until a probe gets through.
   */
  private async trackDestinationHealth(outcomes: Outcome[]): Promise<void> {
    const byDestination = new Map<string, Outcome[]>();
    for (const o of outcomes) byDestination.set(o.destinationId, [...(byDestination.get(o.destinationId) ?? []), o]);
    for (const [destinationId, list] of byDestination) {
      const lastOk = list.map((o) => o.ok).lastIndexOf(true);
      const failuresAfter = list.length - 1 - lastOk;
      const gone = list.find((o) => o.gone);
      const healthy = lastOk >= 0 && failuresAfter === 0 && list.every((o) => o.failuresBefore === 0 && o.unreachableBefore === 0);
      if (healthy) continue;
      if (gone?.removeOnGone) {
        // A REST-hook target that answers 410 has unsubscribed (Zapier's contract): remove it.
        const removed = await deleteDestination(this.deps.db, null, destinationId);
        this.deps.routing.invalidate();
        if (removed) this.deps.log.info({ destinationId }, 'subscription removed: the target answered 410 Gone');
        continue;
      }
      const lastReached = list.map((o) => !UNREACHABLE.has(o.errorCode ?? '')).lastIndexOf(true);
      const unreachable = list.length - 1 - lastReached;
      const kind = list[list.length - 1].errorCode === 'TIMEOUT' ? 'timeouts' : 'connection failures';
      const { rows } = await sql<{ consecutive_failures: number; disabled_at: Date | null; workspace_id: string; circuit_opened: boolean; was_open: boolean; circuit_reason: string | null }>`
        UPDATE destinations d SET
          consecutive_failures = ${lastOk >= 0 ? sql`${failuresAfter}` : sql`d.consecutive_failures + ${failuresAfter}`},
          circuit_failures = v.n,
          circuit_opened_at = CASE WHEN v.n >= ${this.deps.config.circuitOpenAfter} THEN COALESCE(d.circuit_opened_at, now()) END,
          -- The first probe after 5 s, then after as long again as the circuit has been open (doubling), at most 5 minutes.
          circuit_probe_at = CASE WHEN v.n >= ${this.deps.config.circuitOpenAfter}
            THEN now() + LEAST(interval '5 minutes', GREATEST(interval '5 seconds', now() - COALESCE(d.circuit_opened_at, now()))) END,
          circuit_reason = CASE WHEN v.n >= ${this.deps.config.circuitOpenAfter} THEN v.n::text || ${` ${kind} in a row`}::text END
        FROM (SELECT ${lastReached >= 0 ? sql`${unreachable}::int` : sql`circuit_failures + ${unreachable}`} AS n, circuit_opened_at IS NOT NULL AS was_open
              FROM destinations WHERE id = ${destinationId}) v
        WHERE d.id = ${destinationId}
        RETURNING d.consecutive_failures, d.disabled_at, d.workspace_id, d.circuit_opened_at IS NOT NULL AS circuit_opened, v.was_open, d.circuit_reason`.execute(this.deps.db);
      const row = rows[0];
      if (row?.circuit_opened && !row.was_open) this.deps.log.warn({ destinationId, reason: row.circuit_reason }, 'destination paused: circuit opened');
      if (row && !row.circuit_opened && row.was_open) this.deps.log.info({ destinationId }, 'destination resumed: circuit closed');
      if (!row || row.disabled_at) continue;
      const threshold = this.deps.config.autoDisableAfter;
      if (gone || row.consecutive_failures >= threshold) {
        const last = list[list.length - 1];
        const reason = gone
          ? 'the receiver answered 410 Gone'
          : `${row.consecutive_failures} consecutive failed deliveries (last: ${last.error ?? 'failed'})`;
        const disabled = await this.deps.db
          .updateTable('destinations')
          .set({ disabled_at: new Date(), disabled_reason: `disabled automatically: ${reason}`, updated_at: new Date() })
          .where('id', '=', destinationId)
          .where('disabled_at', 'is', null)
          .returning('id')
          .executeTakeFirst();
        await holdDestinationEvents(this.deps.db, destinationId);
        this.deps.routing.invalidate();
        this.deps.log.warn({ destinationId, reason }, 'destination disabled automatically');
        if (disabled) {
          await this.hooks.onAutoDisabled?.({ workspaceId: row.workspace_id, destinationId, reason }).catch((err: unknown) => {
            this.deps.log.error({ err, destinationId }, 'could not report a disabled destination');
          });
        }
      }
    }
  }

  /**
   * Hands the events that failed for good to the alerts (hub.delivery.failed) once their outcome
   * is stored: outside the outcome's transaction, never awaited, never thrown, so an alert can
   * neither slow nor fail the recording of a delivery.
   */
  private reportFailures(batch: Outcome[]): void {
    const failures = batch.flatMap((o) => (o.failure ? [o.failure] : []));
    if (!failures.length || !this.hooks.onDeliveryFailed) return;
    try {
      this.hooks.onDeliveryFailed(failures);
    } catch (err) {
      this.deps.log.error({ err, count: failures.length }, 'could not report failed deliveries');
    }
  }

  /** Connectors report problems the owner must fix (a drifted sheet header) and clear them when fixed. */
  private async recordWarnings(outcomes: Outcome[]): Promise<void> {
    const latest = new Map<string, string | null>();
    for (const o of outcomes) if (o.warning !== undefined) latest.set(o.destinationId, o.warning);
    for (const [id, warning] of latest) {
      await this.deps.db
        .updateTable('destinations')
        .set({ warning })
        .where('id', '=', id)
        .where(sql<boolean>`warning IS DISTINCT FROM ${warning}`)
        .execute();
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await this.dispatcher.close();
  }
}

/** The rules that run code at delivery, named so the owner knows what to look at. */
function deliveryLogic(rules: Rule[]): string {
  const parts = rules.flatMap((r, i) => {
    if (r.type === 'transformation') return [`rules.${i}: the transformation ${r.transformation_id ?? ''}`];
    if (r.type === 'transform') return [`rules.${i}: the transform rule${r.expression ? "'s expression" : ''}${r.mappings ? ` and its ${r.mappings.length} mappings` : ''}`];
    if (r.type === 'filter') return [`rules.${i}: a filter`];
    return [];
  });
  return parts.length ? parts.join('; ') : 'no rule of its own runs code: the destination connector itself';
}

function quarantined(ev: ClaimedEvent, base: Pick<Outcome, 'eventId' | 'destinationId' | 'lane' | 'trigger' | 'failuresBefore' | 'unreachableBefore'>): Outcome {
  const message = `quarantined: its delivery was interrupted ${ev.claims - 1} times in a row (the worker stopped or hung while delivering it, or while delivering another event beside it), so it is not tried again automatically. What runs for it: ${deliveryLogic(ev.rules)}. Fix that, then retry the event.`;
  const attempt = unsentAttempt(ev, new Date(), 'QUARANTINED', message);
  return {
    ...base,
    status: 'FAILED',
    attempted: true,
    nextAttemptAt: null,
    responseStatus: null,
    errorCode: 'QUARANTINED',
    attempt,
    ok: false,
    error: message,
    notDestination: true,
    failure: failureOf(ev, ev.attempts + 1, null, 'QUARANTINED', message),
  };
}

/** What an event that failed for good reports; its event type is read only then (the body is not parsed on the way of a delivery). */
function failureOf(ev: ClaimedEvent, attempts: number, responseStatus: number | null, errorCode: string, error: string): DeliveryFailure {
  return {
    workspaceId: ev.workspace_id,
    eventId: ev.id,
    requestId: ev.request_id,
    connectionId: ev.connection_id,
    destinationId: ev.destination_id,
    eventType: ev.source_type === APPLICATION_SOURCE_TYPE ? publishedType(ev.body) : null,
    attempts,
    responseStatus,
    errorCode,
    error,
    failedAt: new Date(),
  };
}

function publishedType(body: Buffer): string | null {
  try {
    const type = (JSON.parse(body.toString('utf8')) as { eventType?: unknown } | null)?.eventType;
    return typeof type === 'string' ? type : null;
  } catch {
    return null;
  }
}

/** The attempt recording what the hub decided without sending anything to the receiver. */
function unsentAttempt(ev: ClaimedEvent, started: Date, code: string, message: string): NewAttempt {
  return {
    id: newId('atm'),
    workspace_id: ev.workspace_id,
    event_id: ev.id,
    destination_id: ev.destination_id,
    attempt_number: ev.attempts + 1,
    trigger: ev.pending_trigger,
    status: 'FAILED',
    request_method: 'POST',
    request_url: typeof ev.destination_config.url === 'string' ? ev.destination_config.url : ev.destination_type,
    request_headers: '{}',
    response_status: null,
    response_headers: null,
    response_body: null,
    duration_ms: Date.now() - started.getTime(),
    error_code: code,
    error_message: message,
    request_body: null,
    record_id: null,
    created_at: started,
  };
}

/** The attempts as one INSERT over arrays (a statement of its own, or a CTE of the outcome UPDATE). */
function insertAttempts(attempts: NewAttempt[]) {
  const col = <V>(f: (a: NewAttempt) => V) => attempts.map(f);
  return sql`
    INSERT INTO attempts (id, workspace_id, event_id, destination_id, attempt_number, trigger, status, request_method, request_url, request_headers,
      response_status, response_headers, response_body, duration_ms, error_code, error_message, request_body, record_id, created_at)
    SELECT * FROM unnest(
      ${col((a) => a.id)}::text[], ${col((a) => a.workspace_id)}::text[], ${col((a) => a.event_id)}::text[], ${col((a) => a.destination_id)}::text[],
      ${col((a) => a.attempt_number)}::int[], ${col((a) => a.trigger)}::text[], ${col((a) => a.status)}::text[], ${col((a) => a.request_method)}::text[],
      ${col((a) => a.request_url)}::text[], ${col((a) => a.request_headers)}::jsonb[], ${col((a) => a.response_status ?? null)}::int[],
      ${col((a) => a.response_headers ?? null)}::jsonb[], ${col((a) => a.response_body ?? null)}::text[], ${col((a) => a.duration_ms)}::int[],
      ${col((a) => a.error_code ?? null)}::text[], ${col((a) => a.error_message ?? null)}::text[], ${col((a) => a.request_body ?? null)}::text[],
      ${col((a) => a.record_id ?? null)}::text[], ${col((a) => a.created_at ?? new Date())}::timestamptz[])`;
}

/** Turns delivery events into ignored ones (see filteredOutcome), keeping their requests' counts right. */
async function moveToIgnored(trx: Transaction<DB>, outcomes: Outcome[]): Promise<void> {
  const ids = outcomes.map((o) => o.eventId);
  const ignoredIds = outcomes.map(() => newId('ign'));
  await sql`
    WITH gone AS (
      DELETE FROM events e USING unnest(${ids}::text[], ${ignoredIds}::text[]) AS v(event_id, ignored_id)
      WHERE e.id = v.event_id
      RETURNING v.ignored_id, e.workspace_id, e.request_id, e.connection_id
    ), stored AS (
      INSERT INTO ignored_events (id, workspace_id, request_id, connection_id, cause)
      SELECT ignored_id, workspace_id, request_id, connection_id, 'TRANSFORMATION_FILTERED' FROM gone
      RETURNING request_id
    )
    UPDATE requests r SET events_count = r.events_count - n.count, ignored_count = r.ignored_count + n.count
    FROM (SELECT request_id, count(*)::int AS count FROM stored GROUP BY request_id) n
    WHERE r.id = n.request_id`.execute(trx);
}
