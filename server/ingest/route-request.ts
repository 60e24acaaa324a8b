import { newId } from '../core/ids.ts';
import type { EventStatus } from '../db/schema.ts';
import type { RequestView } from '../gateway/rules.ts';
import type { Route } from '../gateway/routing-cache.ts';
import type { DedupeClaim } from './dedupe.ts';

export type NewEvent = { id: string; connection_id: string; destination_id: string; lane: number; status: EventStatus };
/** `step`: the flow step (node id) whose rule turned the request away, null for a rule made by hand. */
export type NewIgnored = { id: string; connection_id: string; cause: string; step: string | null };

/**
 * What only a request that just arrived gets, index for index with `events`: the key its
 * deduplicate rule must win (else the event is ignored as DUPLICATE), and its delay.
 */
export type ArrivalRules = { dedupe: (DedupeClaim | null)[]; delayMs: number[] };

export type Routed = { events: NewEvent[]; ignored: NewIgnored[]; arrival?: ArrivalRules };

/**
 * Applies each connection's rules to one request, in the documented order: filter → deduplicate
 * → delay (the transform runs at delivery). Each connection gives an event to deliver, one on
 * hold, or an ignored one. Deduplicate and delay apply to a request that just arrived (`arrival`);
 * a manual replay of a stored request is neither a duplicate nor delayed again.
 */
export function routeRequest(view: RequestView, routes: Route[], opts: { arrival?: boolean } = {}): Routed {
  const events: NewEvent[] = [];
  const ignored: NewIgnored[] = [];
  const arrival: ArrivalRules = { dedupe: [], delayMs: [] };
  for (const r of routes) {
    const refused = firstRefusal(r, view);
    if (refused) {
      ignored.push({ id: newId('ign'), connection_id: r.connectionId, ...refused });
      continue;
    }
    const held = r.paused || r.destinationDisabled;
    const delayed = opts.arrival && !held && r.delayMs > 0;
    events.push({
      id: newId('evt'),
      connection_id: r.connectionId,
      destination_id: r.destinationId,
      lane: r.lane,
      status: held ? 'HOLD' : delayed ? 'SCHEDULED' : 'QUEUED',
    });
    arrival.dedupe.push(opts.arrival && r.dedupe ? dedupeClaim(r, view) : null);
    arrival.delayMs.push(delayed ? r.delayMs : 0);
  }
  return opts.arrival ? { events, ignored, arrival } : { events, ignored };
}

/** The first filter (in rule order) that turns the request away, and why; null when all match. */
function firstRefusal(r: Route, view: RequestView): { cause: string; step: string | null } | null {
  for (const f of r.filters) {
    try {
      if (!f.test(view)) return { cause: 'FILTERED', step: f.step };
    } catch (err) {
      // The tenant's filter, not the sender, is at fault (over its time budget, a regex over its
      // text budget): the request is kept, and the ignored event says why.
      return { cause: `FILTER_FAILED: ${(err as Error).message}`, step: f.step };
    }
  }
  return null;
}

function dedupeClaim(r: Route, view: RequestView): DedupeClaim | null {
  if (!r.dedupe) return null;
  try {
    return { connection_id: r.connectionId, key: r.dedupe.keyOf(view), window_ms: r.dedupe.windowMs, step: r.dedupeStep };
  } catch {
    // A body nested too deep to compare (stack exhausted) is delivered rather than refused.
    return null;
  }
}
