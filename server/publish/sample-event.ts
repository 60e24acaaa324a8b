import { newId } from '../core/ids.ts';
import { isoSeconds } from '../core/time.ts';
import type { Deps } from '../deps.ts';
import type { ApplicationSources } from './application-source.ts';
import { isPublishedEvent, type PublishedEvent } from '../../shared/envelope.ts';
import type { EventTypesService } from './event-types.service.ts';

/**
 * A published event made of an event type's sample (or given data), for previews and test
 * deliveries. Data without a type needs no declared type: it is an unnamed `sample` event.
 */
export async function sampleEvent(
  eventTypes: Pick<EventTypesService, 'resolve' | 'get'>,
  ws: string,
  eventType: string | undefined,
  data?: Record<string, unknown>,
): Promise<PublishedEvent> {
  if (eventType === undefined) return { eventType: 'sample', eventId: newId('msg'), eventTimestamp: isoSeconds(), customerId: ws, data: data ?? {} };
  const type = await eventTypes.resolve(ws, eventType);
  const sample = data ?? ((await eventTypes.get(ws, type.name)).sample as Record<string, unknown>);
  return { eventType: type.name, eventId: newId('msg'), eventTimestamp: isoSeconds(), customerId: ws, data: sample };
}

/** The latest events of a type published in the workspace, newest first, as stored by the application source. */
export async function recentEvents(
  deps: Pick<Deps, 'db'>,
  sources: ApplicationSources,
  ws: string,
  eventType: string,
  limit: number,
): Promise<PublishedEvent[]> {
  const sourceId = await sources.ensure(ws);
  const rows = await deps.db
    .selectFrom('requests')
    .select('body')
    .where('source_id', '=', sourceId)
    .where('path', '=', `/${eventType}`)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => JSON.parse(row.body.toString('utf8')) as unknown).filter(isPublishedEvent);
}
