// The arrows of docs/ARCHITECTURE.md that a machine can check, run by `npm run lint:deps` (scripts/lint-deps.mjs,
// which also says why dependency-cruiser is given TypeScript 5) and by .ci/run before the tests.

/**
 * What the portal still takes from the server and the connectors' folders, each import by name. The goal is one
 * browser-safe shared module; connectors/catalogue.ts (the connectors' flow nodes, zod only) is the first part of it.
 * Most of the rest are types (erased from the bundle); the values are flow-graph.ts, flow-templates.ts,
 * flow-problem-text.ts, flow-fields.ts and shared/issue-text.ts. Shrink this list; never add to it.
 */
const WEB_MAY_IMPORT = [
  'connectors/catalogue.ts',
  // The webhook signature presets and their zod schema (zod only), for the Webhooks page's form and a flow's webhook step (ui/SignatureFields.tsx).
  'connectors/http-webhook/signature.ts',
  'connectors/types.ts',
  'server/chat/chatbots.service.ts',
  'server/chat/system-chat.service.ts',
  'shared/issue-text.ts',
  'server/core/pagination.ts',
  'server/db/schema.ts',
  'server/delivery/deliver-now.ts',
  'server/gateway/connections.service.ts',
  'server/gateway/dashboard.service.ts',
  'server/gateway/destinations.service.ts',
  'server/gateway/mock-api.service.ts',
  'server/gateway/sources.service.ts',
  'server/publish/event-types.service.ts',
  'shared/flow-fields.ts',
  'shared/flow-graph.ts',
  'shared/flow-problem-text.ts',
  'server/flows/flow-stats.ts',
  'shared/flow-templates.ts',
  'server/gateway/mappings.ts',
  'server/flows/used-by.service.ts',
  'server/publish/webhooks.service.ts',
  'server/settings/credentials.service.ts',
  'server/transformations/sandbox.ts',
  'server/transformations/transformations.service.ts',
];
const exactly = (paths) => paths.map((p) => `^${p.replaceAll('.', '\\.')}$`);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No module reaches itself through its imports, type-only imports included: a cycle of types is the same knot ' +
        'with its runtime half cut, and the next value import ties it. Move the shared type down to a module both use.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'connectors-not-server',
      severity: 'error',
      comment: 'A connector is its folder behind connectors/types.ts; the server calls it, never the other way.',
      from: { path: '^connectors/' },
      to: { path: '^server/' },
    },
    {
      name: 'routes-not-db',
      severity: 'error',
      comment: 'A route parses, calls a service and answers (gateway/resource-routes.ts): the queries live in services.',
      from: { path: '^server/.+\\.routes\\.ts$' },
      to: { path: ['^server/db/', '^node_modules/kysely/'] },
    },
    {
      name: 'web-shared-only',
      severity: 'error',
      comment: 'The portal runs in the browser: from the server and the connectors it takes only the modules listed in WEB_MAY_IMPORT.',
      from: { path: '^web/' },
      to: { path: '^(server|connectors|shared)/', pathNot: exactly(WEB_MAY_IMPORT) },
    },
    {
      name: 'core-knows-no-domain',
      severity: 'error',
      comment: 'server/core/ is what every part needs and knows no part: only the config besides itself.',
      from: { path: '^server/core/' },
      to: { path: '^server/', pathNot: ['^server/core/', '^server/config\\.ts$'] },
    },
    {
      name: 'delivery-uses-ports',
      severity: 'error',
      comment:
        'Delivery asks the rest of the hub for what it needs through DeliveryPorts (delivery/ports.ts), wired in app.ts: ' +
        'the services that hold, replay and test deliveries import delivery, so delivery imports no service, route or job.',
      from: { path: '^server/delivery/' },
      to: { path: '^server/(?!delivery/).+\\.(service|routes|job)\\.ts$' },
    },
    {
      name: 'ingest-not-publish',
      severity: 'error',
      comment: 'Publishing (publish/) and flows (flows/) go through ingest’s routing and writer; ingest knows nothing of either.',
      from: { path: '^server/ingest/' },
      to: { path: '^server/(publish|flows)/' },
    },
    {
      name: 'gateway-not-ingest',
      severity: 'error',
      comment:
        'Ingest uses the gateway’s routing cache, rules and verification, so those never use ingest. A replay of a ' +
        'stored request (request-replay.ts) is routed again by ingest’s route-request.ts, as a published event is.',
      from: { path: '^server/gateway/', pathNot: '^server/gateway/request-replay\\.ts$' },
      to: { path: '^server/ingest/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The portal's build output: bundles that import each other, not source.
    exclude: { path: '^web/dist/' },
    // Type-only imports are dependencies too (see no-circular).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
