import type { Deps } from '../deps.ts';
import type { AutoDisabled } from '../delivery/delivery-engine.ts';
import { destinationConfig } from '../gateway/destinations.service.ts';
import type { IngestWriter } from '../ingest/ingest-writer.ts';
import { APPLICATION_SOURCE_TYPE } from './application-source.ts';
import { publishService } from './publish.service.ts';

/**
 * Events the hub publishes about itself into the workspace's application source, so that users
 * route them like their own: a disabled webhook can page someone or land in a sheet.
 */
export function systemEvents(deps: Deps, writer: IngestWriter) {
  const publisher = publishService(deps, writer);
  return {
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
