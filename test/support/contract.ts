import { expect } from 'vitest';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type supertest from 'supertest';
import type { OpenApiDocument } from '../../server/openapi/document.ts';
import type { TestHub } from './hub.ts';

// ajv-formats is CommonJS: its function is the default export's default under Node's ESM.
const addFormats = addFormatsModule.default;

type Schema = Record<string, unknown>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
const UNDESCRIBED = 'Not described in detail yet';

/**
 * The document with every object schema closed (`additionalProperties: false` wherever it says
 * nothing of other keys), so a field an answer carries that the document lacks fails. Walks the
 * schema keywords only, so a property that happens to be called `type` or `properties` is not
 * mistaken for a schema.
 */
export function closeSchema(s: unknown): unknown {
  if (Array.isArray(s) || s === null || typeof s !== 'object') return s;
  const out: Schema = { ...(s as Schema) };
  const isObject = out.type === 'object' || (Array.isArray(out.type) && out.type.includes('object')) || 'properties' in out;
  if (isObject && !('additionalProperties' in out) && !('patternProperties' in out)) out.additionalProperties = false;
  if (out.properties) out.properties = Object.fromEntries(Object.entries(out.properties as Schema).map(([k, v]) => [k, closeSchema(v)]));
  for (const k of ['items', 'additionalProperties', 'not', 'contains']) if (out[k] && typeof out[k] === 'object') out[k] = closeSchema(out[k]);
  for (const k of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) if (Array.isArray(out[k])) out[k] = (out[k] as unknown[]).map(closeSchema);
  if (out.allOf) throw new Error('allOf cannot be closed member by member: document the answer as one object');
  return out;
}

type Route = { template: string; regex: RegExp; root: boolean; statics: number };
type Op = { responses: Record<string, { content?: Record<string, { schema: Schema }> }> };

/**
 * Checks the hub's answers against the OpenAPI document it serves: `call` sends a request, finds
 * the operation its path and method match, and fails when the status is undocumented, or the body
 * does not match the documented schema closed as above. `covered` lists what was checked.
 */
export class Contract {
  readonly covered = new Set<string>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly routes: Route[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(
    private readonly hub: TestHub,
    private readonly doc: OpenApiDocument,
  ) {
    addFormats(this.ajv);
    // zod's names for checks it also states as a pattern.
    for (const f of ['starts_with', 'ends_with', 'includes', 'regex']) this.ajv.addFormat(f, true);
    this.ajv.addSchema({
      $id: 'wirehub',
      components: { schemas: Object.fromEntries(Object.entries(doc.components.schemas).map(([k, v]) => [k, closeSchema(v)])) },
    });
    this.routes = Object.entries(doc.paths)
      .map(([template, item]) => {
        const segments = template.split('/').filter(Boolean);
        return {
          template,
          regex: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
          root: !!item.servers,
          // A literal segment outranks a parameter: /flows/test is not /flows/{id}.
          statics: segments.filter((p) => !p.startsWith('{')).length * 100 - segments.length,
        };
      })
      .sort((a, b) => b.statics - a.statics);
  }

  /** The documented operation `METHOD /path` that a request's method and URL reach. */
  operationOf(method: string, url: string): { key: string; op: Op } {
    const pathname = new URL(url, 'http://hub').pathname;
    const bases = this.doc.servers.map((s) => s.url).sort((a, b) => b.length - a.length);
    const candidates: { path: string; root: boolean }[] = [{ path: pathname, root: true }];
    for (const base of bases) if (pathname.startsWith(`${base}/`)) candidates.push({ path: pathname.slice(base.length), root: false });
    for (const route of this.routes) {
      for (const c of candidates) {
        if (c.root !== route.root || !route.regex.test(c.path)) continue;
        const op = this.doc.paths[route.template][method] as Op | undefined;
        if (op) return { key: `${method.toUpperCase()} ${route.template}`, op };
      }
    }
    throw new Error(`${method.toUpperCase()} ${url}: no documented operation`);
  }

  /** Fails unless `body` with `status` is what the document says `METHOD url` answers. */
  check(method: string, url: string, status: number, contentType: string | undefined, body: unknown): string {
    const { key, op } = this.operationOf(method, url);
    const response = op.responses[String(status)] ?? (status >= 400 ? op.responses.default : undefined);
    if (!response) throw new Error(`${key} answered ${status}, which the document does not list`);
    if (!response.content) {
      if (status !== 204) throw new Error(`${key} ${status}: the document gives no body`);
      return key;
    }
    const media = Object.keys(response.content)[0];
    if (media !== 'application/json') {
      expect(contentType, `${key} ${status}`).toMatch(media === 'text/plain' ? /^text\// : /./);
      this.covered.add(`${key} ${status}`);
      return key;
    }
    expect(contentType, `${key} ${status}`).toMatch(/^application\/json/);
    const schema = response.content[media].schema;
    if (schema.description === UNDESCRIBED)
      throw new Error(`${key} ${status}: the answer is "${UNDESCRIBED}" (server/openapi/operations.ts), though the traffic reaches it`);
    const cacheKey = `${key} ${status}`;
    let validate = this.compiled.get(cacheKey);
    if (!validate) {
      const rooted = JSON.parse(JSON.stringify(closeSchema(schema)).replaceAll('"#/components/schemas/', '"wirehub#/components/schemas/')) as Schema;
      validate = this.ajv.compile(rooted);
      this.compiled.set(cacheKey, validate);
    }
    if (!validate(body)) {
      const problems = (validate.errors ?? []).map(
        (e) => `${e.instancePath || '(root)'} ${e.message}${e.params && 'additionalProperty' in e.params ? `: ${String(e.params.additionalProperty)}` : ''}`,
      );
      throw new Error(
        `${key} ${status} does not match its documented schema:\n  ${[...new Set(problems)].slice(0, 20).join('\n  ')}\nbody: ${JSON.stringify(body).slice(0, 1500)}`,
      );
    }
    this.covered.add(cacheKey);
    return key;
  }

  /** Sends a request through the hub and checks its answer; returns the answer. */
  async call(method: Method, url: string, token?: string, body?: unknown, expectStatus?: number): Promise<supertest.Response> {
    let req = this.hub.api(method, url, token);
    if (body !== undefined) req = req.send(body as object);
    const res = await req;
    if (expectStatus !== undefined) expect(res.status, `${method.toUpperCase()} ${url}: ${JSON.stringify(res.body).slice(0, 500)}`).toBe(expectStatus);
    this.check(method, url, res.status, res.headers['content-type'], res.body);
    return res;
  }
}
