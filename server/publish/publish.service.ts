import { sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { isoSeconds } from '../core/time.ts';
import type { Deps } from '../deps.ts';
import type { SourceRoutes } from '../gateway/routing-cache.ts';
import { payloadSummary } from '../gateway/payload-summary.ts';
import type { IngestWriter, StoredRequest } from '../ingest/ingest-writer.ts';
import { routeRequest } from '../ingest/route-request.ts';
import type { ApplicationSources } from './application-source.ts';
import type { PublishedEvent } from '../../shared/envelope.ts';
import { eventTypeName, type EventTypesService } from './event-types.service.ts';
import { summary } from './json-schema.ts';

// No-code tools often send an empty field as null: it means "not given".
const optionalId = z
  .string()
  .min(1)
  .max(255)
  .nullish()
  .transform((v) => v ?? undefined);

export const PublishIn = z
  .object({
    eventType: eventTypeName,
    data: z.record(z.string(), z.unknown()),
    customerId: optionalId,
    chatbotId: optionalId,
    conversationId: optionalId,
    idempotencyKey: optionalId,
  })
  .strict();
export type PublishInT = z.output<typeof PublishIn>;

// Declared with the envelope that wraps it, which the gateway's rules read without the publish service.
export type { PublishedEvent };

export type PublishOut = { eventId: string; replayed: boolean };

/** A key is reused within this window to answer with the first event; after it, it publishes anew. */
const IDEMPOTENCY_WINDOW = sql<Date>`now() - interval '24 hours'`;
const ABANDONED_AFTER = sql<Date>`now() - interval '1 minute'`;
/** How long a repeated key waits for the first publish with it to be stored. */
const IN_FLIGHT_WAIT_MS = 5000;

type Claim = { owned: true } | { owned: false; eventId: string };

export type PublishService = ReturnType<typeof publishService>;
export type PublishCollaborators = { eventTypes: Pick<EventTypesService, 'resolve'>; sources: ApplicationSources };

export function publishService(deps: Deps, writer: IngestWriter, { eventTypes, sources }: PublishCollaborators) {
  const { db } = deps;

  /**
   * Takes the idempotency key for this publish, or finds who has it. The row is written before
   * the event, so two concurrent publishes with one key cannot both publish: the second waits on
   * the first's row and is answered with its event id once that event is stored.
   */
  async function claim(ws: string, key: string, eventId: string, requestId: string): Promise<Claim> {
    const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
    for (;;) {
      const taken = await db
        .insertInto('publish_keys')
        .values({ workspace_id: ws, idempotency_key: key, event_id: eventId, request_id: requestId })
        .onConflict((oc) =>
          oc
            .columns(['workspace_id', 'idempotency_key'])
            .doUpdateSet({ event_id: eventId, request_id: requestId, created_at: sql<Date>`now()` })
            .where((eb) =>
              eb.or([
                // An expired key is taken over in place: a publish after 24 h is a new one.
                eb('publish_keys.created_at', '<=', IDEMPOTENCY_WINDOW),
                // So is one whose publish never got stored and could not give the key back (the
                // database went away in between): no write is still running after a minute.
                eb.and([
                  eb('publish_keys.created_at', '<=', ABANDONED_AFTER),
                  eb.not(eb.exists(eb.selectFrom('requests').select('requests.id').whereRef('requests.id', '=', 'publish_keys.request_id'))),
                ]),
              ]),
            ),
        )
        .returning('event_id')
        .executeTakeFirst();
      if (taken) return { owned: true };

      const first = await db
        .selectFrom('publish_keys')
        .select(['event_id', 'request_id'])
        .where('workspace_id', '=', ws)
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
      if (first) {
        const stored = await db.selectFrom('requests').select('id').where('id', '=', first.request_id).executeTakeFirst();
        if (stored) return { owned: false, eventId: first.event_id };
      }
      // Either the first publish is still being written, or it failed and gave the key back.
      if (Date.now() > deadline) {
        throw new AppError(409, 'IDEMPOTENCY_KEY_IN_USE', 'A publish with this idempotency key is still in progress; retry shortly.', undefined, {
          'Retry-After': '1',
        });
      }
      await new Promise((r) => setTimeout(r, first ? 20 : 0));
    }
  }

  const release = (ws: string, key: string, eventId: string) =>
    db.deleteFrom('publish_keys').where('workspace_id', '=', ws).where('idempotency_key', '=', key).where('event_id', '=', eventId).execute();

  async function applicationRoutes(ws: string): Promise<SourceRoutes> {
    let routes = await deps.routing.get(await sources.ensure(ws));
    if (!routes) {
      // The cached id is stale (the source was removed behind our back): find or make it again.
      sources.forget(ws);
      routes = await deps.routing.get(await sources.ensure(ws));
    }
    if (!routes) throw new AppError(503, 'SERVICE_UNAVAILABLE', 'The application source could not be found; retry shortly.', undefined, { 'Retry-After': '5' });
    if (routes.disabled) {
      throw new AppError(
        409,
        'SOURCE_DISABLED',
        `The application source ${routes.id} is disabled, so published events would go nowhere; enable it to publish.`,
      );
    }
    return routes;
  }

  async function store(ws: string, routes: SourceRoutes, event: PublishedEvent, requestId: string): Promise<void> {
    const headers = { 'content-type': 'application/json', 'x-wirehub-event': event.eventType };
    const request: StoredRequest = {
      id: requestId,
      workspace_id: ws,
      source_id: routes.id,
      status: 'accepted',
      rejection_cause: null,
      // The publisher proved who it is with an API key.
      verified: true,
      method: 'POST',
      path: `/${event.eventType}`,
      query: {},
      headers,
      content_type: headers['content-type'],
      body: Buffer.from(JSON.stringify(event)),
      summary: payloadSummary(event.data),
      event_type: event.eventType,
    };
    // Exactly what ingest does with an inbound webhook: the same filters, events and delivery lanes.
    await writer.write(request, routeRequest({ body: event, headers, query: {}, path: request.path }, routes.routes, { arrival: true }));
  }

  return {
    async publish(ws: string, input: PublishInT): Promise<PublishOut> {
      const type = await eventTypes.resolve(ws, input.eventType);
      const problems = type.check ? await type.check(input.data, 'data') : [];
      if (problems.length) {
        throw new AppError(422, 'INVALID_EVENT_DATA', `The data does not match the schema of "${type.name}": ${summary(problems)}`, problems);
      }

      const eventId = newId('msg');
      const requestId = newId('req');
      const key = input.idempotencyKey;
      if (key) {
        const claimed = await claim(ws, key, eventId, requestId);
        if (!claimed.owned) return { eventId: claimed.eventId, replayed: true };
      }
      try {
        const routes = await applicationRoutes(ws);
        const event: PublishedEvent = {
          eventType: type.name,
          eventId,
          eventTimestamp: isoSeconds(),
          customerId: input.customerId ?? ws,
          ...(input.chatbotId ? { chatbotId: input.chatbotId } : {}),
          ...(input.conversationId ? { conversationId: input.conversationId } : {}),
          data: input.data,
        };
        await store(ws, routes, event, requestId).catch((err: unknown) => {
          deps.log.error({ err }, 'publish could not store an event');
          throw new AppError(
            503,
            'SERVICE_UNAVAILABLE',
            'The event could not be stored; retry it shortly (with the same idempotencyKey, it is published once).',
            undefined,
            { 'Retry-After': '5' },
          );
        });
      } catch (err) {
        // Nothing was published: give the key back so that a retry publishes.
        if (key) await release(ws, key, eventId).catch((e: unknown) => deps.log.error({ err: e }, 'could not release an idempotency key'));
        throw err;
      }
      return { eventId, replayed: false };
    },
  };
}
