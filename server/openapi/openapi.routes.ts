import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';
import { openApiJson } from './document.ts';

/** `GET /openapi.json` under the API's bases: public, as the API's shape is no secret. */
export function openApiRoutes(): Router {
  const r = Router();
  r.get('/openapi.json', (_req, res) => {
    res.type('application/json').set('Cache-Control', 'no-cache').send(openApiJson());
  });
  return r;
}

/**
 * Scalar's standalone browser bundle, served from node_modules: Wirehub is self-hosted and the
 * reference must work where no CDN is reachable. Its script is a file of its own and so is the
 * line that starts it, so the hub's CSP (script-src 'self') holds here as everywhere.
 */
const scalarBundle = () => path.join(path.dirname(createRequire(import.meta.url).resolve('@scalar/api-reference')), 'browser', 'standalone.js');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wirehub API reference</title>
</head>
<body>
<div id="reference"></div>
<script src="/docs/reference.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
`;

/**
 * Off: what would reach outside the machine (Scalar's fonts, telemetry, its AI agent and request
 * proxy); "Try it" calls this hub directly, same origin.
 */
const START = `Scalar.createApiReference('#reference', ${JSON.stringify({
  url: '/api/v1/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never',
  hideClientButton: true,
  proxyUrl: '',
  metaData: { title: 'Wirehub API reference' },
})});\n`;

/** `GET /docs`: the interactive reference of /api/v1/openapi.json, at the server's root. */
export function docsRoutes(): Router {
  const r = Router();
  const bundle = scalarBundle();
  r.get('/docs', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-cache').send(PAGE);
  });
  r.get('/docs/start.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'no-cache').send(START);
  });
  r.get('/docs/reference.js', (_req, res) => {
    res.sendFile(bundle, { maxAge: '1h', headers: { 'Content-Type': 'text/javascript; charset=utf-8' } });
  });
  return r;
}
