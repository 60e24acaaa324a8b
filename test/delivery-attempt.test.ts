import { describe, expect, it } from 'vitest';
import type { DeliveryResult } from '../connectors/types.ts';
import { DEFAULT_RETRY_SCHEDULE } from '../server/config.ts';
import { NUL_REPLACEMENT } from '../server/core/nul.ts';
import {
  attemptOutcome,
  classifyThrown,
  deferredOutcome,
  filteredOutcome,
  POISON_CLAIMS,
  settledBeforeAttempt,
  type AttemptFacts,
  type Outcome,
} from '../server/delivery/attempt.ts';
import type { ClaimedEvent } from '../server/delivery/claim.ts';
import { autoDisableReason, healthVerdict } from '../server/delivery/destination-health.ts';
import { TransformationFailed, TransformationFiltered } from '../server/delivery/outbound.ts';
import { MappingError } from '../server/gateway/mappings.ts';
import { SandboxBusy } from '../server/transformations/sandbox.ts';

/**
 * What one delivery comes to, decided without a database: the claimed event as the claim reads
 * it, what the connector answered (or what was thrown on the way), and the time go in; the outcome
 * the writer stores and destination health learns from comes out.
 */

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const STARTED = new Date(NOW - 40);
const policy = { retrySchedule: DEFAULT_RETRY_SCHEDULE, random: () => 0 };

function claimed(over: Partial<ClaimedEvent> = {}): ClaimedEvent {
  return {
    id: 'evt_1',
    workspace_id: 'ws_1',
    request_id: 'req_1',
    connection_id: 'web_1',
    connection_updated_at: new Date(NOW - 60_000),
    source_type: 'WEBHOOK',
    request: null,
    transformation_version: null,
    destination_id: 'des_1',
    lane: 3,
    attempts: 0,
    claims: 1,
    pending_trigger: 'initial',
    body: Buffer.from('{"order":1}'),
    content_type: 'application/json',
    rules: [],
    paused_at: null,
    connection_disabled_at: null,
    destination_type: 'HTTP',
    destination_config: { url: 'https://receiver.test/hook' },
    destination_auth_enc: null,
    destination_disabled_at: null,
    consecutive_failures: 0,
    circuit_failures: 0,
    signing_secret_enc: null,
    ...over,
  };
}

function facts(over: Partial<AttemptFacts> = {}): AttemptFacts {
  return { started: STARTED, shaped: null, execution: undefined, notDestination: false, removeOnGone: false, ...over };
}

const request = { method: 'POST', url: 'https://receiver.test/hook', headers: { 'content-type': 'application/json' } };

function answered(status: number, over: Partial<Extract<DeliveryResult, { ok: false }>> = {}): DeliveryResult {
  const response = { status, headers: {}, body: `status ${status}` };
  if (status < 300) return { ok: true, status, request, response, durationMs: 40 };
  return {
    ok: false,
    retryable: status >= 500 || status === 429,
    status,
    errorCode: 'HTTP_STATUS',
    error: `the receiver answered ${status}`,
    request,
    response,
    durationMs: 40,
    ...over,
  };
}

function timedOut(): DeliveryResult {
  return { ok: false, retryable: true, errorCode: 'TIMEOUT', error: 'no answer within 30 s', request, durationMs: 30_000 };
}

describe('an attempt the receiver answered', () => {
  it('delivered: SUCCESSFUL, one attempt recorded, nothing to retry or report', () => {
    const o = attemptOutcome(claimed({ attempts: 2 }), { ...answered(200), warning: null }, facts(), policy, NOW);
    expect(o).toMatchObject({
      eventId: 'evt_1',
      destinationId: 'des_1',
      lane: 3,
      status: 'SUCCESSFUL',
      attempted: true,
      ok: true,
      nextAttemptAt: null,
      responseStatus: 200,
      errorCode: null,
      warning: null,
    });
    expect(o.failure).toBeUndefined();
    expect(o.notDestination).toBeUndefined();
    expect(o.attempt).toMatchObject({
      event_id: 'evt_1',
      attempt_number: 3,
      trigger: 'initial',
      status: 'SUCCESSFUL',
      request_url: 'https://receiver.test/hook',
      response_status: 200,
      response_body: 'status 200',
      duration_ms: 40,
      error_code: null,
      request_body: null,
      created_at: STARTED,
    });
    expect(o.attempt?.id).toMatch(/^atm_/);
  });

  it('keeps a transformed body and the transformation run with the attempt, and a NUL never reaches the database', () => {
    const execution = { id: 'trx_1' } as unknown as NonNullable<AttemptFacts['execution']>;
    const result: DeliveryResult = {
      ok: true,
      status: 200,
      request,
      response: { status: 200, headers: { 'x-a': 'a\u0000b' }, body: 'ok\u0000' },
      durationMs: 5,
    };
    const o = attemptOutcome(claimed(), result, facts({ shaped: { transformed: true, body: Buffer.from('{"shaped":true}') }, execution }), policy, NOW);
    expect(o.attempt?.request_body).toBe('{"shaped":true}');
    expect(o.execution).toBe(execution);
    expect(o.attempt?.response_body).toBe(`ok${NUL_REPLACEMENT}`);
    expect(o.attempt?.response_headers).toBe(JSON.stringify({ 'x-a': `a${NUL_REPLACEMENT}b` }));
  });

  it('retryable failure: SCHEDULED after the default schedule (immediately, then 5 s…), counted against the destination', () => {
    const first = attemptOutcome(claimed(), answered(503), facts(), policy, NOW);
    expect(first).toMatchObject({
      status: 'SCHEDULED',
      attempted: true,
      ok: false,
      responseStatus: 503,
      errorCode: 'HTTP_STATUS',
      error: 'the receiver answered 503',
    });
    expect(first.nextAttemptAt?.getTime()).toBe(NOW);
    expect(first.failure).toBeUndefined();
    expect(first.notDestination).toBeUndefined();
    const second = attemptOutcome(claimed({ attempts: 1 }), answered(503), facts(), policy, NOW);
    expect(second.nextAttemptAt?.getTime()).toBe(NOW + 5_000);
    expect(second.attempt?.attempt_number).toBe(2);
  });

  it('backs off as the connection’s retry rule says, with up to 10 % jitter', () => {
    const rules = [{ type: 'retry' as const, strategy: 'exponential' as const, count: 5, interval: 10_000 }];
    const o = attemptOutcome(claimed({ attempts: 2, rules }), answered(500), facts(), policy, NOW);
    expect(o.nextAttemptAt?.getTime()).toBe(NOW + 40_000);
    const jittered = attemptOutcome(claimed({ attempts: 2, rules }), answered(500), facts(), { ...policy, random: () => 0.5 }, NOW);
    expect(jittered.nextAttemptAt?.getTime()).toBe(NOW + 42_000);
  });

  it('honours Retry-After when it asks for longer than the schedule', () => {
    const o = attemptOutcome(claimed({ attempts: 1 }), answered(429, { retryAfterMs: 120_000 }), facts(), policy, NOW);
    expect(o).toMatchObject({ status: 'SCHEDULED', responseStatus: 429 });
    expect(o.nextAttemptAt?.getTime()).toBe(NOW + 120_000);
    const shorter = attemptOutcome(claimed({ attempts: 1 }), answered(429, { retryAfterMs: 1_000 }), facts(), policy, NOW);
    expect(shorter.nextAttemptAt?.getTime()).toBe(NOW + 5_000);
  });

  it('non-retryable failure: FAILED at once, reported as a failure', () => {
    const o = attemptOutcome(claimed(), answered(400), facts(), policy, NOW);
    expect(o).toMatchObject({ status: 'FAILED', attempted: true, nextAttemptAt: null, responseStatus: 400, errorCode: 'HTTP_STATUS' });
    expect(o.failure).toEqual({
      workspaceId: 'ws_1',
      eventId: 'evt_1',
      requestId: 'req_1',
      connectionId: 'web_1',
      destinationId: 'des_1',
      eventType: null,
      attempts: 1,
      responseStatus: 400,
      errorCode: 'HTTP_STATUS',
      error: 'the receiver answered 400',
      failedAt: new Date(NOW),
    });
  });

  it('a published event’s failure names its event type', () => {
    const ev = claimed({ source_type: 'APPLICATION', body: Buffer.from('{"eventType":"order.paid","data":{}}') });
    expect(attemptOutcome(ev, answered(404), facts(), policy, NOW).failure?.eventType).toBe('order.paid');
  });

  it('exhausted retries: the last scheduled attempt fails for good', () => {
    const o = attemptOutcome(claimed({ attempts: DEFAULT_RETRY_SCHEDULE.length }), answered(503), facts(), policy, NOW);
    expect(o).toMatchObject({ status: 'FAILED', nextAttemptAt: null });
    expect(o.failure?.attempts).toBe(DEFAULT_RETRY_SCHEDULE.length + 1);
    const rules = [{ type: 'retry' as const, strategy: 'linear' as const, count: 2, interval: 1_000 }];
    expect(attemptOutcome(claimed({ attempts: 2, rules }), answered(503), facts(), policy, NOW).status).toBe('FAILED');
    expect(attemptOutcome(claimed({ attempts: 1, rules }), answered(503), facts(), policy, NOW).status).toBe('SCHEDULED');
  });

  it('410 Gone: FAILED, and the destination is disabled, or removed when its connector says so', () => {
    const gone = answered(410, { retryable: false, gone: true });
    const disabled = attemptOutcome(claimed(), gone, facts(), policy, NOW);
    expect(disabled).toMatchObject({ status: 'FAILED', gone: true, removeOnGone: false });
    const verdict = healthVerdict([disabled]);
    expect(verdict).toMatchObject({ kind: 'update', gone: true });
    expect(verdict.kind === 'update' && autoDisableReason(verdict, 1, 10)).toBe('the receiver answered 410 Gone');
    const removed = attemptOutcome(claimed(), gone, facts({ removeOnGone: true }), policy, NOW);
    expect(healthVerdict([removed])).toEqual({ kind: 'remove' });
  });
});

describe('an attempt that failed before the receiver answered', () => {
  const classify = (err: unknown, ev = claimed(), connectorKnown = true) => classifyThrown(ev, err, connectorKnown, STARTED, NOW);

  it('a transformation that fails: FAILED without retry, the connection’s fault and not the destination’s', () => {
    const thrown = classify(new TransformationFailed('THREW', 'the transformation threw: boom'));
    expect(thrown).toMatchObject({
      kind: 'failed',
      notDestination: true,
      unexpected: false,
      result: { ok: false, retryable: false, errorCode: 'TRANSFORMATION_FAILED', durationMs: 40 },
    });
    if (thrown.kind !== 'failed') throw new Error('not a failure');
    const o = attemptOutcome(claimed(), thrown.result, facts({ notDestination: thrown.notDestination }), policy, NOW);
    expect(o).toMatchObject({ status: 'FAILED', notDestination: true, errorCode: 'TRANSFORMATION_FAILED' });
    expect(o.attempt).toMatchObject({ request_url: 'https://receiver.test/hook', request_headers: '{}', error_message: 'the transformation threw: boom' });
    expect(o.failure?.errorCode).toBe('TRANSFORMATION_FAILED');
  });

  it('a body the mapping cannot shape, or too deep to serialise: PAYLOAD, final, not the destination’s fault', () => {
    for (const err of [new MappingError(0, 'email', 'no value at data.email'), new RangeError('Maximum call stack size exceeded')]) {
      const thrown = classify(err);
      if (thrown.kind !== 'failed') throw new Error('not a failure');
      expect(thrown.result).toMatchObject({ ok: false, retryable: false, errorCode: 'PAYLOAD' });
      expect(attemptOutcome(claimed(), thrown.result, facts(), policy, NOW)).toMatchObject({ status: 'FAILED', notDestination: true });
    }
    // A connector that refused a payload after the receiver answered: that answer says something of the receiver.
    const refused = answered(422, { retryable: false, errorCode: 'PAYLOAD' });
    expect(attemptOutcome(claimed(), refused, facts(), policy, NOW).notDestination).toBeUndefined();
  });

  it('an unknown destination type: CONFIG, final', () => {
    const thrown = classify(
      new Error('destination type FAX is not known to this Wirehub'),
      claimed({ destination_type: 'FAX', destination_config: {} }),
      false,
    );
    expect(thrown).toMatchObject({ kind: 'failed', result: { ok: false, retryable: false, errorCode: 'CONFIG', request: { url: 'FAX' } } });
  });

  it('a connector that throws (a bug): retried as a network failure and logged', () => {
    expect(classify(new TypeError('x is undefined'))).toMatchObject({
      kind: 'failed',
      unexpected: true,
      result: { retryable: true, errorCode: 'NETWORK', error: 'internal error: x is undefined' },
    });
  });

  it('busy transformation threads: not an attempt, the event waits its turn', () => {
    expect(classify(new SandboxBusy(750))).toEqual({ kind: 'deferred', waitMs: 750 });
    const first = deferredOutcome(claimed(), 750, NOW);
    expect(first).toMatchObject({ status: 'QUEUED', attempted: false, errorCode: null });
    expect(first.nextAttemptAt?.getTime()).toBe(NOW + 750);
    expect(first.attempt).toBeUndefined();
    expect(deferredOutcome(claimed({ attempts: 1 }), 750, NOW).status).toBe('SCHEDULED');
  });

  it('a transformed request a later filter turns away: ignored on its first delivery, CANCELLED with an attempt on a retry', () => {
    expect(classify(new TransformationFiltered())).toEqual({ kind: 'filtered' });
    expect(filteredOutcome(claimed(), undefined, STARTED, NOW)).toMatchObject({ status: 'CANCELLED', attempted: false, ignore: true, notDestination: true });
    const retried = filteredOutcome(claimed({ attempts: 2 }), undefined, STARTED, NOW);
    expect(retried).toMatchObject({ status: 'CANCELLED', attempted: true, errorCode: 'TRANSFORMATION_FILTERED', notDestination: true });
    expect(retried.attempt).toMatchObject({ attempt_number: 3, error_code: 'TRANSFORMATION_FILTERED', duration_ms: 40 });
  });
});

describe('before an attempt', () => {
  it('delivers an active event', () => {
    expect(settledBeforeAttempt(claimed(), NOW)).toBeNull();
  });

  it('holds an event whose connection is paused or disabled, or whose destination is disabled', () => {
    for (const over of [{ paused_at: new Date(NOW) }, { connection_disabled_at: new Date(NOW) }, { destination_disabled_at: new Date(NOW) }]) {
      expect(settledBeforeAttempt(claimed(over), NOW)).toMatchObject({ status: 'HOLD', attempted: false, nextAttemptAt: null });
    }
  });

  it('quarantines an event claimed too often without an outcome, naming what runs for it', () => {
    expect(settledBeforeAttempt(claimed({ claims: POISON_CLAIMS }), NOW)).toBeNull();
    const rules = [{ type: 'transformation' as const, transformation_id: 'trs_1' }];
    const o = settledBeforeAttempt(claimed({ claims: POISON_CLAIMS + 1, attempts: 1, rules }), NOW);
    expect(o).toMatchObject({
      status: 'FAILED',
      attempted: true,
      errorCode: 'QUARANTINED',
      notDestination: true,
      attempt: { attempt_number: 2, error_code: 'QUARANTINED' },
    });
    expect(o?.error).toContain('interrupted 3 times in a row');
    expect(o?.error).toContain('rules.0: the transformation trs_1');
    expect(o?.failure).toMatchObject({ errorCode: 'QUARANTINED', attempts: 2 });
  });
});

describe('what a batch of attempts says about a destination', () => {
  const at = (ev: Partial<ClaimedEvent>, result: DeliveryResult): Outcome => attemptOutcome(claimed(ev), result, facts(), policy, NOW);

  it('a healthy destination delivering: nothing to store', () => {
    expect(healthVerdict([at({}, answered(200)), at({}, answered(200))])).toEqual({ kind: 'healthy' });
  });

  it('a success resets the counts: stored when an earlier batch left failures, nothing to store when the counts were clean', () => {
    expect(healthVerdict([at({}, answered(500)), at({}, answered(200))])).toEqual({ kind: 'healthy' });
    expect(healthVerdict([at({ consecutive_failures: 4 }, answered(200))])).toMatchObject({ kind: 'update', failures: 0, succeeded: true });
    expect(healthVerdict([at({ circuit_failures: 2 }, answered(200))])).toMatchObject({ kind: 'update', unreachable: 0, reached: true });
  });

  it('timeouts in a row count towards the circuit; an answer, even a failing one, resets that count', () => {
    const timeouts = healthVerdict([at({}, timedOut()), at({}, timedOut()), at({}, timedOut())]);
    expect(timeouts).toMatchObject({ kind: 'update', failures: 3, succeeded: false, unreachable: 3, reached: false, unreachableKind: 'timeouts' });
    const answeredLast = healthVerdict([at({}, timedOut()), at({}, answered(500))]);
    expect(answeredLast).toMatchObject({ failures: 2, unreachable: 0, reached: true });
    const refused: DeliveryResult = { ok: false, retryable: true, errorCode: 'CONNECTION_REFUSED', error: 'refused', request, durationMs: 1 };
    expect(healthVerdict([at({}, answered(500)), at({}, refused)])).toMatchObject({ unreachable: 1, reached: true, unreachableKind: 'connection failures' });
  });

  it('the auto-disable threshold of consecutive failures', () => {
    const verdict = healthVerdict([at({}, answered(500))]);
    if (verdict.kind !== 'update') throw new Error('no update');
    expect(autoDisableReason(verdict, 9, 10)).toBeNull();
    expect(autoDisableReason(verdict, 10, 10)).toBe('10 consecutive failed deliveries (last: the receiver answered 500)');
  });
});
