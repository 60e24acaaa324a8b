import { newId } from '../core/ids.ts';
import { isoSeconds } from '../core/time.ts';
import type { Deps } from '../deps.ts';
import { eventTypesService } from './event-types.service.ts';
import type { PublishedEvent } from './publish.service.ts';

/**
 * A published event made of an event type's sample (or given data), for previews and test
 * deliveries. Data without a type needs no declared type: it is an unnamed `sample` event.
 */
export async function sampleEvent(deps: Pick<Deps, 'db'>, ws: string, eventType: string | undefined, data?: Record<string, unknown>): Promise<PublishedEvent> {
  if (eventType === undefined) return { eventType: 'sample', eventId: newId('msg'), eventTimestamp: isoSeconds(), customerId: ws, data: data ?? {} };
  const type = await eventTypesService(deps).resolve(ws, eventType);
  const sample = data ?? ((await eventTypesService(deps).get(ws, type.name)).sample as Record<string, unknown>);
  return { eventType: type.name, eventId: newId('msg'), eventTimestamp: isoSeconds(), customerId: ws, data: sample };
}
