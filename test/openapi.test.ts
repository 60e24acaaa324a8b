import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { API_BASES, PUBLISH_PATHS } from '../server/app.ts';
import { INGEST_METHODS } from '../server/ingest/ingest.routes.ts';
import { API_SERVERS, type OpenApiDocument } from '../server/openapi/document.ts';
import path from 'node:path';
import { ARTIFACTS, startBrowser } from './support/browser.ts';
import { expressRoutes } from './support/express-routes.ts';
import { startTestHub, type TestHub } from './support/hub.ts';

/** The portal's files, not the API: the page shell for every other path and the chat widget's script. */
const PORTAL = new Set(['GET /{*rest}', 'GET /widget.js']);

/** `/api/v1/x` is `/api/x` (app.ts's stripVersion), so both spellings are one route. */
function unversioned(path: string): string {
  for (const base of [...API_BASES].sort((a, b) => b.length - a.length)) {
    if (path === `${base}/v1` || path.startsWith(`${base}/v1/`)) return base + path.slice(base.length + 3);
  }
  return path;
}

/** Every method + path the hub serves: Express's routers, walked, and what app.ts answers before Express. */
function served(hub: TestHub): Set<string> {
  const routes = expressRoutes(hub.app).map((r) => `${r.method} ${r.path}`);
  const beforeExpress = [...[...INGEST_METHODS].map((m) => `${m} /e/:source`), ...PUBLISH_PATHS.map((p) => `POST ${p}`)];
  return new Set(
    [...routes, ...beforeExpress]
      .filter((r) => !PORTAL.has(r))
      .map((r) => {
        const [method, path] = r.split(' ');
        return `${method} ${unversioned(path)}`;
      }),
  );
}

/** Every method + full path the document describes, under each server it names. */
function documented(doc: OpenApiDocument): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    const servers = (item.servers as { url: string }[] | undefined) ?? doc.servers;
    for (const method of Object.keys(item).filter((k) => k !== 'servers')) {
      for (const { url } of servers) out.add(`${method.toUpperCase()} ${unversioned(`${url.replace(/\/$/, '')}${path}`.replace(/\{(\w+)\}/g, ':$1'))}`);
    }
  }
  return out;
}

describe('the OpenAPI document', () => {
  let hub: TestHub;
  let doc: OpenApiDocument;
  beforeAll(async () => {
    hub = await startTestHub();
    const res = await hub.api('get', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body as OpenApiDocument;
  }, 60_000);
  afterAll(() => hub?.close());

  test('is OpenAPI 3.1, served at every base without a credential, and names its servers and security schemes', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers.map((s) => s.url)).toEqual(API_SERVERS.map((s) => s.url));
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'metricsToken', 'operatorToken', 'sessionToken']);
    for (const base of ['/v1', '/api/control/v1', '/api']) expect((await hub.api('get', `${base}/openapi.json`)).body).toEqual(doc);
    // The request schemas are the routes' own: a source's name carries nameSchema's pattern.
    const create = doc.paths['/sources'].post as {
      requestBody: { content: { 'application/json': { schema: { properties: { name: { pattern: string } } } } } };
    };
    expect(create.requestBody.content['application/json'].schema.properties.name.pattern).toBe('^[A-Za-z0-9 ._\\-:]+$');
    const ingest = doc.paths['/e/{source}'] as { servers: { url: string }[]; post: { security: unknown[] } };
    expect(ingest.servers).toEqual([{ url: '/', description: "The server's root" }]);
    expect(ingest.post.security).toEqual([]);
    expect((doc.paths['/operator/quotas'].get as { security: unknown }).security).toEqual([{ operatorToken: [] }]);
  });

  test('documents every route the hub serves, and no route it does not', () => {
    const routes = served(hub);
    const described = documented(doc);
    // Sanity: the walk found the API under each base, and ingest.
    expect(routes).toContain('GET /api/control/sources/:id');
    expect(routes).toContain('GET /v1/events');
    expect(routes).toContain('POST /e/:source');
    expect(routes.size).toBeGreaterThan(500);
    expect([...routes].filter((r) => !described.has(r)).sort(), 'routes the OpenAPI document lacks (server/openapi/operations.ts)').toEqual([]);
    expect([...described].filter((r) => !routes.has(r)).sort(), 'documented operations no route serves').toEqual([]);
  });
});

describe('/docs, the interactive reference', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  }, 60_000);
  afterAll(() => hub?.close());

  test('is a page whose script and stylesheet come from the hub itself, under the same CSP as the portal', async () => {
    const page = await hub.api('get', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toBe((await hub.api('get', '/api/health')).headers['content-security-policy']);
    const scripts = [...page.text.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inline] of scripts) {
      // No inline script (CSP would refuse it) and nothing from another origin.
      expect(inline.trim()).toBe('');
      const src = /src="([^"]+)"/.exec(attrs)?.[1];
      expect(src).toMatch(/^\/docs\//);
      const js = await hub.api('get', src as string);
      expect(js.status, src).toBe(200);
      expect(js.headers['content-type']).toMatch(/javascript/);
    }
    const sheets = [...page.text.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1]);
    expect(sheets).toEqual(['/docs/swagger-ui.css']);
    const css = await hub.api('get', '/docs/swagger-ui.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const bundle = await hub.api('get', '/docs/swagger-ui-bundle.js').buffer(true);
    expect(Buffer.byteLength(bundle.text)).toBeGreaterThan(1_000_000);
    expect(bundle.text).toContain('SwaggerUIBundle');
    // The validator badge would post the document to validator.swagger.io.
    expect((await hub.api('get', '/docs/start.js')).text).toContain('"validatorUrl":null');
  });

  test('renders the document in a browser with nothing fetched from elsewhere and no CSP violation', async () => {
    const b = await startBrowser();
    try {
      const elsewhere: string[] = [];
      const problems: string[] = [];
      await b.page.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.origin !== hub.url) {
          elsewhere.push(url.href);
          return route.abort();
        }
        return route.continue();
      });
      b.page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
      });
      b.page.on('pageerror', (e) => problems.push(e.message));
      await b.page.goto(`${hub.url}/docs`);
      await b.page.getByText('Wirehub API').first().waitFor({ timeout: 30_000 });
      await b.page.getByText('Send a request to a source').first().waitFor();
      // Filtered to a tag (Swagger UI draws only what is in view), an operation opens on its
      // parameters and documented answers, the schemas resolved.
      await b.page.getByPlaceholder('Filter by tag or path').fill('Sources');
      await b.page.getByText('List sources', { exact: true }).click();
      const op = b.page.locator('#operations-Sources-getApiSources');
      await op.getByRole('button', { name: 'Try it out' }).waitFor();
      await op.getByText('order_by').first().waitFor();
      await b.page.screenshot({ path: path.join(ARTIFACTS, 'openapi-docs.png') });
      expect(problems).toEqual([]);
      expect(elsewhere).toEqual([]);
    } finally {
      await b.close();
    }
  }, 90_000);
});
