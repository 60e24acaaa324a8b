import type { Deps } from '../deps.ts';
import type { AutoDisabled } from '../delivery/delivery-engine.ts';
import { plainReason } from '../gateway/delivery-reason.ts';
import { destinationConfig } from '../gateway/destinations.service.ts';
import { connectionLabels } from '../gateway/log-labels.ts';
import type { SourceRoutes } from '../gateway/routing-cache.ts';
import { routeRequest } from '../ingest/route-request.ts';
import { APPLICATION_SOURCE_TYPE, type ApplicationSources } from './application-source.ts';
import type { FailureWindow } from './delivery-alerts.ts';
import type { PublishService } from './publish.service.ts';

const DELIVERY_FAILED = 'hub.delivery.failed';

/**
 * Events the hub publishes about itself into the workspace's application source, so that users
 * route them like their own: a disabled webhook can page someone or land in a sheet.
 */
export function systemEvents(deps: Deps, publisher: Pick<PublishService, 'publish'>, sources: ApplicationSources) {
  /**
   * Whether a connection of the team takes this event (its subscription accepts it; a flow's own
   * filter step turning it away still counts: the log shows that step's drop). An alert nobody
   * routes is not published: a storm of failures costs a team without an alert flow nothing, and
   * its requests log does not fill with events that go nowhere.
   */
  function listened(routes: SourceRoutes, data: Record<string, unknown>): boolean {
    const body = { eventType: DELIVERY_FAILED, data };
    const routed = routeRequest({ body, headers: { 'x-wirehub-event': DELIVERY_FAILED }, query: {}, path: `/${DELIVERY_FAILED}` }, routes.routes);
    return routed.events.length > 0 || routed.ignored.some((i) => i.step !== null);
  }

  return {
    /** hub.delivery.failed for a window of one destination's failures (delivery-alerts.ts bounds how often). */
    async deliveryFailed(w: FailureWindow): Promise<void> {
      const f = w.last;
      const ws = w.workspaceId;
      // A team with no connection from its application source takes no alert: known before any query.
      const routes = await deps.routing.get(await sources.ensure(ws));
      if (!routes || routes.disabled || routes.routes.length === 0) return;
      const [labels, dest] = await Promise.all([
        connectionLabels(deps.db, ws, [f.connectionId]),
        deps.db.selectFrom('destinations').select(['name', 'config']).where('workspace_id', '=', ws).where('id', '=', f.destinationId).executeTakeFirst(),
      ]);
      const conn = labels.get(f.connectionId);
      // URLs are never secret fields: the stored config has them in the clear.
      const url = (dest?.config as { url?: unknown } | undefined)?.url;
      const state = { status: 'FAILED' as const, attempts: f.attempts, next_attempt_at: null, response_status: f.responseStatus, error_code: f.errorCode };
      const linkPath = `/events?q=${encodeURIComponent(f.eventId)}`;
      const data = {
        event_id: f.eventId,
        request_id: f.requestId,
        event_type: f.eventType,
        webhook_id: conn?.id ?? null,
        destination_id: f.destinationId,
        name: conn?.name ?? dest?.name ?? f.destinationId,
        url: typeof url === 'string' ? url : null,
        flow_id: conn?.flow?.id ?? null,
        flow_name: conn?.flow?.name ?? null,
        response_status: f.responseStatus,
        error_code: f.errorCode,
        reason: plainReason(state, conn) ?? f.error ?? 'the delivery failed',
        attempts: f.attempts,
        failed_at: f.failedAt.toISOString(),
        failed_count: w.count,
        first_failed_at: w.first.failedAt.toISOString(),
        link_path: linkPath,
        link: `${deps.config.publicUrl}${linkPath}`,
      };
      if (!listened(routes, data)) return;
      await publisher.publish(ws, {
        eventType: DELIVERY_FAILED,
        customerId: undefined,
        chatbotId: undefined,
        conversationId: undefined,
        idempotencyKey: undefined,
        data,
      });
    },

    async destinationDisabled(d: AutoDisabled): Promise<void> {
      const dest = await deps.db.selectFrom('destinations').selectAll().where('id', '=', d.destinationId).executeTakeFirst();
      if (!dest) return;
      const webhook = await deps.db
        .selectFrom('connections as c')
        .innerJoin('sources as s', 's.id', 'c.source_id')
        .select(['c.id', 'c.name'])
        .where('c.destination_id', '=', dest.id)
        .where('s.type', '=', APPLICATION_SOURCE_TYPE)
        .orderBy('c.id')
        .executeTakeFirst();
      const url = destinationConfig(deps, dest).url;
      const disabledAt = (dest.disabled_at ?? new Date()).toISOString();
      await publisher.publish(d.workspaceId, {
        eventType: 'hub.webhook.disabled',
        customerId: undefined,
        chatbotId: undefined,
        conversationId: undefined,
        // Two workers noticing the same failure publish one event.
        idempotencyKey: `hub.webhook.disabled:${dest.id}:${disabledAt}`,
        data: {
          webhook_id: webhook?.id ?? null,
          destination_id: dest.id,
          name: webhook?.name ?? dest.name,
          type: dest.type,
          url: typeof url === 'string' ? url : null,
          reason: d.reason,
          disabled_at: disabledAt,
        },
      });
    },
  };
}
