// The arrows of docs/ARCHITECTURE.md that a machine can check, run by `npm run lint:deps` (scripts/lint-deps.mjs,
// which also says why dependency-cruiser is given TypeScript 5) and by .ci/run before the tests.

/**
 * What the browser may load: shared/ and the connectors' flow nodes and webhook signature presets, which shared/
 * re-exports (zod only). The portal imports nothing else of ours; shared/api.ts re-exports the services' answer types,
 * erased from the bundle (type-only imports are the one way shared/ may reach server/).
 */
const BROWSER_SAFE = [
  '^shared/',
  '^connectors/catalogue\\.ts$',
  '^connectors/node\\.ts$',
  '^connectors/[^/]+/node\\.ts$',
  '^connectors/http-webhook/signature\\.ts$',
];

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
      comment: 'The portal runs in the browser: of our code outside web/ it imports shared/ only (shared/connectors.ts for the connectors’ nodes).',
      from: { path: '^web/' },
      to: { path: '^(server|connectors)/' },
    },
    {
      name: 'shared-not-server',
      severity: 'error',
      comment:
        'shared/ is what the browser and the server both use, so it runs in both: from server/ it takes types only ' +
        '(shared/api.ts, erased when bundled); a value it needs moves down into shared/.',
      from: { path: '^shared/' },
      to: { path: '^server/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'browser-safe',
      severity: 'error',
      comment:
        'What Vite bundles for the portal (shared/, the connectors’ nodes and signature presets) imports at run time ' +
        'zod and itself only: no Node built-in, no other package, no delivery code.',
      from: { path: BROWSER_SAFE },
      to: { dependencyTypesNot: ['type-only'], pathNot: [...BROWSER_SAFE, '(^|/)node_modules/zod/'] },
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
