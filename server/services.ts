import type { Deps } from './deps.ts';
import { apiKeysService } from './auth/api-keys.service.ts';
import { invitesService } from './auth/invites.service.ts';
import { teamsService } from './auth/teams.service.ts';
import { chatbotsService } from './chat/chatbots.service.ts';
import { bulkOperationsService } from './gateway/bulk-operations.service.ts';
import { connectionsService } from './gateway/connections.service.ts';
import { dashboardService } from './gateway/dashboard.service.ts';
import { destinationsService } from './gateway/destinations.service.ts';
import { eventsLogService } from './gateway/events-log.service.ts';
import { metricsService } from './gateway/metrics.service.ts';
import { mockApiService } from './gateway/mock-api.service.ts';
import { requestsLogService } from './gateway/requests-log.service.ts';
import { sourcesService } from './gateway/sources.service.ts';
import { ApplicationSources } from './publish/application-source.ts';
import { eventTypesService } from './publish/event-types.service.ts';
import { flowConnections } from './flows/flow-connection.ts';
import { flowSync } from './flows/flow-sync.ts';
import { flowTester } from './flows/flow-test.ts';
import { flowsService } from './flows/flows.service.ts';
import { incomingWebhooks } from './flows/incoming-webhook.ts';
import { publishService } from './publish/publish.service.ts';
import { sourceSamples } from './flows/source-sample.ts';
import { usedByService } from './flows/used-by.service.ts';
import { webhooksService } from './publish/webhooks.service.ts';
import type { IngestWriter } from './ingest/ingest-writer.ts';
import { quotasService } from './operator/quotas.service.ts';
import { credentialsService } from './settings/credentials.service.ts';
import { googleFilesService } from './settings/google-files.ts';
import { googleOAuthService } from './settings/google-oauth.service.ts';
import { transformationsService } from './transformations/transformations.service.ts';

/**
 * The composition root: every domain service is built here, once per running Wirehub, and handed
 * the other services it uses; routes and jobs receive the ones they serve. No service builds
 * another, so a service holding state (the application sources' cache of ids) is shared by all
 * its users without a module-level registry, and a newcomer reads here what depends on what.
 */
export function buildServices(deps: Deps, writer: IngestWriter) {
  const applicationSources = new ApplicationSources(deps);
  const credentials = credentialsService(deps);
  const eventTypes = eventTypesService(deps);
  const transformations = transformationsService(deps);
  const sources = sourcesService(deps);
  const destinations = destinationsService(deps, credentials);
  const connections = connectionsService(deps, transformations);
  const webhooks = webhooksService(deps, { sources: applicationSources, eventTypes, destinations, connections });
  const publisher = publishService(deps, writer, { eventTypes, sources: applicationSources });
  const samples = sourceSamples(deps);
  return {
    applicationSources,
    credentials,
    eventTypes,
    transformations,
    sources,
    destinations,
    connections,
    webhooks,
    publisher,
    sourceSamples: samples,
    flows: flowsService(deps, flowSync(deps, { hooks: webhooks, connections, eventTypes, credentials, sources: applicationSources })),
    flowTester: flowTester(deps, { eventTypes, credentials, sources: applicationSources }),
    flowConnections: flowConnections(deps, credentials),
    incomingWebhooks: incomingWebhooks(deps, sources),
    usedBy: usedByService(deps, eventTypes),
    googleOAuth: googleOAuthService(deps, credentials),
    googleFiles: googleFilesService(deps, credentials),
    eventsLog: eventsLogService(deps),
    requestsLog: requestsLogService(deps),
    bulkOperations: bulkOperationsService(deps),
    metrics: metricsService(deps.db),
    dashboard: dashboardService(deps.db),
    mockApi: mockApiService(deps.db),
    chatbots: chatbotsService(deps),
    apiKeys: apiKeysService(deps),
    teams: teamsService(deps),
    invites: invitesService(deps),
    quotas: quotasService(deps),
  };
}

export type Services = ReturnType<typeof buildServices>;
