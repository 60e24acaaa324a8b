/**
 * The connectors' browser-safe half, for the portal: each connector's flow node (palette entry,
 * data schema, form fields, destination fields) from connectors/catalogue.ts, and the webhook
 * connector's signature presets and their schema. Both are zod only, which .dependency-cruiser.cjs
 * holds (browser-safe); the connectors' delivery code never reaches the bundle.
 */
export * from '../connectors/catalogue.ts';
export * from '../connectors/http-webhook/signature.ts';
