import { z } from 'zod';
import { scopesFor } from '../auth/scopes.ts';
import { VERSION } from '../version.ts';
import { OPERATIONS, type Operation, type Security } from './operations.ts';
import { ErrorOut } from './schemas.ts';

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string; description: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
};

/**
 * Where the API answers (app.ts's API_BASES, each with and without the version segment): one
 * document, several servers. Relative, so the reference works behind any proxy and PUBLIC_URL.
 */
export const API_SERVERS = [
  { url: '/api/v1', description: 'The API' },
  { url: '/v1', description: "The same, at the base seed 002's public clients use" },
  { url: '/api/control/v1', description: "The same, at the base seed 002's dashboard clients use" },
  { url: '/api/control', description: 'The same, without the version' },
  { url: '/api', description: 'The same, without the version' },
];
/** Paths served at the server's root (ingest, health, the public chat…), not under the API's bases. */
const ROOT_SERVERS = [{ url: '/', description: "The server's root" }];

const SECURITY: Record<Security, Record<string, string[]>[]> = {
  team: [{ apiKey: [] }, { sessionToken: [] }],
  operator: [{ operatorToken: [] }],
  metrics: [{ metricsToken: [] }, {}],
  public: [],
};

/** A top-level `z.preprocess` (a pipe from a transform) is documented as what it feeds. */
function documented(schema: z.ZodType): z.ZodType {
  const def = (schema as unknown as { _zod: { def: { type: string; in?: z.ZodType; out?: z.ZodType } } })._zod.def;
  if (def.type === 'pipe' && def.in && def.out && (def.in as unknown as { _zod: { def: { type: string } } })._zod.def.type === 'transform')
    return documented(def.out);
  return schema;
}

/** zod's JSON Schema (draft 2020-12, as OpenAPI 3.1 takes), named schemas moved to components. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const js = z.toJSONSchema(documented(schema), {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    cycles: 'ref',
    reused: 'inline',
    // zod closes an object's output (it strips unknown keys), but an answer may gain fields in a
    // later version without breaking its clients: the published answers stay open, and only the
    // contract test closes them, so that a field the service adds must be documented here first.
    override: (ctx) => {
      const def = (ctx.zodSchema as unknown as { _zod: { def: { type: string; catchall?: unknown } } })._zod.def;
      if (io === 'output' && def.type === 'object' && !def.catchall && ctx.jsonSchema.additionalProperties === false)
        delete ctx.jsonSchema.additionalProperties;
    },
  }) as JsonSchema;
  const defs = (js.$defs ?? {}) as Record<string, JsonSchema>;
  delete js.$defs;
  delete js.$schema;
  for (const [name, def] of Object.entries(defs)) components[name] = retarget(def) as JsonSchema;
  return retarget(js) as JsonSchema;
}

function retarget(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(retarget);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '$schema') continue;
    out[k] = k === '$ref' && typeof x === 'string' ? x.replace('#/$defs/', '#/components/schemas/') : retarget(x);
  }
  return out;
}

/** `/sources/:id` → `/sources/{id}`, with its path parameters. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
const pathParams = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));

function queryParams(schema: z.ZodType | undefined, components: Record<string, JsonSchema>) {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input', components);
  const props = (js.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((js.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

function responses(op: Operation, components: Record<string, JsonSchema>) {
  const out: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(op.responses)) {
    const description = Number(status) < 300 ? 'Success' : 'Error';
    if (schema === 'text') out[status] = { description, content: { 'text/plain': { schema: { type: 'string' } } } };
    else if (schema === null)
      out[status] =
        Number(status) === 204
          ? { description }
          : { description, content: { 'application/json': { schema: { type: 'object', description: 'Not described in detail yet' } } } };
    else out[status] = { description, content: { 'application/json': { schema: jsonSchema(schema, 'output', components) } } };
  }
  out.default = {
    description: 'An error: `{"error":{"code","message","details"}}` with its 4xx or 5xx status',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  return out;
}

function operation(op: Operation, components: Record<string, JsonSchema>) {
  const scopes = op.security === 'team' ? scopesFor(op.method, op.path) : [];
  const description = [op.description, scopes.length ? `API-key scopes: ${scopes.map((s) => `\`${s}\``).join(' or ')}.` : ''].filter(Boolean).join('\n\n');
  return {
    tags: [op.tag],
    summary: op.summary,
    ...(description ? { description } : {}),
    operationId: `${op.method.toLowerCase()}${op.root ? '' : ' api'}${op.path}`.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) =>
      c ? c.toUpperCase() : '',
    ),
    security: SECURITY[op.security],
    parameters: [
      ...pathParams(op.path),
      ...queryParams(op.query, components),
      ...(op.security === 'team'
        ? [
            {
              name: 'x-team-id',
              in: 'header',
              required: false,
              schema: { type: 'string' },
              description: 'Another team of the caller (a session); by default its own',
            },
          ]
        : []),
    ],
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input', components) } } } }
      : op.rawBody
        ? { requestBody: { required: false, content: { '*/*': { schema: {} } } } }
        : {}),
    responses: responses(op, components),
  };
}

/** The OpenAPI 3.1 document of every operation in OPERATIONS, made from their zod schemas. */
export function buildOpenApi(operations: readonly Operation[] = OPERATIONS): OpenApiDocument {
  const components: Record<string, JsonSchema> = {};
  jsonSchema(ErrorOut, 'output', components);
  const paths: OpenApiDocument['paths'] = {};
  const rooted = new Map<string, boolean>();
  for (const op of operations) {
    const key = openApiPath(op.path);
    if (rooted.has(key) && rooted.get(key) !== !!op.root) throw new Error(`${key} is documented both at the root and under the API`);
    rooted.set(key, !!op.root);
    const item = (paths[key] ??= op.root ? { servers: ROOT_SERVERS } : {});
    const method = op.method.toLowerCase();
    if (item[method]) throw new Error(`${op.method} ${op.path} is documented twice`);
    item[method] = operation(op, components);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Wirehub API',
      version: VERSION,
      description:
        'Sources, destinations and connections; the logs of requests, events and attempts; webhooks, publishing and the rest of the hub. Generated from the zod schemas the routes validate with. Errors are `{"error":{"code","message","details"}}`.',
    },
    servers: API_SERVERS,
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (`wh_live_…`, or the project key), with its scopes' },
        sessionToken: { type: 'http', scheme: 'bearer', description: 'A session token (`whs_…`) from POST /auth/login or /auth/signup' },
        operatorToken: { type: 'http', scheme: 'bearer', description: "The operator's WIREHUB_OPERATOR_TOKEN (the operator API answers 404 without it)" },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'WIREHUB_METRICS_TOKEN, when set' },
      },
    },
  };
}

let cached: string | null = null;
/** The document as served: built once, on first request. */
export function openApiJson(): string {
  cached ??= JSON.stringify(buildOpenApi());
  return cached;
}
