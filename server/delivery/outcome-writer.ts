import { sql, type Transaction } from 'kysely';
import { newId } from '../core/ids.ts';
import type { DB, NewAttempt } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import type { DeliveryFailure, Outcome } from './attempt.ts';

/** A retry due sooner than this wakes its lane when stored, instead of waiting for the lane's next poll. */
const SHORT_RETRY_MS = 1000;
/** A batch this large is written at once; a smaller one waits this long for company. */
const BATCH_SIZE = 256;
const BATCH_WAIT_MS = 2;

/**
 * Records delivery outcomes in batches (one INSERT for attempts, one UPDATE for events) so recording
 * stays cheap at thousands of deliveries a second. Once a batch is stored, the events in it that
 * failed for good are reported, `stored` learns from it (destination health), and lanes with a
 * retry due within a second are woken.
 */
export class OutcomeWriter {
  private buffer: Outcome[] = [];
  private flushing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: Pick<Deps, 'db' | 'log' | 'wake' | 'metrics'>,
    private readonly stored: (batch: Outcome[]) => Promise<void>,
    private readonly hooks: {
      /** Called (not awaited) once a batch's outcomes are stored, with the events in it that failed for good; it must not block. */
      onDeliveryFailed?: (failures: DeliveryFailure[]) => void;
    },
  ) {}

  push(outcome: Outcome): void {
    if (outcome.attempt) this.deps.metrics.attempt(outcome.destinationId, outcome.status, outcome.attempt.duration_ms);
    this.buffer.push(outcome);
    if (this.buffer.length >= BATCH_SIZE) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), BATCH_WAIT_MS);
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
    await this.stored(batch);
    const soon = batch.filter((o) => o.nextAttemptAt && o.nextAttemptAt.getTime() - Date.now() < SHORT_RETRY_MS).map((o) => o.lane);
    if (soon.length > 0) this.deps.wake([...new Set(soon)]);
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

/** Turns delivery events into ignored ones (see filteredOutcome in attempt.ts), keeping their requests' counts right. */
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
