import type { Agent } from 'undici';
import type { z } from 'zod';
import { connectorFor } from '../../connectors/index.ts';
import type { Connector, DeliveryContext, DeliveryResult } from '../../connectors/types.ts';
import type { Deps } from '../deps.ts';
import { destinationConfig } from '../gateway/destination-config.ts';
import {
  attemptOutcome,
  classifyThrown,
  deferredOutcome,
  filteredOutcome,
  settledBeforeAttempt,
  type AttemptFacts,
  type DeliveryFailure,
  type Outcome,
} from './attempt.ts';
import { claimDueEvents, NO_LOAD, type ClaimedEvent, type ClaimRoom } from './claim.ts';
import { DestinationHealth, type AutoDisabled } from './destination-health.ts';
import { createDispatcher, deliveryContext } from './dispatcher.ts';
import { OutcomeWriter } from './outcome-writer.ts';
import { type OutboundShaper, outboundMessage, shaperFor } from './outbound.ts';
import { RateLimiter } from './rate-limiter.ts';

type AnyConnector = Connector<z.ZodType>;

// The engine's parts name these types; callers import them from the engine they use.
export type { ClaimedEvent, ClaimRoom } from './claim.ts';
export type { DeliveryFailure } from './attempt.ts';
export type { AutoDisabled } from './destination-health.ts';

export type EngineHooks = {
  /** Awaited after the destination is disabled; errors are logged. */
  onAutoDisabled?: (d: AutoDisabled) => Promise<void>;
  /** Called (not awaited) once a batch's outcomes are stored, with the events in it that failed for good; it must not block. */
  onDeliveryFailed?: (failures: DeliveryFailure[]) => void;
};

/**
 * Delivers claimed events and records what happened: the coordinator of the delivery's parts.
 * `claim.ts` leases due events fairly, the engine shapes, signs and hands each to its connector,
 * `attempt.ts` decides (purely) what the result means for the event, `outcome-writer.ts` stores
 * outcomes in batches and `destination-health.ts` learns from them (failures, circuit, auto-disable).
 */
export class DeliveryEngine {
  readonly dispatcher: Agent;
  private readonly limiter = new RateLimiter();
  private readonly shaper: OutboundShaper;
  private readonly outcomes: OutcomeWriter;
  // Every config write seals a fresh ciphertext (new IV), so it is a safe key for the parsed config.
  private readonly parsed = new Map<string, unknown>();

  constructor(
    private readonly deps: Deps,
    hooks: EngineHooks = {},
  ) {
    this.dispatcher = createDispatcher(deps.config, 64);
    this.shaper = shaperFor(deps);
    const health = new DestinationHealth(deps, hooks);
    this.outcomes = new OutcomeWriter(deps, (batch) => health.learn(batch), hooks);
  }

  /** Leases up to `limit` due events of a lane, shared fairly (claimDueEvents says how). */
  claim(lane: number, limit: number, room: ClaimRoom = NO_LOAD): Promise<{ events: ClaimedEvent[]; walkEnd: string }> {
    if (this.deps.tracing === null) return claimDueEvents(this.deps.db, this.deps.config, lane, limit, room);
    return this.claimTraced(lane, limit, room);
  }

  /**
   * The claim, then its requests' traceparents in one more query: only while traces are exported,
   * so the claim's statement (a function planned once per connection) stays as it is otherwise.
   */
  private async claimTraced(lane: number, limit: number, room: ClaimRoom): Promise<{ events: ClaimedEvent[]; walkEnd: string }> {
    const claimed = await claimDueEvents(this.deps.db, this.deps.config, lane, limit, room);
    if (claimed.events.length === 0) return claimed;
    const rows = await this.deps.db
      .selectFrom('requests')
      .select(['id', 'traceparent'])
      .where('id', 'in', [...new Set(claimed.events.map((e) => e.request_id))])
      .where('traceparent', 'is not', null)
      .execute()
      .catch((err: Error) => {
        // A trace missing its deliveries is better than deliveries waiting for a trace.
        this.deps.log.warn({ err: err.message }, 'could not read the traceparents of claimed events');
        return [];
      });
    const byRequest = new Map(rows.map((r) => [r.id, r.traceparent]));
    for (const ev of claimed.events) ev.traceparent = byRequest.get(ev.request_id) ?? null;
    return claimed;
  }

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
    const outcome = await this.attempt(ev);
    this.outcomes.push(outcome);
    const a = outcome.attempt;
    // Recorded after the fact, from what the attempt row holds: tracing stays out of the attempt's way.
    if (this.deps.tracing !== null && a) {
      this.deps.tracing.attempted(ev.traceparent ?? null, {
        eventId: ev.id,
        requestId: ev.request_id,
        destinationId: ev.destination_id,
        destinationType: ev.destination_type,
        attemptNumber: a.attempt_number,
        status: outcome.status,
        responseStatus: outcome.responseStatus,
        errorCode: outcome.errorCode,
        startedAt: a.created_at instanceof Date ? a.created_at : new Date(),
        durationMs: a.duration_ms,
      });
    }
  }

  /** What delivering one claimed event comes to; never throws. */
  private async attempt(ev: ClaimedEvent): Promise<Outcome> {
    const now = Date.now();
    const settled = settledBeforeAttempt(ev, now);
    if (settled) return settled;
    const connector = connectorFor(ev.destination_type);
    // Rate limits and URLs are never secret fields: the plain config has them without a decryption.
    const config = ev.destination_config;
    const rateLimit = typeof config.rate_limit === 'number' ? config.rate_limit : null;
    const period = (config.rate_limit_period ?? 'second') as 'second' | 'minute' | 'hour';
    const wait = this.limiter.reserve(ev.destination_id, rateLimit, period, ev.id, now);
    if (wait > 5) return deferredOutcome(ev, wait, now);
    const facts: AttemptFacts = {
      started: new Date(),
      shaped: null,
      execution: undefined,
      notDestination: false,
      removeOnGone: connector?.onGone === 'remove',
    };
    let result: DeliveryResult;
    try {
      if (!connector) throw new Error(`destination type ${ev.destination_type} is not known to this Wirehub`);
      const shaped = await this.shaper.shape(ev, { record: (e) => (facts.execution = e) });
      facts.shaped = shaped;
      const secret = ev.signing_secret_enc ? this.deps.box.open(ev.signing_secret_enc) : await this.deps.delivery.signingSecret(ev.workspace_id);
      const previous = connector.tracksRecords ? await this.previousRecordId(ev) : undefined;
      result = await connector.deliver(
        this.context({ id: ev.destination_id, workspaceId: ev.workspace_id }),
        this.parsedConfig(connector, ev),
        outboundMessage(shaped, facts.started, secret, previous),
      );
    } catch (err) {
      const at = Date.now();
      const thrown = classifyThrown(ev, err, connector !== undefined, facts.started, at);
      if (thrown.kind === 'deferred') return deferredOutcome(ev, thrown.waitMs, at);
      if (thrown.kind === 'filtered') return filteredOutcome(ev, facts.execution, facts.started, at);
      if (thrown.unexpected) this.deps.log.error({ err, eventId: ev.id }, 'connector failed unexpectedly');
      result = thrown.result;
      facts.notDestination = thrown.notDestination;
    }
    // The config is the retry policy (its retrySchedule): no policy object per delivery.
    return attemptOutcome(ev, result, facts, this.deps.config, Date.now());
  }

  context(destination?: DeliveryContext['destination']): DeliveryContext {
    return deliveryContext(this.deps.config, this.dispatcher, { destination, mockApi: this.deps.delivery.mockApi });
  }

  /** Writes buffered outcomes; resolves when everything buffered before the call is stored. */
  flush(): Promise<void> {
    return this.outcomes.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    await this.dispatcher.close();
  }
}
