import { newId } from '../core/ids.ts';
import type { EventStatus } from '../db/schema.ts';
import type { RequestView } from '../gateway/rules.ts';
import type { Route } from '../gateway/routing-cache.ts';

export type NewEvent = { id: string; connection_id: string; destination_id: string; lane: number; status: EventStatus };
export type NewIgnored = { id: string; connection_id: string; cause: string };

/** Applies each connection's rules to one request: an event to deliver, one on hold, or an ignored one. */
export function routeRequest(view: RequestView, routes: Route[]): { events: NewEvent[]; ignored: NewIgnored[] } {
  const events: NewEvent[] = [];
  const ignored: NewIgnored[] = [];
  for (const r of routes) {
    let matches = true;
    if (r.filter) {
      try {
        matches = r.filter(view);
      } catch {
        matches = false;
      }
    }
    if (!matches) {
      ignored.push({ id: newId('ign'), connection_id: r.connectionId, cause: 'FILTERED' });
      continue;
    }
    events.push({
      id: newId('evt'),
      connection_id: r.connectionId,
      destination_id: r.destinationId,
      lane: r.lane,
      status: r.paused || r.destinationDisabled ? 'HOLD' : 'QUEUED',
    });
  }
  return { events, ignored };
}
