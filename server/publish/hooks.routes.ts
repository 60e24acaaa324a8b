import { Router, type Request } from 'express';
import { z } from 'zod';
import { ZapierConfigSchema, zapierConnector, zapierPayload } from '../../connectors/zapier/index.ts';
import { authOf } from '../auth/auth.middleware.ts';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { body, idParam } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { checkDestinationUrls, deleteDestination, destinationConfig } from '../gateway/destinations.service.ts';
import { insertApplicationPair } from './application-pair.ts';
import { RulesSchema } from '../gateway/rules.ts';
import { wrap } from '../../shared/envelope.ts';
import { eventTypeName } from './event-types.service.ts';
import { recentEvents, sampleEvent } from './sample-event.ts';
import type { Services } from '../services.ts';

// Zapier sends exactly these two; anything else is a client bug worth a clear 400.
export const HookIn = z.object({ target_url: ZapierConfigSchema.shape.url, event: eventTypeName }).strict();
const SAMPLES = 10;

/**
 * Zapier REST hooks: a subscription is a `zapier` destination plus a connection from the
 * application source filtered on one event type, so its deliveries are logged, retried and
 * replayable like any other. A target answering 410 Gone removes it (the connector's `onGone`).
 */
export function hooksRoutes(deps: Deps, { eventTypes, applicationSources: sources }: Pick<Services, 'eventTypes' | 'applicationSources'>): Router {
  const r = Router();
  const { db } = deps;
  const ws = (req: Request) => authOf(req).workspaceId;
  const subscriptions = (workspaceId: string) =>
    db
      .selectFrom('connections as c')
      .innerJoin('destinations as d', 'd.id', 'c.destination_id')
      .where('c.workspace_id', '=', workspaceId)
      .where('d.type', '=', zapierConnector.id)
      .select(['c.id', 'c.created_at', 'd.id as destination_id', 'd.config', 'd.auth_enc']);
  const hookOut = (row: { id: string; created_at: Date; config: Record<string, unknown>; auth_enc: string | null }) => {
    const config = destinationConfig(deps, row);
    return { id: row.id, target_url: config.url, event: config.event, created_at: row.created_at };
  };

  r.get('/hooks', async (req, res) => {
    const models = (await subscriptions(ws(req)).orderBy('c.id').execute()).map(hookOut);
    res.json({ models, count: models.length });
  });

  r.post('/hooks', async (req, res) => {
    const workspaceId = ws(req);
    const input = body(req, HookIn);
    const type = await eventTypes.resolve(workspaceId, input.event).catch((err: unknown) => {
      // Zapier's field is `event`; name it, not publish's `eventType`.
      if (err instanceof AppError && err.code === 'UNKNOWN_EVENT_TYPE')
        throw new AppError(422, err.code, err.message, [{ path: 'event', message: `unknown event type "${input.event}"` }]);
      throw err;
    });
    const config = ZapierConfigSchema.parse({ url: input.target_url, event: type.name });
    checkDestinationUrls(deps, zapierConnector, config);
    const sourceId = await sources.ensure(workspaceId);
    // Zapier names nothing; a short random suffix keeps the names unique per subscription.
    const name = `zapier ${type.name} ${newId('web').slice(-8)}`;
    const { conn: row } = await db.transaction().execute((trx) =>
      insertApplicationPair(trx, deps, {
        workspaceId,
        sourceId,
        name,
        description: `Zapier subscription to ${type.name}`,
        connector: zapierConnector,
        config,
        rules: RulesSchema.parse([{ type: 'filter', body: { eventType: type.name } }]),
      }),
    );
    deps.routing.invalidate();
    res.status(201).json({ id: row.id, target_url: config.url, event: type.name, created_at: row.created_at });
  });

  r.delete('/hooks/:id', async (req, res) => {
    const id = idParam(req, 'web', 'Subscription');
    const sub = await subscriptions(ws(req)).where('c.id', '=', id).executeTakeFirst();
    if (!sub) throw notFound('Subscription', id);
    await deleteDestination(db, ws(req), sub.destination_id);
    deps.routing.invalidate();
    res.json({ id, deleted: true });
  });

  /** Zapier's performList: recent real events of the type as a subscriber receives them, newest first. */
  r.get('/hooks/samples/:event', async (req, res) => {
    const workspaceId = ws(req);
    const type = await eventTypes.resolve(workspaceId, String(req.params.event));
    const events = await recentEvents(deps, sources, workspaceId, type.name, SAMPLES);
    if (events.length === 0) events.push(await sampleEvent(eventTypes, workspaceId, type.name));
    res.json(events.map((e) => zapierPayload(wrap('flat', e, workspaceId, e.data), e.eventId)));
  });
  return r;
}
