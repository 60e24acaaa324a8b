import { newId } from '../core/ids.ts';
import type { EventStatus } from '../db/schema.ts';
import type { RequestView } from '../gateway/rules.ts';
import type { Route } from '../gateway/routing-cache.ts';
import type { DedupeClaim } from './dedupe.ts';

export type NewEvent = { id: string; connection_id: string; destination_id: string; lane: number; status: EventStatus };
export type NewIgnored = { id: string; connection_id: string; cause: string };

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
    if (r.filter) {
      let cause: string | null = null;
      try {
        if (!r.filter(view)) cause = 'FILTERED';
      } catch (err) {
        // The tenant's filter, not the sender, is at fault (over its time budget, a regex over its
        // text budget): the request is kept, and the ignored event says why.
        cause = `FILTER_FAILED: ${(err as Error).message}`;
      }
      if (cause) {
        ignored.push({ id: newId('ign'), connection_id: r.connectionId, cause });
        continue;
      }
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

function dedupeClaim(r: Route, view: RequestView): DedupeClaim | null {
  if (!r.dedupe) return null;
  try {
    return { connection_id: r.connectionId, key: r.dedupe.keyOf(view), window_ms: r.dedupe.windowMs };
  } catch {
    // A body nested too deep to compare (stack exhausted) is delivered rather than refused.
    return null;
  }
}
