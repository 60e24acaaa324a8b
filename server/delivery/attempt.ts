import type { DeliveryResult } from '../../connectors/types.ts';
import { newId } from '../core/ids.ts';
import { withoutNul } from '../core/nul.ts';
import type { AttemptTrigger, EventStatus, NewAttempt, NewTransformationExecution } from '../db/schema.ts';
import type { Rule, RetryRuleT } from '../gateway/rules.ts';
import { APPLICATION_SOURCE_TYPE } from '../gateway/source-types.ts';
import { MappingError } from '../gateway/mappings.ts';
import { SandboxBusy } from '../transformations/sandbox.ts';
import type { ClaimedEvent } from './claim.ts';
import { payloadFailure, TransformationFailed, TransformationFiltered, type Shaped } from './outbound.ts';
import { nextRetryDelay } from './retry-policy.ts';

/**
 * What one delivery of a claimed event comes to: the outcome to record (the event's next status
 * and next attempt, the attempt row, what destination health and the alerts learn from it).
 *
 * Everything here is pure: the engine hands in the claimed event (which carries its attempt count,
 * its rules and its destination's health as the claim read them), what the shaping and the
 * connector did, and the time, and gets back the outcome. Nothing here reads the database, the
 * clock or the network (the only randomness is in new ids and the retry jitter, which a policy
 * can fix), so each decision is unit-tested on its own (test/delivery-attempt.test.ts).
 */

/**
 * An event claimed this many times without an outcome was being delivered each time its worker
 * died or hung (an outcome is written within milliseconds of a delivery ending, failed or not).
 * Claimed once more it would take the next worker down too, so it is failed instead.
 */
export const POISON_CLAIMS = 3;

export type Outcome = {
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

/** What happened on the way to the connector's result, besides the result itself. */
export type AttemptFacts = {
  /** When the attempt began: the attempt's created_at, and where its duration counts from. */
  started: Date;
  /** The shaped message (null when shaping failed): a transformed body is kept with the attempt. */
  shaped: Pick<Shaped, 'transformed' | 'body'> | null;
  /** The connection's transformation's run, stored with the outcome. */
  execution: NewTransformationExecution | undefined;
  /** The failure is the connection's (its transformation), not the receiver's. */
  notDestination: boolean;
  /** The connector removes its destination on 410 Gone (connector.onGone === 'remove'). */
  removeOnGone: boolean;
};

/** The hub's default retry schedule (config.retrySchedule) for connections without a retry rule; `random` sets the jitter. */
export type RetryPolicy = { retrySchedule: number[]; random?: () => number };

type Base = Pick<Outcome, 'eventId' | 'destinationId' | 'lane' | 'trigger' | 'failuresBefore' | 'unreachableBefore'>;

function baseOf(ev: ClaimedEvent): Base {
  return {
    eventId: ev.id,
    destinationId: ev.destination_id,
    lane: ev.lane,
    trigger: ev.pending_trigger,
    failuresBefore: ev.consecutive_failures,
    unreachableBefore: ev.circuit_failures,
  };
}

/**
 * The outcome an event gets before anything is tried: quarantined when it was claimed too often
 * without an outcome (POISON_CLAIMS), HOLD when its connection is paused or it or its destination
 * is disabled; null when it is to be delivered.
 */
export function settledBeforeAttempt(ev: ClaimedEvent, now: number): Outcome | null {
  if (ev.claims > POISON_CLAIMS) return quarantined(ev, now);
  if (ev.paused_at || ev.connection_disabled_at || ev.destination_disabled_at) {
    return { ...baseOf(ev), status: 'HOLD', attempted: false, nextAttemptAt: null, responseStatus: null, errorCode: null };
  }
  return null;
}

/** Not an attempt: the event waits `waitMs` for its turn (its destination's rate limit, a busy sandbox). */
export function deferredOutcome(ev: ClaimedEvent, waitMs: number, now: number): Outcome {
  return {
    ...baseOf(ev),
    status: ev.attempts === 0 ? 'QUEUED' : 'SCHEDULED',
    attempted: false,
    nextAttemptAt: new Date(now + waitMs),
    responseStatus: null,
    errorCode: null,
  };
}

/** What a throw on the way to (or inside) the connector means for the event. */
export type Thrown =
  /** Not an attempt: the event waits its turn as a rate-limited one does. */
  | { kind: 'deferred'; waitMs: number }
  /** The transformed request failed a filter after the transformation (see filteredOutcome). */
  | { kind: 'filtered' }
  /** A failed attempt; `unexpected` when a connector threw, which it does only on a bug (worth a log line). */
  | { kind: 'failed'; result: DeliveryResult; notDestination: boolean; unexpected: boolean };

/** Sorts what was thrown while shaping, signing or delivering `ev` (`connectorKnown`: its destination type has a connector). */
export function classifyThrown(ev: ClaimedEvent, err: unknown, connectorKnown: boolean, started: Date, now: number): Thrown {
  const target = requestUrl(ev);
  const request = { method: 'POST', url: target, headers: {} };
  const durationMs = now - started.getTime();
  const failed = (result: DeliveryResult, notDestination = false, unexpected = false): Thrown => ({ kind: 'failed', result, notDestination, unexpected });
  if (!connectorKnown) return failed({ ok: false, retryable: false, errorCode: 'CONFIG', error: (err as Error).message, request, durationMs });
  if (err instanceof SandboxBusy) return { kind: 'deferred', waitMs: err.retryAfterMs };
  if (err instanceof TransformationFiltered) return { kind: 'filtered' };
  if (err instanceof TransformationFailed) {
    // Retrying cannot help until the code changes; a manual retry runs the code as it is then.
    return failed({ ok: false, retryable: false, errorCode: 'TRANSFORMATION_FAILED', error: err.message, request, durationMs }, true);
  }
  if (err instanceof MappingError || err instanceof SyntaxError) return failed(payloadFailure(err, target, started, now));
  if (err instanceof RangeError && /call stack|string length/i.test(err.message)) {
    // A stack overflow or an over-long string, in the shaper or a connector serialising the payload
    // (a deep body stored before ingest refused it): the payload's doing, and a retry ends the same.
    return failed(payloadFailure(new Error(`the payload nests too deeply or is too large to be serialised (${err.message})`), target, started, now));
  }
  // A connector throws only on a bug; record it as a failed attempt rather than lose the event.
  return failed({ ok: false, retryable: true, errorCode: 'NETWORK', error: `internal error: ${(err as Error).message}`, request, durationMs }, false, true);
}

/**
 * The outcome of an attempt the connector answered (or that failed on the way, see classifyThrown):
 * SUCCESSFUL; SCHEDULED again after the retry rule's (or the hub's) delay, a receiver's Retry-After
 * honoured; or FAILED for good when the failure is not retryable or the retries are spent, with
 * the failure to report. A 410 Gone, timeouts and other failures count against the destination
 * (DestinationHealth) unless `notDestination`.
 */
export function attemptOutcome(ev: ClaimedEvent, result: DeliveryResult, facts: AttemptFacts, policy: RetryPolicy, now: number): Outcome {
  // Refused before anything reached the receiver (by the shaping or by the connector itself): says
  // nothing of the receiver's health, and a sender must not be able to disable a destination by
  // sending bodies it knows will be refused.
  const notDestination = facts.notDestination || (!result.ok && result.errorCode === 'PAYLOAD' && !result.response);
  const attemptNumber = ev.attempts + 1;
  const shaped = facts.shaped;
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
    created_at: facts.started,
  };
  // What every attempted outcome carries, built once (the success is the hot path).
  const reported = {
    ...baseOf(ev),
    warning: result.warning,
    ...(facts.execution ? { execution: facts.execution } : {}),
    ...(notDestination ? { notDestination } : {}),
  };
  if (result.ok) {
    return { ...reported, status: 'SUCCESSFUL', attempted: true, nextAttemptAt: null, responseStatus: result.status, errorCode: null, attempt, ok: true };
  }
  const retryRule = ev.rules.find((r): r is RetryRuleT => r.type === 'retry');
  const delay = result.retryable
    ? nextRetryDelay({
        failedAttempts: attemptNumber,
        rule: retryRule,
        schedule: policy.retrySchedule,
        status: result.status,
        retryAfterMs: result.retryAfterMs,
        random: policy.random,
      })
    : null;
  return {
    ...(delay === null ? { failure: failureOf(ev, attemptNumber, result.status ?? null, result.errorCode, result.error, now) } : {}),
    ...reported,
    status: delay === null ? 'FAILED' : 'SCHEDULED',
    attempted: true,
    nextAttemptAt: delay === null ? null : new Date(now + delay),
    responseStatus: result.status ?? null,
    errorCode: result.errorCode,
    attempt,
    ok: false,
    gone: result.gone,
    removeOnGone: facts.removeOnGone,
    error: result.error,
  };
}

/**
 * An event whose transformed request a later filter turns away is ignored, like a request a
 * filter turns away at ingest: on its first delivery it moves to ignored_events (cause
 * TRANSFORMATION_FILTERED), so the `ignored` status filter, the metrics' ignored_count and the
 * request's events/ignored counts all see it as one ignored event and not as a delivery. An event
 * that already has attempts (a retry after the code changed) keeps its history instead: it is
 * CANCELLED, with one attempt saying why.
 */
export function filteredOutcome(ev: ClaimedEvent, execution: NewTransformationExecution | undefined, started: Date, now: number): Outcome {
  const common = { ...baseOf(ev), nextAttemptAt: null, responseStatus: null, notDestination: true, ...(execution ? { execution } : {}) };
  if (ev.attempts === 0) {
    return { ...common, status: 'CANCELLED', attempted: false, errorCode: null, ignore: true };
  }
  const attempt = unsentAttempt(
    ev,
    started,
    now,
    'TRANSFORMATION_FILTERED',
    'not sent: the transformed request does not pass the filter after the transformation',
  );
  return { ...common, status: 'CANCELLED', attempted: true, errorCode: 'TRANSFORMATION_FILTERED', attempt, ok: false };
}

function quarantined(ev: ClaimedEvent, now: number): Outcome {
  const message = `quarantined: its delivery was interrupted ${ev.claims - 1} times in a row (the worker stopped or hung while delivering it, or while delivering another event beside it), so it is not tried again automatically. What runs for it: ${deliveryLogic(ev.rules)}. Fix that, then retry the event.`;
  const attempt = unsentAttempt(ev, new Date(now), now, 'QUARANTINED', message);
  return {
    ...baseOf(ev),
    status: 'FAILED',
    attempted: true,
    nextAttemptAt: null,
    responseStatus: null,
    errorCode: 'QUARANTINED',
    attempt,
    ok: false,
    error: message,
    notDestination: true,
    failure: failureOf(ev, ev.attempts + 1, null, 'QUARANTINED', message, now),
  };
}

/** The rules that run code at delivery, named so the owner knows what to look at. */
function deliveryLogic(rules: Rule[]): string {
  const parts = rules.flatMap((r, i) => {
    if (r.type === 'transformation') return [`rules.${i}: the transformation ${r.transformation_id ?? ''}`];
    if (r.type === 'transform')
      return [`rules.${i}: the transform rule${r.expression ? "'s expression" : ''}${r.mappings ? ` and its ${r.mappings.length} mappings` : ''}`];
    if (r.type === 'filter') return [`rules.${i}: a filter`];
    return [];
  });
  return parts.length ? parts.join('; ') : 'no rule of its own runs code: the destination connector itself';
}

/** What an event that failed for good reports; its event type is read only then (the body is not parsed on the way of a delivery). */
function failureOf(ev: ClaimedEvent, attempts: number, responseStatus: number | null, errorCode: string, error: string, now: number): DeliveryFailure {
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
    failedAt: new Date(now),
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

/** Where an attempt that sent nothing is said to have gone: the destination's URL, else its type. */
function requestUrl(ev: ClaimedEvent): string {
  return typeof ev.destination_config.url === 'string' ? ev.destination_config.url : ev.destination_type;
}

/** The attempt recording what the hub decided without sending anything to the receiver. */
function unsentAttempt(ev: ClaimedEvent, started: Date, now: number, code: string, message: string): NewAttempt {
  return {
    id: newId('atm'),
    workspace_id: ev.workspace_id,
    event_id: ev.id,
    destination_id: ev.destination_id,
    attempt_number: ev.attempts + 1,
    trigger: ev.pending_trigger,
    status: 'FAILED',
    request_method: 'POST',
    request_url: requestUrl(ev),
    request_headers: '{}',
    response_status: null,
    response_headers: null,
    response_body: null,
    duration_ms: now - started.getTime(),
    error_code: code,
    error_message: message,
    request_body: null,
    record_id: null,
    created_at: started,
  };
}
