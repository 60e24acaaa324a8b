import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import express, { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Config } from './config.ts';
import { apiKeyRoutes } from './auth/api-keys.routes.ts';
import { apiRateLimit, authenticate, requireScopeByMethod, requireScopeFor } from './auth/auth.middleware.ts';
import { accountRoutes, publicAuthRoutes } from './auth/auth.routes.ts';
import { googleAuthRoutes } from './auth/google.routes.ts';
import { inviteRoutes, publicInviteRoutes } from './auth/invites.routes.ts';
import { teamRoutes } from './auth/teams.routes.ts';
import { SecretBox } from './core/crypto.ts';
import { AppError, errorMiddleware, routeNotFound } from './core/errors.ts';
import { refuseNul } from './core/nul.ts';
import { createLogger, type Logger } from './core/logger.ts';
import { refuseDeepJson } from './core/json-depth.ts';
import { loadSecretKey } from './core/secret-key.ts';
import { openDatabase } from './db/database.ts';
import type { Deps } from './deps.ts';
import { buildServices, type Services } from './services.ts';
import type { DeliveryPorts } from './delivery/ports.ts';
import { createWaker, listenForWakeups } from './delivery/wake.ts';
import { ConnectionIn, ConnectionPatch } from './gateway/connections.service.ts';
import { deleteDestination, DestinationIn, DestinationPatch } from './gateway/destinations.service.ts';
import { destinationTestRoutes } from './gateway/destination-test.routes.ts';
import { eventsRoutes } from './gateway/events.routes.ts';
import { metricsRoutes } from './gateway/metrics.routes.ts';
import { mockApiRoutes } from './gateway/mock-api.routes.ts';
import { mockApiRecorder } from './gateway/mock-api.service.ts';
import { usedByRoutes } from './flows/used-by.routes.ts';
import { projectSecretsRoutes } from './gateway/project-secrets.routes.ts';
import { ensureProjectSecrets } from './gateway/project-secrets.service.ts';
import { requestsRoutes } from './gateway/requests.routes.ts';
import { bulkOperationsRoutes } from './gateway/bulk-operations.routes.ts';
import { resourceRoutes } from './gateway/resource-routes.ts';
import { RoutingCache } from './gateway/routing-cache.ts';
import { SourceIn, SourcePatch } from './gateway/sources.service.ts';
import { idParam } from './core/validate.ts';
import { authOf } from './auth/auth.middleware.ts';
import { eventTypesRoutes } from './publish/event-types.routes.ts';
import { countPublishes, publishEndpoint, publishHandler } from './publish/publish.routes.ts';
import { systemEvents } from './publish/system-events.ts';
import { DeliveryAlerts } from './publish/delivery-alerts.ts';
import { webhooksRoutes } from './publish/webhooks.routes.ts';
import { hooksRoutes } from './publish/hooks.routes.ts';
import { flowsRoutes } from './flows/flows.routes.ts';
import { credentialsRoutes } from './settings/credentials.routes.ts';
import { googleOAuthCallbackRoutes, googleOAuthRoutes } from './settings/google-oauth.routes.ts';
import { IngestWriter, inProgress, refuseBeforeExpress } from './ingest/ingest-writer.ts';
import { ingestEndpoint } from './ingest/ingest.routes.ts';
import { startJobs, type Jobs } from './jobs/agenda.ts';
import { chatbotsRoutes } from './chat/chatbots.routes.ts';
import { chatPreviewRoutes } from './chat/chat-preview.routes.ts';
import type { ChatDeps } from './chat/chat-deps.ts';
import { publicChatRoutes } from './chat/public-chat.routes.ts';
import { ratingsRoutes } from './chat/ratings.routes.ts';
import { publicInfoRoutes } from './chat/public-info.routes.ts';
import { healthRoutes } from './health.routes.ts';
import { HubMetrics } from './core/prometheus.ts';
import { prometheusRoutes } from './prometheus.routes.ts';
import { startTracing } from './core/tracing.ts';
import { VERSION } from './version.ts';
import { securityHeaders } from './security-headers.ts';
import { createSandbox } from './transformations/sandbox.ts';
import { transformationsRoutes } from './transformations/transformations.routes.ts';
import { lazySandbox } from './transformations/transformation-runner.ts';
import { ApiKeyCache } from './auth/api-key-cache.ts';
import { EventQuotas } from './operator/event-quota.ts';
import { operatorRoutes } from './operator/operator.routes.ts';
import { docsRoutes, openApiRoutes } from './openapi/openapi.routes.ts';

export type Wirehub = {
  deps: Deps;
  app: express.Express;
  server: http.Server;
  url: string;
  jobs: Jobs | null;
  close(): Promise<void>;
};

const JSON_TYPES = ['application/json', 'application/*+json'];

/** Resolves when `done` does, or after `ms`, whichever comes first. */
function settledWithin(ms: number, done: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Where the API answers: `/api`, and the bases seed 002's clients are written for — its public
 * `/v1` and its dashboard's `/api/control` — each with or without the version segment.
 */
export const API_BASES = ['/api/control', '/api', '/v1'];
export const PUBLISH_PATHS = ['/api/publish', '/api/v1/publish', '/v1/publish', '/api/control/publish', '/api/control/v1/publish'];
const isPublishPath = (p: string) => PUBLISH_PATHS.includes(p);
const isApiPath = (p: string) => API_BASES.some((b) => p === b || p.startsWith(`${b}/`));

/** Every write takes JSON; anything else is refused up front rather than misread. */
const jsonOnly: express.RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(JSON_TYPES)) throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON with Content-Type: application/json.');
  next();
};
const parseJson = express.json({ limit: '1mb', type: JSON_TYPES, verify: refuseDeepJson });

/**
 * The API: public routes, then every route that wants a credential behind one guard (rate limits,
 * authentication, scope). `publish` is the same guard in front of POST /publish, for app.ts to
 * mount ahead of everything else: the busiest route of the API then walks past no other router
 * (they were a tenth of a publish's CPU). Same limiter instances, so a key has one budget.
 */
function apiRouter(
  deps: Deps,
  services: Services,
  writer: IngestWriter,
): { api: Router; publish: express.RequestHandler[]; rateLimits: express.RequestHandler[] } {
  const chat: ChatDeps = { ...deps, publisher: services.publisher };
  const api = Router();
  api.use(jsonOnly, parseJson);
  api.use(refuseNul());
  api.use(
    '/auth/signup',
    rateLimit({
      windowMs: 60_000,
      limit: 20,
      handler: (_q, res) => void res.status(429).json({ error: { code: 'RATE_LIMITED', message: 'Too many sign-ups from this address; wait a minute.' } }),
    }),
  );
  // One budget for both ways of logging in, so alternating between them buys no extra guesses.
  api.use(
    ['/auth/login', '/auth/google/login'],
    rateLimit({
      windowMs: 60_000,
      limit: 30,
      handler: (_q, res) => void res.status(429).json({ error: { code: 'RATE_LIMITED', message: 'Too many log-in attempts; wait a minute.' } }),
    }),
  );
  api.use(publicAuthRoutes(chat, services));
  api.use(googleAuthRoutes(deps));
  api.use(googleOAuthCallbackRoutes(services.googleOAuth));
  api.use(publicInviteRoutes(services.invites));
  api.use(publicInfoRoutes(deps));
  api.use(openApiRoutes());

  const rateLimits = apiRateLimit(deps.config.apiRateLimitPerMinute);
  // The operator's own credential, never a team's: ahead of the guard, which would take it for a key.
  api.use('/operator', ...rateLimits);
  api.use(operatorRoutes(deps, services.quotas));
  const guard = [...rateLimits, authenticate(deps), requireScopeByMethod];
  const secured = Router();
  secured.use(...guard);
  secured.use(accountRoutes(deps));
  secured.use(teamRoutes(deps, services.teams));
  secured.use(inviteRoutes(services.invites));
  secured.use(apiKeyRoutes(services.apiKeys));
  secured.use(projectSecretsRoutes(deps));
  secured.use(resourceRoutes('/sources', 'src', 'Source', { create: SourceIn, patch: SourcePatch }, services.sources));
  secured.use(destinationTestRoutes(deps));
  secured.use(mockApiRoutes(services.mockApi));
  secured.use(resourceRoutes('/destinations', 'des', 'Destination', { create: DestinationIn, patch: DestinationPatch }, services.destinations));
  const { connections } = services;
  secured.use(resourceRoutes('/connections', 'web', 'Connection', { create: ConnectionIn, patch: ConnectionPatch }, connections));
  for (const [action, paused] of [
    ['pause', true],
    ['unpause', false],
  ] as const) {
    const handler: express.RequestHandler = async (req, res) => {
      res.json(await connections.setPaused(authOf(req).workspaceId, idParam(req, 'web', 'Connection'), paused));
    };
    secured.put(`/connections/:id/${action}`, handler);
    secured.post(`/connections/:id/${action}`, handler);
  }
  secured.get('/connections/:id/latest-input', async (req, res) => {
    res.json(await connections.latestInput(authOf(req).workspaceId, idParam(req, 'web', 'Connection')));
  });
  // Before the logs' routes: /events/bulk_operations is not an event id.
  secured.use(bulkOperationsRoutes(services.bulkOperations));
  secured.use(requestsRoutes(services.requestsLog));
  secured.use(eventsRoutes(services.eventsLog));
  secured.use(transformationsRoutes(services.transformations));
  secured.use(metricsRoutes(services));
  secured.use(eventTypesRoutes(services.eventTypes));
  secured.use(webhooksRoutes(services));
  secured.use(hooksRoutes(deps, services));
  secured.use(flowsRoutes(deps, services));
  secured.use(usedByRoutes(services.usedBy));
  secured.use(credentialsRoutes(deps, services));
  secured.use(googleOAuthRoutes(deps, services));
  secured.use(chatbotsRoutes(services.chatbots));
  secured.use(chatPreviewRoutes(chat, services.chatbots));
  api.use(secured);
  // A published event's data is stored as the body's bytes, so a NUL in it is kept, as at ingest.
  // Refused before its key is checked or its body parsed: an overloaded gateway's 503 must be cheap.
  // Counted in progress from there, per credential: while the database stalls, a publish may wait
  // in its key's lookup or its idempotency claim before it reaches the writer.
  const overload = inProgress(writer, (req) => `publish ${req.get('authorization') ?? ''}`);
  // Its own scope check: Express serves it under the full paths, which the scopes' table does not name.
  const publish = [
    countPublishes(deps.metrics),
    overload,
    jsonOnly,
    parseJson,
    refuseNul(() => ['data']),
    ...rateLimits,
    authenticate(deps),
    requireScopeFor('/publish'),
    publishHandler(deps, services.publisher),
  ];
  return { api, publish, rateLimits };
}

const stripVersion: express.RequestHandler = (req, _res, next) => {
  if (req.url === '/v1' || req.url.startsWith('/v1/') || req.url.startsWith('/v1?')) req.url = req.url.slice(3) || '/';
  next();
};

function portal(app: express.Express) {
  const dist = path.resolve('web/dist');
  if (!fs.existsSync(path.join(dist, 'index.html'))) return;
  // The chat widget runs on other sites: loadable from any origin, and revalidated within minutes
  // because its name never changes when it does.
  app.get('/widget.js', (_req, res) => {
    res.set({
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Cache-Control': 'public, max-age=300, stale-while-revalidate=86400',
    });
    res.sendFile(path.join(dist, 'widget.js'));
  });
  app.use(express.static(dist, { index: 'index.html', maxAge: '1h' }));
  app.get('/{*rest}', (req, res, next) => {
    if (isApiPath(req.path) || req.path.startsWith('/e/')) return next();
    res.sendFile(path.join(dist, 'index.html'));
  });
}

export async function startWirehub(config: Config, log: Logger = createLogger(config.logLevel)): Promise<Wirehub> {
  const database = await openDatabase(config, log);
  const due = new EventEmitter();
  due.setMaxListeners(0);
  const box = new SecretBox(loadSecretKey(config.secretKey, config.dataDir, log));
  const sandbox = lazySandbox(() => createSandbox({ timeoutMs: config.transformationTimeoutMs, memoryMiB: config.transformationMemoryMiB }));
  const delivery: DeliveryPorts = {
    signingSecret: async (ws) => (await ensureProjectSecrets({ db: database.db, box }, ws)).signingSecret,
    mockApi: mockApiRecorder(database.db),
    removeDestination: (id) => deleteDestination(database.db, null, id),
  };
  const tracing = await startTracing(config.tracing, VERSION, log);
  const partial: Omit<Deps, 'wake' | 'routing'> = {
    config,
    database,
    db: database.db,
    box,
    log,
    due,
    sandbox,
    apiKeys: new ApiKeyCache(database.db),
    delivery,
    metrics: new HubMetrics(),
    eventQuotas: new EventQuotas(database.db, log),
    tracing,
  };
  const deps: Deps = { ...partial, wake: createWaker(database, due, log), routing: new RoutingCache(partial) };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Per-address limits (log-in, sign-up, the public chat and ratings) read req.ip, which this decides.
  app.set('trust proxy', config.trustProxy);
  let jobs: Jobs | null = null;
  let alerts: DeliveryAlerts | null = null;
  // Not on ingest nor on publish: their answers go to machines that never render them, and helmet's
  // headers (the CSP alone is ~500 bytes) made a small JSON answer cost ~25 µs more (client and
  // server) on those hot paths. Every other response, the portal's, the rest of the API's and the
  // health checks', has them.
  const headers = securityHeaders();
  app.use((req, res, next) => (req.path.startsWith('/e/') || isPublishPath(req.path) ? next() : headers(req, res, next)));
  const writer = new IngestWriter(deps);
  const services = buildServices(deps, writer);
  const api = config.role !== 'worker' ? apiRouter(deps, services, writer) : null;
  // Only the API takes events in, so only it holds the quotas.
  if (api) await deps.eventQuotas.start(config.quotaRefreshMs);
  if (api) app.post(PUBLISH_PATHS, ...api.publish);
  app.use(healthRoutes(deps, () => jobs));
  app.use(prometheusRoutes(deps, () => jobs));
  const chat: ChatDeps = { ...deps, publisher: services.publisher };
  if (api) {
    // Public (no API key, CORS per chatbot): before /api, whose every route wants a credential.
    app.use(publicChatRoutes(chat));
    app.use(ratingsRoutes(chat));
    // Every route answers under each base, with and without the version segment (seed 002): one
    // router mounted once, so a request is authenticated and rate-counted once. /api/control is
    // listed before /api, which would otherwise take it for a route of its own.
    app.use(API_BASES, stripVersion, api.api);
    app.use(docsRoutes());
    portal(app);
  }
  app.use(routeNotFound);
  app.use(errorMiddleware(log));

  let stopListening = async () => {};
  if (config.role !== 'api') {
    stopListening = await listenForWakeups(database, due, log);
    const hub = systemEvents(deps, services.publisher, services.applicationSources);
    alerts = new DeliveryAlerts((w) => hub.deliveryFailed(w), log, config.deliveryAlerts);
    const reporting = alerts;
    jobs = await startJobs(deps, services, {
      onAutoDisabled: (d) => hub.destinationDisabled(d),
      onDeliveryFailed: (f) => reporting.report(f),
      chatPublisher: chat.publisher,
    });
  }

  const refuse = api
    ? refuseBeforeExpress(writer, (url, method) => url.startsWith('/e/') || (method === 'POST' && isPublishPath(url.split('?', 1)[0])))
    : () => false;
  const shed = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (!refuse(req, res)) return false;
    const url = req.url ?? '';
    if (url.startsWith('/e/')) deps.metrics.ingest(url.slice(3).split(/[/?]/, 1)[0], 'refused');
    else deps.metrics.publish('refused');
    return true;
  };
  const ingest = api ? ingestEndpoint(deps, writer) : () => false;
  const publish = api ? publishEndpoint(deps, writer, services.publisher, { paths: PUBLISH_PATHS, app, rateLimits: api.rateLimits, parseJson }) : () => false;
  const server = http.createServer((req, res) => shed(req, res) || ingest(req, res) || publish(req, res) || app(req, res));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address();
  const url = `http://${config.host}:${typeof addr === 'object' && addr ? addr.port : config.port}`;
  log.info({ url, role: config.role, database: database.embedded ? `embedded (${config.dataDir})` : 'postgres' }, 'wirehub is listening');

  let closing: Promise<void> | null = null;
  return {
    deps,
    app,
    server,
    url,
    jobs,
    close() {
      closing ??= (async () => {
        // No new connection from here. Idle keep-alive connections close now; a busy one once its
        // request is answered (Node closes it then, the server being closed).
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Requests in progress are answered, and committed, while the lanes end their deliveries in
        // flight. The engine stops before the alerts, so the failures of its last outcomes reach
        // them; alerts still waiting (and a disabled destination's event) are then published while
        // the writer still takes them. A connection still busy after half the shutdown timeout (a
        // client trickling its body) is cut below, leaving the rest of it for the steps after.
        await Promise.all([settledWithin(config.shutdownTimeoutMs / 2, closed), jobs?.stop()]);
        await deps.eventQuotas.stop();
        await alerts?.close();
        await writer.close();
        await sandbox.close();
        await stopListening();
        server.closeAllConnections();
        await closed;
        await database.close();
        // Last: the spans of the deliveries that ended above are exported.
        await tracing?.shutdown();
      })();
      return closing;
    },
  };
}
