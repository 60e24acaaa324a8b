import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';

/** `GET /openapi.json` under the API's bases: public, as the API's shape is no secret. */
export function openApiRoutes(): Router {
  const r = Router();
  r.get('/openapi.json', async (_req, res) => {
    // Loaded on the first request: the registry imports every route's schemas and builds ~200
    // operations' zod answer schemas, memory a hub that is never asked for its document need not hold.
    const { openApiJson } = await import('./document.ts');
    res.type('application/json').set('Cache-Control', 'no-cache').send(openApiJson());
  });
  return r;
}

/**
 * Swagger UI's browser bundle and stylesheet, served from node_modules (swagger-ui-dist, one
 * package of static files): Wirehub is self-hosted and the reference must work where no CDN is
 * reachable. The bundle is a file of its own and so is the line that starts it, so the hub's CSP
 * (script-src 'self', styles from 'self') holds on /docs as everywhere.
 */
const swaggerDir = () => path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wirehub API reference</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
`;

/**
 * No validator badge (it would send the document to validator.swagger.io); "Try it out" calls
 * this hub directly, same origin, with the credential typed under Authorize kept in memory only.
 */
const START = `window.ui = SwaggerUIBundle(${JSON.stringify({
  url: '/api/v1/openapi.json',
  dom_id: '#reference',
  validatorUrl: null,
  deepLinking: true,
  persistAuthorization: false,
  displayRequestDuration: true,
  filter: true,
})});\n`;

/** `GET /docs`: the interactive reference of /api/v1/openapi.json, at the server's root. */
export function docsRoutes(): Router {
  const r = Router();
  const dir = swaggerDir();
  r.get('/docs', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-cache').send(PAGE);
  });
  r.get('/docs/start.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'no-cache').send(START);
  });
  r.get('/docs/swagger-ui-bundle.js', (_req, res) => {
    res.sendFile(path.join(dir, 'swagger-ui-bundle.js'), { maxAge: '1h', headers: { 'Content-Type': 'text/javascript; charset=utf-8' } });
  });
  r.get('/docs/swagger-ui.css', (_req, res) => {
    res.sendFile(path.join(dir, 'swagger-ui.css'), { maxAge: '1h', headers: { 'Content-Type': 'text/css; charset=utf-8' } });
  });
  return r;
}
