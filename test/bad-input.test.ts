import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import supertest from 'supertest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

/**
 * Bad input over every route family, as one table. Each row is sent through the real HTTP API
 * and must come back as a clear JSON error `{"error": {"code", "message", "details"?}}` with the
 * right 4xx: never a 500, never a dropped connection. Validation rows also name every offending
 * field in `details[].path`. Afterwards the hub must still be healthy and the data made before
 * the bad requests must be exactly as it was.
 */

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Row = {
  name: string;
  method: Method;
  /** `{{fixture}}` placeholders are filled in once the fixtures exist. */
  path: string;
  /** An object is sent as JSON; a string is sent verbatim (set its content-type in `headers`), a Buffer with no content-type. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Which credentials to send: a read/write API key (default), a read-only key, a session token, or none. */
  as?: 'key' | 'readonly' | 'session' | 'none';
  /** `strict` is a hub that refuses private destinations and takes at most 2 KiB per ingested request. */
  hub?: 'main' | 'strict';
  expectStatus: number;
  expectCode?: string;
  expectDetailPaths?: string[];
  expectMessage?: RegExp;
  expectHeaders?: Record<string, string | RegExp>;
};

const UNKNOWN = '0'.repeat(26); // a well-formed id body that names nothing
const longName = (n: number) => 'n'.repeat(n);
const V = '/api/v1';
const JSON_TYPE = { 'content-type': 'application/json' };
const okSource = { name: 'never-created' };
const okDestination = (url = 'https://example.com/hook') => ({ name: 'never-created', config: { url } });
const okConnection = { name: 'never-created', source_id: '{{src}}', destination_id: '{{des}}' };
const withRule = (rule: unknown) => ({ ...okConnection, rules: [rule] });
const forgedCursor = (c: unknown) => Buffer.from(JSON.stringify(c)).toString('base64url');

const rows: Row[] = [
  // --- auth: sign-up, log-in, profile ----------------------------------------------------------
  {
    name: 'signup: malformed email',
    method: 'post',
    path: `${V}/auth/signup`,
    as: 'none',
    body: { email: 'not-an-email', password: 'long enough pass', name: 'A', workspace: 'W' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.email'],
  },
  {
    name: 'signup: password under 10 characters',
    method: 'post',
    path: `${V}/auth/signup`,
    as: 'none',
    body: { email: 'short@example.test', password: 'short', name: 'A', workspace: 'W' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.password'],
  },
  {
    name: 'signup: name over 120 characters',
    method: 'post',
    path: `${V}/auth/signup`,
    as: 'none',
    body: { email: 'long@example.test', password: 'long enough pass', name: longName(121), workspace: 'W' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name'],
  },
  {
    name: 'signup: every field missing or wrong at once',
    method: 'post',
    path: `${V}/auth/signup`,
    as: 'none',
    body: { email: 42, password: ['x'], name: '   ' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.email', 'body.password', 'body.name', 'body.workspace'],
  },
  {
    name: 'signup: no body at all',
    method: 'post',
    path: `${V}/auth/signup`,
    as: 'none',
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.email', 'body.password', 'body.name', 'body.workspace'],
  },
  {
    name: 'signup: an email that already has an account',
    method: 'post',
    path: `${V}/auth/signup`,
    as: 'none',
    body: { email: '{{EMAIL}}', password: 'long enough pass', name: 'Again', workspace: 'W' },
    expectStatus: 409,
    expectCode: 'RESOURCE_ALREADY_EXISTS',
  },
  {
    name: 'login: wrong password',
    method: 'post',
    path: `${V}/auth/login`,
    as: 'none',
    body: { email: '{{email}}', password: 'not the password' },
    expectStatus: 401,
    expectCode: 'INVALID_CREDENTIALS',
  },
  {
    name: 'login: unknown email',
    method: 'post',
    path: `${V}/auth/login`,
    as: 'none',
    body: { email: 'nobody@example.test', password: 'whatever-password' },
    expectStatus: 401,
    expectCode: 'INVALID_CREDENTIALS',
  },
  {
    name: 'login: fields missing',
    method: 'post',
    path: `${V}/auth/login`,
    as: 'none',
    body: {},
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.email', 'body.password'],
  },
  {
    name: 'PATCH /auth/me: name over 120 characters',
    method: 'patch',
    path: `${V}/auth/me`,
    as: 'session',
    body: { name: longName(121) },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name'],
  },
  {
    name: 'PATCH /auth/me: empty name',
    method: 'patch',
    path: `${V}/auth/me`,
    as: 'session',
    body: { name: '  ' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name'],
  },
  {
    name: 'PATCH /auth/me with an API key (no user)',
    method: 'patch',
    path: `${V}/auth/me`,
    body: { name: 'Key' },
    expectStatus: 403,
    expectCode: 'FORBIDDEN',
  },
  { name: 'GET /auth/me without credentials', method: 'get', path: `${V}/auth/me`, as: 'none', expectStatus: 401, expectCode: 'UNAUTHORIZED' },

  // --- API keys --------------------------------------------------------------------------------
  {
    name: 'api-keys: unknown scope',
    method: 'post',
    path: `${V}/api-keys`,
    body: { name: 'k', scopes: ['read', 'admin'] },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.scopes.1'],
  },
  {
    name: 'api-keys: no scopes',
    method: 'post',
    path: `${V}/api-keys`,
    body: { name: 'k', scopes: [] },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.scopes'],
  },
  {
    name: 'api-keys: scopes as a string',
    method: 'post',
    path: `${V}/api-keys`,
    body: { name: 'k', scopes: 'read' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.scopes'],
  },
  {
    name: 'api-keys: name missing',
    method: 'post',
    path: `${V}/api-keys`,
    body: { scopes: ['read'] },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name'],
  },
  { name: 'api-keys: delete an unknown id', method: 'delete', path: `${V}/api-keys/key_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'api-keys: delete a malformed id', method: 'delete', path: `${V}/api-keys/1;DROP TABLE api_keys`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'api-keys: a read-only key creates a key',
    method: 'post',
    path: `${V}/api-keys`,
    as: 'readonly',
    body: { name: 'k', scopes: ['read'] },
    expectStatus: 403,
    expectCode: 'INSUFFICIENT_SCOPE',
  },

  // --- sources ---------------------------------------------------------------------------------
  {
    name: 'sources: empty body',
    method: 'post',
    path: `${V}/sources`,
    body: {},
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name'],
  },
  {
    name: 'sources: name with forbidden characters',
    method: 'post',
    path: `${V}/sources`,
    body: { name: 'a/b<script>' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name'],
  },
  {
    name: 'sources: name over 155 characters',
    method: 'post',
    path: `${V}/sources`,
    body: { name: longName(156) },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name'],
  },
  {
    name: 'sources: unknown field',
    method: 'post',
    path: `${V}/sources`,
    body: { name: 'x', colour: 'red' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.colour'],
  },
  {
    name: 'sources: lower-case type',
    method: 'post',
    path: `${V}/sources`,
    body: { name: 'x', type: 'webhook' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.type'],
  },
  {
    name: 'sources: unknown auth type',
    method: 'post',
    path: `${V}/sources`,
    body: { name: 'x', config: { auth: { type: 'magic' } } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.auth.type'],
  },
  {
    name: 'sources: HMAC auth without header or secret',
    method: 'post',
    path: `${V}/sources`,
    body: { name: 'x', config: { auth: { type: 'hmac' } } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.auth.header_key', 'body.config.auth.webhook_secret_key'],
  },
  {
    name: 'sources: GET among allowed methods',
    method: 'post',
    path: `${V}/sources`,
    body: { name: 'x', config: { allowed_http_methods: ['POST', 'GET'] } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.allowed_http_methods.1'],
  },
  { name: 'sources: duplicate name', method: 'post', path: `${V}/sources`, body: { name: 'orders' }, expectStatus: 409, expectCode: 'RESOURCE_ALREADY_EXISTS' },
  {
    name: 'sources: rename onto an existing name',
    method: 'patch',
    path: `${V}/sources/{{src}}`,
    body: { name: 'retired' },
    expectStatus: 409,
    expectCode: 'RESOURCE_ALREADY_EXISTS',
  },
  {
    name: 'sources: PATCH with an empty name',
    method: 'patch',
    path: `${V}/sources/{{src}}`,
    body: { name: '' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name'],
  },
  {
    name: 'sources: upsert (PUT) without a name',
    method: 'put',
    path: `${V}/sources`,
    body: { description: 'x' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name'],
  },
  { name: 'sources: unknown id', method: 'get', path: `${V}/sources/src_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'sources: malformed id', method: 'get', path: `${V}/sources/not-an-id`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'sources: id of another kind', method: 'get', path: `${V}/sources/{{des}}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'sources: disable an unknown id', method: 'put', path: `${V}/sources/src_${UNKNOWN}/disable`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'sources: delete an unknown id', method: 'delete', path: `${V}/sources/src_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'sources: list ordered by an unknown column',
    method: 'get',
    path: `${V}/sources?order_by=colour`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.order_by'],
  },
  {
    name: 'sources: list with a bad dir and disabled flag',
    method: 'get',
    path: `${V}/sources?dir=sideways&disabled=maybe`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.dir', 'query.disabled'],
  },
  {
    name: 'sources: a read-only key deletes',
    method: 'delete',
    path: `${V}/sources/{{src}}`,
    as: 'readonly',
    expectStatus: 403,
    expectCode: 'INSUFFICIENT_SCOPE',
  },

  // --- destinations ----------------------------------------------------------------------------
  {
    name: 'destinations: loopback URL with private destinations off',
    hub: 'strict',
    method: 'post',
    path: `${V}/destinations`,
    body: okDestination('http://127.0.0.1:9/hook'),
    expectStatus: 422,
    expectCode: 'PRIVATE_DESTINATION',
    expectDetailPaths: ['config.url'],
  },
  {
    name: 'destinations: localhost with private destinations off',
    hub: 'strict',
    method: 'post',
    path: `${V}/destinations`,
    body: okDestination('http://localhost:3000/'),
    expectStatus: 422,
    expectCode: 'PRIVATE_DESTINATION',
    expectDetailPaths: ['config.url'],
  },
  {
    name: 'destinations: RFC 1918 address with private destinations off',
    hub: 'strict',
    method: 'post',
    path: `${V}/destinations`,
    body: okDestination('https://10.1.2.3/hook'),
    expectStatus: 422,
    expectCode: 'PRIVATE_DESTINATION',
    expectDetailPaths: ['config.url'],
  },
  {
    name: 'destinations: cloud metadata address with private destinations off',
    hub: 'strict',
    method: 'post',
    path: `${V}/destinations`,
    body: okDestination('http://169.254.169.254/latest/meta-data'),
    expectStatus: 422,
    expectCode: 'PRIVATE_DESTINATION',
    expectDetailPaths: ['config.url'],
  },
  {
    name: 'destinations: IPv6 loopback with private destinations off',
    hub: 'strict',
    method: 'post',
    path: `${V}/destinations`,
    body: okDestination('http://[::1]:8080/'),
    expectStatus: 422,
    expectCode: 'PRIVATE_DESTINATION',
    expectDetailPaths: ['config.url'],
  },
  {
    name: 'destinations: IPv4-mapped IPv6 loopback with private destinations off',
    hub: 'strict',
    method: 'post',
    path: `${V}/destinations`,
    body: okDestination('http://[::ffff:127.0.0.1]/'),
    expectStatus: 422,
    expectCode: 'PRIVATE_DESTINATION',
    expectDetailPaths: ['config.url'],
  },
  {
    name: 'destinations: PATCH onto a private URL with private destinations off',
    hub: 'strict',
    method: 'patch',
    path: `${V}/destinations/{{strictDes}}`,
    body: { config: { url: 'http://192.168.1.10/' } },
    expectStatus: 422,
    expectCode: 'PRIVATE_DESTINATION',
    expectDetailPaths: ['config.url'],
  },
  {
    name: 'destinations: upsert (PUT) onto a private URL with private destinations off',
    hub: 'strict',
    method: 'put',
    path: `${V}/destinations`,
    body: { name: 'public', url: 'http://127.0.0.1/' },
    expectStatus: 422,
    expectCode: 'PRIVATE_DESTINATION',
    expectDetailPaths: ['config.url'],
  },
  {
    name: 'destinations: ftp:// URL',
    method: 'post',
    path: `${V}/destinations`,
    body: okDestination('ftp://example.com/file'),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.url'],
  },
  {
    name: 'destinations: javascript: URL as the top-level shorthand',
    method: 'post',
    path: `${V}/destinations`,
    body: { name: 'x', url: 'javascript:alert(1)' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.url'],
  },
  {
    name: 'destinations: not a URL at all',
    method: 'post',
    path: `${V}/destinations`,
    body: okDestination('definitely not a url'),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.url'],
  },
  {
    name: 'destinations: config missing',
    method: 'post',
    path: `${V}/destinations`,
    body: { name: 'x' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config'],
  },
  {
    name: 'destinations: bad header name and a header value with a line break',
    method: 'post',
    path: `${V}/destinations`,
    body: { name: 'x', config: { url: 'https://example.com/', headers: { 'Bad Header': 'x', 'X-Ok': 'a\r\nInjected: yes' } } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.headers.Bad Header', 'body.config.headers.X-Ok'],
  },
  {
    name: 'destinations: unknown auth type',
    method: 'post',
    path: `${V}/destinations`,
    body: { name: 'x', config: { url: 'https://example.com/', auth: { type: 'oauth2' } } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.auth.type'],
  },
  {
    name: 'destinations: bearer auth without a token',
    method: 'post',
    path: `${V}/destinations`,
    body: { name: 'x', config: { url: 'https://example.com/', auth: { type: 'bearer' } } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.auth.token'],
  },
  {
    name: 'destinations: non-HTTP type, bad method and a tiny timeout',
    method: 'post',
    path: `${V}/destinations`,
    body: { name: 'x', type: 'SMTP', config: { url: 'https://example.com/', http_method: 'TRACE', timeout_ms: 5 } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.type', 'body.config.http_method', 'body.config.timeout_ms'],
  },
  {
    name: 'destinations: PATCH to an ftp:// URL',
    method: 'patch',
    path: `${V}/destinations/{{des}}`,
    body: { config: { url: 'ftp://example.com/' } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.url'],
  },
  { name: 'destinations: enable an unknown id', method: 'post', path: `${V}/destinations/des_${UNKNOWN}/enable`, expectStatus: 404, expectCode: 'NOT_FOUND' },

  // --- connections -----------------------------------------------------------------------------
  {
    name: 'connections: unknown source_id',
    method: 'post',
    path: `${V}/connections`,
    body: { ...okConnection, source_id: `src_${UNKNOWN}` },
    expectStatus: 422,
    expectCode: 'UNPROCESSABLE_ENTITY',
    expectDetailPaths: ['source_id'],
  },
  {
    name: 'connections: unknown source and destination (as nested refs)',
    method: 'post',
    path: `${V}/connections`,
    body: { name: 'x', source: { id: 'nope' }, destination: { id: `des_${UNKNOWN}` } },
    expectStatus: 422,
    expectCode: 'UNPROCESSABLE_ENTITY',
    expectDetailPaths: ['source_id', 'destination_id'],
  },
  {
    name: 'connections: everything missing',
    method: 'post',
    path: `${V}/connections`,
    body: {},
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name', 'body.source_id', 'body.destination_id'],
  },
  {
    name: 'connections: unknown rule type',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'teleport' }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0'],
    expectMessage: /unknown rule type "teleport"/,
  },
  {
    name: 'connections: transform with a broken JSONata expression',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({
      type: 'transform',
      mappings: [
        { to: 'ok', from: 'body.a' },
        { to: 'name', expression: '$uppercase(' },
      ],
    }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.mappings.1.expression'],
    expectMessage: /mapping 2/,
  },
  {
    name: 'connections: transform writing an envelope key',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'transform', mappings: [{ to: 'eventId', value: 'mine' }] }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.mappings.0.to'],
  },
  {
    name: 'connections: transform entry with both from and value',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'transform', mappings: [{ to: 'x', from: 'body.a', value: 1 }] }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.mappings.0'],
  },
  {
    name: 'connections: transformation rule with neither an id nor inline code',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'transformation' }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.transformation_id'],
  },
  {
    name: 'connections: transformation rule naming an unknown transformation',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'transformation', transformation_id: `trs_${UNKNOWN}` }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.transformation_id'],
  },
  {
    name: 'connections: a rule that is null',
    method: 'post',
    path: `${V}/connections`,
    body: withRule(null),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0'],
  },
  {
    name: 'connections: rules that are not a list',
    method: 'post',
    path: `${V}/connections`,
    body: { ...okConnection, rules: { type: 'filter' } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules'],
  },
  {
    name: 'connections: filter with an unknown operator',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'filter', body: { amount: { $foo: 1 } } }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0'],
    expectMessage: /\$foo/,
  },
  {
    name: 'connections: filter with an unknown top-level operator',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'filter', headers: { $where: 'sleep(1000)' } }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0'],
  },
  {
    name: 'connections: retry count over 50',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'retry', count: 51 }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.count'],
  },
  {
    name: 'connections: retry interval under a second and a bad status spec',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'retry', interval: 10, response_status_codes: ['5xx'] }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.interval', 'body.rules.0.response_status_codes.0'],
  },
  {
    name: 'connections: two delay rules',
    method: 'post',
    path: `${V}/connections`,
    body: {
      ...okConnection,
      rules: [
        { type: 'delay', delay: 1000 },
        { type: 'filter', body: { b: 1 } },
        { type: 'delay', delay: 2000 },
      ],
    },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.2.type'],
    expectMessage: /only one delay rule/,
  },
  {
    name: 'connections: duplicate name on the same source',
    method: 'post',
    path: `${V}/connections`,
    body: { ...okConnection, name: 'orders-to-receiver' },
    expectStatus: 409,
    expectCode: 'RESOURCE_ALREADY_EXISTS',
  },
  {
    name: 'connections: PATCH to an unknown destination',
    method: 'patch',
    path: `${V}/connections/{{web}}`,
    body: { destination_id: `des_${UNKNOWN}` },
    expectStatus: 422,
    expectCode: 'UNPROCESSABLE_ENTITY',
    expectDetailPaths: ['destination_id'],
  },
  {
    name: 'connections: upsert (PUT) by an unknown id',
    method: 'put',
    path: `${V}/connections`,
    body: { ...okConnection, id: `web_${UNKNOWN}` },
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  { name: 'connections: pause an unknown id', method: 'put', path: `${V}/connections/web_${UNKNOWN}/pause`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'connections: unpause a malformed id', method: 'post', path: `${V}/connections/web_!!/unpause`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'connections: latest input of an unknown id',
    method: 'get',
    path: `${V}/connections/web_${UNKNOWN}/latest-input`,
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  {
    name: 'connections: a read-only key pauses',
    method: 'put',
    path: `${V}/connections/{{web}}/pause`,
    as: 'readonly',
    expectStatus: 403,
    expectCode: 'INSUFFICIENT_SCOPE',
  },

  // --- requests, events, attempts --------------------------------------------------------------
  {
    name: 'requests: unknown status filter',
    method: 'get',
    path: `${V}/requests?status=weird`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.status'],
  },
  {
    name: 'requests: bad from and to times',
    method: 'get',
    path: `${V}/requests?from=yesterday&to=2024-13-45`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.from', 'query.to'],
  },
  {
    name: 'requests: a relative time beyond the calendar',
    method: 'get',
    path: `${V}/requests?from=now-99999999999w`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.from'],
  },
  {
    name: 'requests: a relative time before the database calendar',
    method: 'get',
    path: `${V}/requests?to=now-10000000w`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.to'],
  },
  {
    name: 'requests: verified is not a boolean',
    method: 'get',
    path: `${V}/requests?verified=perhaps`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.verified'],
  },
  {
    name: 'requests: limit 0',
    method: 'get',
    path: `${V}/requests?limit=0`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.limit'],
  },
  {
    name: 'requests: limit 256',
    method: 'get',
    path: `${V}/requests?limit=256`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.limit'],
  },
  {
    name: 'requests: limit "abc"',
    method: 'get',
    path: `${V}/requests?limit=abc`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.limit'],
  },
  {
    name: 'requests: limit 1.5',
    method: 'get',
    path: `${V}/requests?limit=1.5`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.limit'],
  },
  { name: 'requests: garbage cursor', method: 'get', path: `${V}/requests?next=!!!not-a-cursor`, expectStatus: 400, expectCode: 'INVALID_CURSOR' },
  { name: 'requests: unknown id', method: 'get', path: `${V}/requests/req_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'requests: malformed id', method: 'get', path: `${V}/requests/12345`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'requests: events of an unknown request', method: 'get', path: `${V}/requests/req_${UNKNOWN}/events`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'requests: events of a request with an unknown status filter',
    method: 'get',
    path: `${V}/requests/{{req}}/events?status=exploded`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.status'],
  },
  {
    name: 'requests: ignored events of an unknown request',
    method: 'get',
    path: `${V}/requests/req_${UNKNOWN}/ignored_events`,
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  { name: 'requests: retry an unknown request', method: 'post', path: `${V}/requests/req_${UNKNOWN}/retry`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'events: unknown status filter',
    method: 'get',
    path: `${V}/events?status=QUEUED,exploded`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.status'],
  },
  {
    name: 'events: bad from time',
    method: 'get',
    path: `${V}/events?from=2024-02-30T25:61:00Z`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.from'],
  },
  {
    name: 'events: limit 256 and a bad dir',
    method: 'get',
    path: `${V}/events?limit=256&dir=up`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.limit', 'query.dir'],
  },
  { name: 'events: cursor that is not base64 JSON', method: 'get', path: `${V}/events?cursor=%25%25%25`, expectStatus: 400, expectCode: 'INVALID_CURSOR' },
  {
    name: 'events: cursor of the wrong shape',
    method: 'get',
    path: `${V}/events?next=${forgedCursor({ v: 1, id: 2 })}`,
    expectStatus: 400,
    expectCode: 'INVALID_CURSOR',
  },
  { name: 'events: unknown id', method: 'get', path: `${V}/events/evt_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'events: a NUL in the id', method: 'get', path: `${V}/events/evt_%00`, expectStatus: 400, expectCode: 'INVALID_INPUT', expectDetailPaths: ['path'] },
  { name: 'events: retry an unknown event', method: 'post', path: `${V}/events/evt_${UNKNOWN}/retry`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'events: a read-only key retries',
    method: 'post',
    path: `${V}/events/{{evt}}/retry`,
    as: 'readonly',
    expectStatus: 403,
    expectCode: 'INSUFFICIENT_SCOPE',
  },
  {
    name: 'attempts: limit 0',
    method: 'get',
    path: `${V}/attempts?limit=0`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.limit'],
  },
  { name: 'attempts: garbage prev cursor', method: 'get', path: `${V}/attempts?prev=e30`, expectStatus: 400, expectCode: 'INVALID_CURSOR' },
  { name: 'attempts: unknown id', method: 'get', path: `${V}/attempts/atm_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'attempts: malformed id', method: 'get', path: `${V}/attempts/{{evt}}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'sources: forged cursor whose time is not a time',
    method: 'get',
    path: `${V}/sources?next=${forgedCursor({ v: 'not a time', id: 'src_x' })}`,
    expectStatus: 400,
    expectCode: 'INVALID_CURSOR',
  },

  // --- project secrets -------------------------------------------------------------------------
  {
    name: 'project-secrets: short api_key',
    method: 'put',
    path: `${V}/project-secrets`,
    body: { api_key: 'short' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.api_key'],
  },
  {
    name: 'project-secrets: both secrets short',
    method: 'put',
    path: `${V}/project-secrets`,
    body: { api_key: 'short', signing_secret: 'tiny' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.api_key', 'body.signing_secret'],
  },
  {
    name: 'project-secrets: empty body',
    method: 'put',
    path: `${V}/project-secrets`,
    body: {},
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body'],
  },
  {
    name: 'project-secrets: no body',
    method: 'put',
    path: `${V}/project-secrets`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body'],
  },
  {
    name: 'project-secrets: unknown field',
    method: 'put',
    path: `${V}/project-secrets`,
    body: { signing_secret: 'long-enough-secret', master_key: 'x' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.master_key'],
  },
  {
    name: 'project-secrets: rotate something unknown',
    method: 'post',
    path: `${V}/project-secrets/rotate`,
    body: { rotate: ['everything'] },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rotate.0'],
  },
  {
    name: 'project-secrets: a read-only key rotates',
    method: 'post',
    path: `${V}/project-secrets/rotate`,
    as: 'readonly',
    body: {},
    expectStatus: 403,
    expectCode: 'INSUFFICIENT_SCOPE',
  },

  // --- ingest ----------------------------------------------------------------------------------
  { name: 'ingest: unknown source', method: 'post', path: `/e/src_${UNKNOWN}`, as: 'none', body: { a: 1 }, expectStatus: 404, expectCode: 'SOURCE_NOT_FOUND' },
  { name: 'ingest: malformed source id', method: 'post', path: '/e/<script>', as: 'none', body: { a: 1 }, expectStatus: 404, expectCode: 'SOURCE_NOT_FOUND' },
  {
    name: 'ingest: a destination id as the source',
    method: 'post',
    path: '/e/{{des}}/sub/path',
    as: 'none',
    body: { a: 1 },
    expectStatus: 404,
    expectCode: 'SOURCE_NOT_FOUND',
  },
  { name: 'ingest: disabled source', method: 'post', path: '/e/{{disabledSrc}}', as: 'none', body: { a: 1 }, expectStatus: 410, expectCode: 'SOURCE_DISABLED' },
  {
    name: 'ingest: GET',
    method: 'get',
    path: '/e/{{src}}',
    as: 'none',
    expectStatus: 405,
    expectCode: 'METHOD_NOT_ALLOWED',
    expectHeaders: { allow: 'POST, PUT, PATCH' },
  },
  { name: 'ingest: DELETE', method: 'delete', path: '/e/{{src}}/a/b', as: 'none', expectStatus: 405, expectCode: 'METHOD_NOT_ALLOWED' },
  {
    name: 'ingest: PUT to a POST-only source',
    method: 'put',
    path: '/e/{{postOnlySrc}}',
    as: 'none',
    body: { a: 1 },
    expectStatus: 405,
    expectCode: 'METHOD_NOT_ALLOWED',
    expectHeaders: { allow: 'POST' },
  },
  {
    name: 'ingest: body over the limit',
    hub: 'strict',
    method: 'post',
    path: '/e/{{strictSrc}}',
    as: 'none',
    body: 'x'.repeat(3000),
    headers: { 'content-type': 'text/plain' },
    expectStatus: 413,
    expectCode: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'ingest: JSON body over the limit',
    hub: 'strict',
    method: 'post',
    path: '/e/{{strictSrc}}',
    as: 'none',
    body: { blob: 'y'.repeat(4096) },
    expectStatus: 413,
    expectCode: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'ingest: body over the limit to an unknown source',
    hub: 'strict',
    method: 'post',
    path: `/e/src_${UNKNOWN}`,
    as: 'none',
    body: 'z'.repeat(3000),
    headers: { 'content-type': 'text/plain' },
    expectStatus: 413,
    expectCode: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'ingest: unknown content-encoding',
    method: 'post',
    path: '/e/{{src}}',
    as: 'none',
    body: '{"a":1}',
    headers: { 'content-type': 'application/json', 'content-encoding': 'snappy' },
    expectStatus: 415,
    expectCode: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'ingest: gzip that is not gzip',
    method: 'post',
    path: '/e/{{src}}',
    as: 'none',
    body: 'not gzip at all',
    headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' },
    expectStatus: 400,
    expectCode: 'BAD_REQUEST',
  },
  {
    name: 'ingest: missing API key on a verified source',
    method: 'post',
    path: '/e/{{guardedSrc}}',
    as: 'none',
    body: { a: 1 },
    expectStatus: 401,
    expectCode: 'VERIFICATION_FAILED',
  },
  {
    name: 'ingest: malformed percent-encoding in the path',
    method: 'post',
    path: '/e/{{src}}/%E0%A4%A',
    as: 'none',
    body: { a: 1 },
    expectStatus: 400,
    expectCode: 'BAD_REQUEST',
  },

  // --- the API as a whole: bodies, content types, credentials, routes --------------------------
  {
    name: 'API: malformed JSON',
    method: 'post',
    path: `${V}/sources`,
    body: '{"name": "x",',
    headers: JSON_TYPE,
    expectStatus: 400,
    expectCode: 'INVALID_JSON',
  },
  {
    name: 'API: JSON that is a bare string',
    method: 'post',
    path: `${V}/sources`,
    body: '"just a string"',
    headers: JSON_TYPE,
    expectStatus: 400,
    expectCode: 'INVALID_JSON',
  },
  {
    name: 'API: JSON that is an array',
    method: 'post',
    path: `${V}/sources`,
    body: '[{"name":"x"}]',
    headers: JSON_TYPE,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body'],
  },
  {
    name: 'API: malformed JSON on sign-up',
    method: 'post',
    path: `${V}/auth/signup`,
    as: 'none',
    body: '{email:',
    headers: JSON_TYPE,
    expectStatus: 400,
    expectCode: 'INVALID_JSON',
  },
  {
    name: 'API: text/plain body',
    method: 'post',
    path: `${V}/sources`,
    body: 'name=x',
    headers: { 'content-type': 'text/plain' },
    expectStatus: 415,
    expectCode: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'API: form-encoded body',
    method: 'post',
    path: `${V}/auth/login`,
    as: 'none',
    body: 'email=a&password=b',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    expectStatus: 415,
    expectCode: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'API: a body without any content type',
    method: 'put',
    path: `${V}/project-secrets`,
    body: Buffer.from('{"signing_secret":"long-enough-secret"}'),
    expectStatus: 415,
    expectCode: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'API: JSON in an unsupported charset',
    method: 'post',
    path: `${V}/sources`,
    body: '{"name":"x"}',
    headers: { 'content-type': 'application/json; charset=latin1' },
    expectStatus: 415,
    expectCode: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'API: JSON body over 1 MiB',
    method: 'post',
    path: `${V}/sources`,
    body: { name: 'x', description: 'd'.repeat(1_100_000) },
    expectStatus: 413,
    expectCode: 'PAYLOAD_TOO_LARGE',
  },
  { name: 'API: no Authorization header', method: 'get', path: `${V}/sources`, as: 'none', expectStatus: 401, expectCode: 'UNAUTHORIZED' },
  {
    name: 'API: Basic instead of Bearer',
    method: 'get',
    path: `${V}/sources`,
    headers: { authorization: 'Basic dXNlcjpwYXNz' },
    expectStatus: 401,
    expectCode: 'UNAUTHORIZED',
  },
  {
    name: 'API: Bearer with nothing after it',
    method: 'get',
    path: `${V}/sources`,
    headers: { authorization: 'Bearer ' },
    expectStatus: 401,
    expectCode: 'UNAUTHORIZED',
  },
  {
    name: 'API: an API key that does not exist',
    method: 'get',
    path: `${V}/sources`,
    headers: { authorization: `Bearer wh_live_${'a'.repeat(40)}` },
    expectStatus: 401,
    expectCode: 'UNAUTHORIZED',
  },
  {
    name: 'API: a session token that does not exist',
    method: 'get',
    path: `${V}/events`,
    headers: { authorization: `Bearer whs_${'b'.repeat(43)}` },
    expectStatus: 401,
    expectCode: 'UNAUTHORIZED',
  },
  {
    name: 'API: a token of no known kind',
    method: 'delete',
    path: `${V}/sources/{{src}}`,
    headers: { authorization: 'Bearer hunter2' },
    expectStatus: 401,
    expectCode: 'UNAUTHORIZED',
  },
  {
    name: 'API: an absurdly long token',
    method: 'get',
    path: `${V}/sources`,
    headers: { authorization: `Bearer ${'c'.repeat(5000)}` },
    expectStatus: 401,
    expectCode: 'UNAUTHORIZED',
  },
  {
    name: 'API: a read-only key creates a source',
    method: 'post',
    path: `${V}/sources`,
    as: 'readonly',
    body: okSource,
    expectStatus: 403,
    expectCode: 'INSUFFICIENT_SCOPE',
  },
  {
    name: 'API: a read-only key changes a destination',
    method: 'patch',
    path: `${V}/destinations/{{des}}`,
    as: 'readonly',
    body: { description: 'changed' },
    expectStatus: 403,
    expectCode: 'INSUFFICIENT_SCOPE',
  },
  {
    name: 'API: x-team-id of a workspace that does not exist',
    method: 'get',
    path: `${V}/sources`,
    headers: { 'x-team-id': `tm_${UNKNOWN}` },
    expectStatus: 403,
    expectCode: 'FORBIDDEN',
  },
  { name: 'API: unknown route', method: 'get', path: `${V}/widgets`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'API: unknown route without the version', method: 'post', path: '/api/widgets/1', body: {}, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'API: unknown method on a known route', method: 'delete', path: `${V}/project-secrets`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'unknown route outside the API', method: 'post', path: '/no/such/thing', as: 'none', body: {}, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'API: malformed percent-encoding in an id', method: 'get', path: `${V}/sources/%E0%A4%A`, expectStatus: 400, expectCode: 'BAD_REQUEST' },

  // --- webhooks, mappings, hooks and connector destinations --------------------------------------
  {
    name: 'webhooks: everything missing',
    method: 'post',
    path: `${V}/webhooks`,
    body: {},
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name', 'body.url', 'body.events'],
  },
  {
    name: 'webhooks: no events, an ftp URL, an unknown signing mode',
    method: 'post',
    path: `${V}/webhooks`,
    body: { name: 'x', url: 'ftp://example.com/', events: [], signing: 'rsa' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.url', 'body.events', 'body.signing'],
  },
  {
    name: 'webhooks: a short secret and an authorization with a line break',
    method: 'post',
    path: `${V}/webhooks`,
    body: { name: 'x', url: 'https://example.com/', events: ['lead.captured'], secret: 'short', authorization: 'a\r\nX-Injected: 1' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.secret', 'body.authorization'],
  },
  {
    name: 'webhooks: the same event twice and an unknown field',
    method: 'post',
    path: `${V}/webhooks`,
    body: { name: 'x', url: 'https://example.com/', events: ['lead.captured', 'lead.captured'], retries: 3 },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.events', 'body.retries'],
  },
  {
    name: 'webhooks: mappings that are not a list',
    method: 'post',
    path: `${V}/webhooks`,
    body: { name: 'x', url: 'https://example.com/', events: ['lead.captured'], mappings: { to: 'a' } },
    expectStatus: 422,
    expectCode: 'INVALID_MAPPING',
    expectDetailPaths: ['mappings'],
  },
  {
    name: 'webhooks: an unknown event type',
    method: 'post',
    path: `${V}/webhooks`,
    body: { name: 'x', url: 'https://example.com/', events: ['lead.vanished'] },
    expectStatus: 422,
    expectCode: 'UNKNOWN_EVENT_TYPE',
    expectDetailPaths: ['events.0'],
  },
  {
    name: 'webhooks: a private URL with private destinations off',
    hub: 'strict',
    method: 'post',
    path: `${V}/webhooks`,
    body: { name: 'x', url: 'http://169.254.169.254/latest', events: ['lead.captured'] },
    expectStatus: 422,
    expectCode: 'PRIVATE_DESTINATION',
    expectDetailPaths: ['config.url'],
  },
  {
    name: 'webhooks: a read-only key creates one',
    as: 'readonly',
    method: 'post',
    path: `${V}/webhooks`,
    body: { name: 'x', url: 'https://example.com/', events: ['lead.captured'] },
    expectStatus: 403,
  },
  {
    name: 'webhooks: name taken by a destination',
    method: 'post',
    path: `${V}/webhooks`,
    body: { name: 'receiver', url: 'https://example.com/', events: ['lead.captured'] },
    expectStatus: 409,
    expectCode: 'RESOURCE_ALREADY_EXISTS',
  },
  {
    name: 'webhooks: PATCH with enabled as a string',
    method: 'patch',
    path: `${V}/webhooks/{{whk}}`,
    body: { enabled: 'yes' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.enabled'],
  },
  {
    name: 'webhooks: PATCH a mapping onto an envelope key',
    method: 'patch',
    path: `${V}/webhooks/{{whk}}`,
    body: { mappings: [{ to: 'customerId', from: 'data.email' }] },
    expectStatus: 422,
    expectCode: 'INVALID_MAPPING',
    expectDetailPaths: ['mappings.0.to'],
  },
  { name: 'webhooks: unknown id', method: 'get', path: `${V}/webhooks/web_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'webhooks: a plain connection is not a webhook', method: 'get', path: `${V}/webhooks/{{web}}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'webhooks: rotate the secret of a malformed id',
    method: 'post',
    path: `${V}/webhooks/nope/rotate-secret`,
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  {
    name: 'webhooks: test with an unknown event type',
    method: 'post',
    path: `${V}/webhooks/{{whk}}/test`,
    body: { eventType: 'nope.never' },
    expectStatus: 422,
    expectCode: 'UNKNOWN_EVENT_TYPE',
  },
  {
    name: 'webhooks: test with data that is not an object',
    method: 'post',
    path: `${V}/webhooks/{{whk}}/test`,
    body: { data: [1, 2] },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.data'],
  },
  {
    name: 'mappings preview: neither event type nor sample',
    method: 'post',
    path: `${V}/mappings/preview`,
    body: { mappings: [] },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.eventType'],
  },
  {
    name: 'mappings preview: an expression that loops forever',
    method: 'post',
    path: `${V}/mappings/preview`,
    body: { eventType: 'lead.captured', mappings: [{ to: 'x', expression: '($f := function($n){ $f($n + 1) }; $f(0))' }] },
    expectStatus: 422,
    expectCode: 'INVALID_MAPPING',
    expectDetailPaths: ['mappings.0.expression'],
  },
  {
    name: 'mappings preview: a path with spaces',
    method: 'post',
    path: `${V}/mappings/preview`,
    body: { eventType: 'lead.captured', mappings: [{ to: 'x', from: 'data. email' }] },
    expectStatus: 422,
    expectCode: 'INVALID_MAPPING',
    expectDetailPaths: ['mappings.0.from'],
  },
  {
    name: 'hooks: target_url missing',
    method: 'post',
    path: `${V}/hooks`,
    body: { event: 'lead.captured' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.target_url'],
  },
  {
    name: 'hooks: unknown event',
    method: 'post',
    path: `${V}/hooks`,
    body: { target_url: 'https://hooks.zapier.com/x', event: 'lead.vanished' },
    expectStatus: 422,
    expectCode: 'UNKNOWN_EVENT_TYPE',
    expectDetailPaths: ['event'],
  },
  { name: 'hooks: delete an unknown subscription', method: 'delete', path: `${V}/hooks/web_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'hooks: samples of an unknown event', method: 'get', path: `${V}/hooks/samples/lead.vanished`, expectStatus: 422, expectCode: 'UNKNOWN_EVENT_TYPE' },
  {
    name: 'destinations: google-sheets without credentials or columns',
    method: 'post',
    path: `${V}/destinations`,
    body: { name: 'x', type: 'google-sheets', config: { spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms' } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.credentials', 'body.config.columns'],
  },
  {
    name: 'destinations: crm-relay with an unknown preset',
    method: 'post',
    path: `${V}/destinations`,
    body: { name: 'x', type: 'crm-relay', config: { preset: 'salesforce' } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.config.preset'],
  },
  {
    name: 'destinations: PATCH the type',
    method: 'patch',
    path: `${V}/destinations/{{des}}`,
    body: { type: 'google-sheets' },
    expectStatus: 422,
    expectCode: 'TYPE_IMMUTABLE',
    expectDetailPaths: ['type'],
  },
  { name: 'destinations: test an unknown id', method: 'post', path: `${V}/destinations/des_${UNKNOWN}/test`, expectStatus: 404, expectCode: 'NOT_FOUND' },

  // --- workspace credentials (Settings) ----------------------------------------------------------
  {
    name: 'credentials: unknown kind',
    method: 'post',
    path: `${V}/credentials`,
    body: { kind: 'salesforce', secret: 'tok-123' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.kind'],
  },
  {
    name: 'credentials: secret missing',
    method: 'post',
    path: `${V}/credentials`,
    body: { kind: 'hubspot' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.secret'],
  },
  {
    name: 'credentials: Google key that is not JSON',
    method: 'post',
    path: `${V}/credentials`,
    body: { kind: 'google-service-account', secret: '{"type": "service_account", "client_email": ' },
    expectStatus: 422,
    expectCode: 'INVALID_CREDENTIAL',
    expectDetailPaths: ['body.secret'],
  },
  {
    name: 'credentials: Google OAuth user key instead of a service account',
    method: 'post',
    path: `${V}/credentials`,
    body: { kind: 'google-service-account', secret: { type: 'authorized_user', client_id: 'x.apps.googleusercontent.com', refresh_token: '1//0g' } },
    expectStatus: 422,
    expectCode: 'INVALID_CREDENTIAL',
    expectDetailPaths: ['body.secret.type', 'body.secret.client_email', 'body.secret.private_key'],
  },
  {
    name: 'credentials: HubSpot token with spaces',
    method: 'post',
    path: `${V}/credentials`,
    body: { kind: 'hubspot', secret: 'pat-na1 1111 2222' },
    expectStatus: 422,
    expectCode: 'INVALID_CREDENTIAL',
    expectDetailPaths: ['body.secret'],
  },
  {
    name: 'credentials: Pipedrive token over 4096 characters',
    method: 'post',
    path: `${V}/credentials`,
    body: { kind: 'pipedrive', secret: 'a'.repeat(4097) },
    expectStatus: 422,
    expectCode: 'INVALID_CREDENTIAL',
    expectDetailPaths: ['body.secret'],
  },
  {
    name: 'credentials: unknown kind filter',
    method: 'get',
    path: `${V}/credentials?kind=slack`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.kind'],
  },
  {
    name: 'credentials: replace an unknown id',
    method: 'put',
    path: `${V}/credentials/cred_${UNKNOWN}`,
    body: { secret: 'tok-123' },
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  { name: 'credentials: delete a malformed id', method: 'delete', path: `${V}/credentials/des_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'credentials: a read-only key saves a token',
    method: 'post',
    path: `${V}/credentials`,
    as: 'readonly',
    body: { kind: 'hubspot', secret: 'tok-123' },
    expectStatus: 403,
    expectCode: 'INSUFFICIENT_SCOPE',
  },
  {
    name: 'destinations: google-sheets with an unknown credential_id',
    method: 'post',
    path: `${V}/destinations`,
    body: {
      name: 'x',
      type: 'google-sheets',
      config: { credential_id: `cred_${UNKNOWN}`, spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms', columns: ['email'] },
    },
    expectStatus: 422,
    expectCode: 'NO_CREDENTIAL',
    expectDetailPaths: ['body.config.credential_id'],
  },
  {
    name: 'destinations: hubspot with credential_id default and none saved',
    method: 'post',
    path: `${V}/destinations`,
    body: { name: 'x', type: 'crm-relay', config: { preset: 'hubspot', credential_id: 'default' } },
    expectStatus: 422,
    expectCode: 'NO_CREDENTIAL',
    expectDetailPaths: ['body.config.credential_id'],
    expectMessage: /Settings/,
  },
  {
    name: 'destinations: credential_id on a plain webhook',
    method: 'patch',
    path: `${V}/destinations/{{des}}`,
    body: { config: { credential_id: 'default' } },
    expectStatus: 422,
    expectCode: 'CREDENTIAL_NOT_SUPPORTED',
    expectDetailPaths: ['body.config.credential_id'],
  },

  // --- absurd query strings --------------------------------------------------------------------
  {
    name: 'query: limit given twice',
    method: 'get',
    path: `${V}/sources?limit=1&limit=2`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.limit'],
  },
  // A repeated status is a list (status=FAILED&status=HOLD, as in a JSON body); a repeated id is not.
  {
    name: 'query: source_id given twice',
    method: 'get',
    path: `${V}/events?source_id=src_a&source_id=src_b`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.source_id'],
  },
  {
    name: 'query: from given twice',
    method: 'get',
    path: `${V}/requests?from=now-1h&from=now`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.from'],
  },
  {
    name: 'query: cursor given twice',
    method: 'get',
    path: `${V}/attempts?next=a&next=b`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.next'],
  },
  {
    name: 'query: name and include given twice',
    method: 'get',
    path: `${V}/connections?name=a&name=b&include=x&include=y`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.name', 'query.include'],
  },
  {
    name: 'query: empty limit',
    method: 'get',
    path: `${V}/destinations?limit=`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.limit'],
  },
  {
    name: 'query: a filter id far too long',
    method: 'get',
    path: `${V}/events?request_id=${'r'.repeat(500)}`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.request_id'],
  },

  // --- connection rules: delay, deduplicate, transform expression --------------------------------
  {
    name: 'rules: delay over a day',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'delay', delay: 86_400_001 }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.delay'],
  },
  {
    name: 'rules: negative delay',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'delay', delay: -1 }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.delay'],
  },
  {
    name: 'rules: delay missing',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'delay' }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.delay'],
  },
  {
    name: 'rules: delay as text, with an unknown field',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'delay', delay: '5s', unit: 'ms' }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.delay', 'body.rules.0.unit'],
  },
  {
    name: 'rules: deduplicate window under a second',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'deduplicate', window: 999 }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.window'],
  },
  {
    name: 'rules: deduplicate window over an hour',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'deduplicate', window: 3_600_001 }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.window'],
  },
  {
    name: 'rules: deduplicate without a window',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'deduplicate', include_fields: ['body.id'] }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.window'],
  },
  {
    name: 'rules: deduplicate with both include_fields and exclude_fields',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'deduplicate', window: 5000, include_fields: ['body.id'], exclude_fields: ['body.at'] }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.exclude_fields'],
    expectMessage: /not both/,
  },
  {
    name: 'rules: deduplicate field outside the request',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'deduplicate', window: 5000, include_fields: ['body.id', 'data.email'] }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.include_fields.1'],
  },
  {
    name: 'rules: deduplicate with an empty list of fields',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'deduplicate', window: 5000, exclude_fields: [] }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.exclude_fields'],
  },
  {
    name: 'rules: two deduplicate rules',
    method: 'post',
    path: `${V}/connections`,
    body: {
      ...okConnection,
      rules: [
        { type: 'deduplicate', window: 5000 },
        { type: 'deduplicate', window: 6000 },
      ],
    },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.1.type'],
  },
  {
    name: 'rules: transform with a broken expression',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'transform', expression: '$merge([$, {"a": ' }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.expression'],
    expectMessage: /invalid expression/,
  },
  {
    name: 'rules: transform with an empty expression',
    method: 'post',
    path: `${V}/connections`,
    body: withRule({ type: 'transform', expression: '' }),
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.expression'],
  },
  {
    name: 'rules: two transform rules',
    method: 'post',
    path: `${V}/connections`,
    body: { ...okConnection, rules: [{ type: 'transform', expression: '$' }, { type: 'transform' }] },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.1.type'],
  },
  {
    name: 'rules: PATCH a connection with a delay over a day',
    method: 'patch',
    path: `${V}/connections/{{web}}`,
    body: { rules: [{ type: 'delay', delay: 90_000_000 }] },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rules.0.delay'],
  },

  // --- flows: test runs, connection tests, destination fields, stats, node kinds ----------------
  {
    name: 'flows test: no graph',
    method: 'post',
    path: `${V}/flows/test`,
    body: { use: 'sample' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.graph'],
  },
  {
    name: 'flows test: unknown use, data not an object',
    method: 'post',
    path: `${V}/flows/test`,
    body: { graph: { nodes: [], edges: [] }, use: 'newest', data: [1] },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.data', 'body.use'],
  },
  {
    name: 'flows test: a graph without a trigger',
    method: 'post',
    path: `${V}/flows/test`,
    body: { graph: { nodes: [{ id: 'w1', kind: 'webhook', position: { x: 0, y: 0 }, data: { url: 'https://example.com/in' } }], edges: [] } },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['graph.nodes'],
  },
  {
    name: 'flows test: a trigger id that is no trigger',
    method: 'post',
    path: `${V}/flows/test`,
    body: { graph: { nodes: [{ id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } }], edges: [] }, trigger: 'w1' },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['trigger'],
  },
  {
    name: 'flows test: deliver to a node that does not exist',
    method: 'post',
    path: `${V}/flows/test`,
    body: { graph: { nodes: [{ id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } }], edges: [] }, deliver: 'ghost' },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['deliver'],
  },
  {
    name: 'flows test: a transform expression that does not compile',
    method: 'post',
    path: `${V}/flows/test`,
    body: {
      graph: {
        nodes: [
          { id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } },
          { id: 'x1', kind: 'transform', position: { x: 0, y: 0 }, data: { expression: '$merge([$, {' } },
        ],
        edges: [{ id: 'e1', source: 't1', target: 'x1' }],
      },
    },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.x1.data.expression'],
  },
  {
    name: 'flows test: an unknown event type on the trigger',
    method: 'post',
    path: `${V}/flows/test`,
    body: { graph: { nodes: [{ id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.vanished' } }], edges: [] } },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.t1.data.eventType'],
  },
  {
    name: 'flows test-connection: no node',
    method: 'post',
    path: `${V}/flows/test-connection`,
    body: {},
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.node'],
  },
  {
    name: 'flows test-connection: a trigger is no destination',
    method: 'post',
    path: `${V}/flows/test-connection`,
    body: { node: { id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } } },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.t1.kind'],
  },
  {
    name: 'flows test-connection: a webhook with an ftp:// URL',
    method: 'post',
    path: `${V}/flows/test-connection`,
    body: { node: { id: 'w1', kind: 'webhook', position: { x: 0, y: 0 }, data: { url: 'ftp://example.com/in' } } },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.w1.data.url'],
  },
  {
    name: 'flows test-connection: a Google Sheet with no credential saved',
    method: 'post',
    path: `${V}/flows/test-connection`,
    body: {
      node: { id: 's1', kind: 'sheets', position: { x: 0, y: 0 }, data: { spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms', columns: ['email'] } },
    },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.s1'],
    expectMessage: /Settings/,
  },
  {
    name: 'flows destination-fields: unknown kind',
    method: 'get',
    path: `${V}/flows/destination-fields?kind=email`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.kind'],
  },
  {
    name: 'flows destination-fields: a CRM without its preset',
    method: 'get',
    path: `${V}/flows/destination-fields?kind=crm`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.preset'],
  },
  {
    name: 'flows destination-fields: an unknown existing destination',
    method: 'get',
    path: `${V}/flows/destination-fields?kind=destination&destinationId=des_${UNKNOWN}`,
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  {
    name: 'flows stats: hours 0 and an unknown parameter',
    method: 'get',
    path: `${V}/flows/flw_${UNKNOWN}/stats?hours=0&days=2`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.days', 'query.hours'],
  },
  { name: 'flows stats: unknown flow', method: 'get', path: `${V}/flows/flw_${UNKNOWN}/stats`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'flows: a sheet column the map step leaves empty',
    method: 'post',
    path: `${V}/flows`,
    body: {
      name: 'x',
      graph: {
        nodes: [
          { id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } },
          { id: 'm1', kind: 'map', position: { x: 0, y: 0 }, data: { mappings: [{ to: 'email', from: 'data.email' }] } },
          {
            id: 's1',
            kind: 'sheets',
            position: { x: 0, y: 0 },
            data: { spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms', columns: ['email', 'phone'] },
          },
        ],
        edges: [
          { id: 'e1', source: 't1', target: 'm1' },
          { id: 'e2', source: 'm1', target: 's1' },
        ],
      },
    },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.s1.data.columns.1'],
  },
  {
    name: 'flows: an existing destination that does not exist',
    method: 'post',
    path: `${V}/flows`,
    body: {
      name: 'x',
      graph: {
        nodes: [
          { id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } },
          { id: 'd1', kind: 'destination', position: { x: 0, y: 0 }, data: { destinationId: `des_${UNKNOWN}` } },
        ],
        edges: [{ id: 'e1', source: 't1', target: 'd1' }],
      },
    },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.d1.data.destinationId'],
  },
  {
    name: 'flows: a delay over a day and a dedupe window under a second',
    method: 'post',
    path: `${V}/flows`,
    body: {
      name: 'x',
      graph: {
        nodes: [
          { id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } },
          { id: 'd1', kind: 'delay', position: { x: 0, y: 0 }, data: { delay_ms: 90_000_000 } },
          { id: 'u1', kind: 'dedupe', position: { x: 0, y: 0 }, data: { window_ms: 10 } },
          { id: 'w1', kind: 'webhook', position: { x: 0, y: 0 }, data: { url: 'https://example.com/in' } },
        ],
        edges: [
          { id: 'e1', source: 't1', target: 'd1' },
          { id: 'e2', source: 'd1', target: 'u1' },
          { id: 'e3', source: 'u1', target: 'w1' },
        ],
      },
    },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.d1.data.delay_ms', 'nodes.u1.data.window_ms'],
  },

  // --- log counts and bulk operations ----------------------------------------------------------
  {
    name: 'events count: unknown status',
    method: 'get',
    path: `${V}/events/count?status=delivered,exploded`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.status'],
  },
  {
    name: 'events count: ingested_at[gte] that is no time',
    method: 'get',
    path: `${V}/events/count?ingested_at[gte]=soon`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.ingested_at[gte]'],
  },
  {
    name: 'requests count: unknown retry_kind and a non-boolean is_retry',
    method: 'get',
    path: `${V}/requests/count?retry_kind=twice&is_retry=perhaps`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.retry_kind', 'query.is_retry'],
  },
  {
    name: 'events bulk: a misspelt filter is refused, not ignored',
    method: 'post',
    path: `${V}/events/bulk_operations`,
    body: { statuz: 'failed' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.statuz'],
  },
  {
    name: 'events bulk: dry_run not a boolean, from not a time',
    method: 'post',
    path: `${V}/events/bulk_operations`,
    body: { dry_run: 'yes', from: 'last week' },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.dry_run', 'body.from'],
  },
  {
    name: 'events bulk: a JSON array instead of filters',
    method: 'post',
    path: `${V}/events/bulk_operations`,
    body: [{ status: 'failed' }],
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body'],
  },
  {
    name: 'events bulk: a read-only key starts one',
    method: 'post',
    path: `${V}/events/bulk_operations`,
    as: 'readonly',
    body: { status: 'failed' },
    expectStatus: 403,
    expectCode: 'INSUFFICIENT_SCOPE',
  },
  {
    name: 'events bulk: unknown bucket and limit 0',
    method: 'get',
    path: `${V}/events/bulk_operations?bucket=old&limit=0`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.bucket', 'query.limit'],
  },
  { name: 'events bulk: unknown id', method: 'get', path: `${V}/events/bulk_operations/bop_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'events bulk: malformed id', method: 'get', path: `${V}/events/bulk_operations/evt_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'events bulk: cancel an unknown id',
    method: 'post',
    path: `${V}/events/bulk_operations/bop_${UNKNOWN}/cancel`,
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  {
    name: 'requests bulk: an event status for requests',
    method: 'post',
    path: `${V}/requests/bulk_operations`,
    body: { status: 'failed', ingested_at: { lte: 'never' } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.status', 'body.ingested_at[lte]'],
  },

  // --- metrics ---------------------------------------------------------------------------------
  {
    name: 'metrics: no date range',
    method: 'get',
    path: `${V}/metrics/events`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.date_range[start]', 'query.date_range[end]'],
  },
  {
    name: 'metrics: an end before the start',
    method: 'get',
    path: `${V}/metrics/requests?date_range[start]=2026-01-02T00:00:00Z&date_range[end]=2026-01-01T00:00:00Z`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.date_range[end]'],
  },
  {
    name: 'metrics: a start that is no time, an unknown granularity',
    method: 'get',
    path: `${V}/metrics/events?date_range[start]=yesterday&date_range[end]=now&granularity=2m`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.date_range[start]', 'query.granularity'],
  },
  {
    name: 'metrics: a day at 1s is too many buckets',
    method: 'get',
    path: `${V}/metrics/events?date_range[start]=now-24h&date_range[end]=now&granularity=1s`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.granularity'],
    expectMessage: /10000/,
  },
  {
    name: 'metrics: a request measure asked of events',
    method: 'get',
    path: `${V}/metrics/events?date_range[start]=now-1h&date_range[end]=now&measures[]=count&measures[]=rejected_count`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.measures.1'],
  },
  {
    name: 'metrics: an event status for requests',
    method: 'get',
    path: `${V}/metrics/requests?date_range[start]=now-1h&date_range[end]=now&status=delivered`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.status'],
  },

  // --- flows that start from an inbound source -------------------------------------------------
  {
    name: 'flows source-sample: no source_id',
    method: 'get',
    path: `${V}/flows/source-sample`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.source_id'],
  },
  {
    name: 'flows source-sample: an unknown source',
    method: 'get',
    path: `${V}/flows/source-sample?source_id=src_${UNKNOWN}`,
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
    expectDetailPaths: ['source_id'],
  },
  {
    name: 'flows source-sample: a source that has had no request yet',
    method: 'get',
    path: `${V}/flows/source-sample?source_id={{postOnlySrc}}`,
    expectStatus: 404,
    expectCode: 'NO_REQUEST_YET',
    expectDetailPaths: ['source_id'],
    expectMessage: /\/e\/src_/,
  },
  {
    name: 'flows: a trigger with an event type and a source',
    method: 'post',
    path: `${V}/flows`,
    body: {
      name: 'x',
      graph: {
        nodes: [
          { id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured', sourceId: '{{src}}' } },
          { id: 'w1', kind: 'webhook', position: { x: 0, y: 0 }, data: { url: 'https://example.com/in' } },
        ],
        edges: [{ id: 'e1', source: 't1', target: 'w1' }],
      },
    },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.t1.data'],
  },
  {
    name: 'flows: a source trigger naming an unknown source',
    method: 'post',
    path: `${V}/flows`,
    body: {
      name: 'x',
      graph: {
        nodes: [
          { id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { sourceId: `src_${UNKNOWN}` } },
          { id: 'w1', kind: 'webhook', position: { x: 0, y: 0 }, data: { url: 'https://example.com/in' } },
        ],
        edges: [{ id: 'e1', source: 't1', target: 'w1' }],
      },
    },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.t1.data.sourceId'],
  },
  {
    name: 'flows: one destination fed by published events and a source',
    method: 'post',
    path: `${V}/flows`,
    body: {
      name: 'x',
      graph: {
        nodes: [
          { id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } },
          { id: 't2', kind: 'trigger', position: { x: 0, y: 0 }, data: { sourceId: '{{src}}' } },
          { id: 'w1', kind: 'webhook', position: { x: 0, y: 0 }, data: { url: 'https://example.com/in' } },
        ],
        edges: [
          { id: 'e1', source: 't1', target: 'w1' },
          { id: 'e2', source: 't2', target: 'w1' },
        ],
      },
    },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.w1'],
    expectMessage: /not both/,
  },
  {
    name: 'flows test: a source trigger with no request yet and no pasted body',
    method: 'post',
    path: `${V}/flows/test`,
    body: { graph: { nodes: [{ id: 't1', kind: 'trigger', position: { x: 0, y: 0 }, data: { sourceId: '{{postOnlySrc}}' } }], edges: [] } },
    expectStatus: 422,
    expectCode: 'INVALID_FLOW',
    expectDetailPaths: ['nodes.t1'],
    expectMessage: /send a request to/,
  },
  // --- chatbots and the public chat (issue 5) --------------------------------------------------
  {
    name: 'chatbots: empty body',
    method: 'post',
    path: `${V}/chatbots`,
    body: {},
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.name'],
  },
  {
    name: 'chatbots: an origin with a path, a negative threshold and an unknown lead field',
    method: 'post',
    path: `${V}/chatbots`,
    body: {
      name: 'x',
      settings: { allowed_origins: ['https://shop.example.com/widget'], confidence_threshold: -1, lead_capture: { fields: ['email', 'fax'] } },
    },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.settings.allowed_origins.0', 'body.settings.confidence_threshold', 'body.settings.lead_capture.fields.1'],
  },
  {
    name: 'chatbots: lead capture without an e-mail',
    method: 'post',
    path: `${V}/chatbots`,
    body: { name: 'x', settings: { lead_capture: { fields: ['name', 'phone'] } } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.settings.lead_capture.fields'],
  },
  {
    name: 'chatbots: an unknown region and a zero rate limit',
    method: 'patch',
    path: `${V}/chatbots/{{bot}}`,
    body: { settings: { lead_capture: { default_region: 'XX' }, rate_limits: { per_minute: 0 } } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.settings.lead_capture.default_region', 'body.settings.rate_limits.per_minute'],
  },
  {
    name: 'chatbots: an unknown setting',
    method: 'patch',
    path: `${V}/chatbots/{{bot}}`,
    body: { settings: { colour: 'red' } },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.settings.colour'],
  },
  { name: 'chatbots: unknown id', method: 'get', path: `${V}/chatbots/bot_${UNKNOWN}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  { name: 'chatbots: id of another kind', method: 'get', path: `${V}/chatbots/{{src}}`, expectStatus: 404, expectCode: 'NOT_FOUND' },
  {
    name: 'chatbots: a read-only key rotates the key',
    method: 'post',
    path: `${V}/chatbots/{{bot}}/rotate-key`,
    as: 'readonly',
    expectStatus: 403,
    expectCode: 'INSUFFICIENT_SCOPE',
  },
  {
    name: 'chatbot entries: no answer and a tag with a slash',
    method: 'post',
    path: `${V}/chatbots/{{bot}}/entries`,
    body: { question: 'Q?', tags: ['a/b'] },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.answer', 'body.tags.0'],
  },
  {
    name: 'chatbot entries: PATCH an unknown entry',
    method: 'patch',
    path: `${V}/chatbots/{{bot}}/entries/kbe_${UNKNOWN}`,
    body: { answer: 'x' },
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  {
    name: 'chatbot import: neither entries nor csv',
    method: 'post',
    path: `${V}/chatbots/{{bot}}/entries/import`,
    body: { replace: true },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.entries'],
  },
  {
    name: 'chatbot import: a CSV header with an unknown column',
    method: 'post',
    path: `${V}/chatbots/{{bot}}/entries/import`,
    body: { csv: 'question,answer,colour\nq,a,red' },
    expectStatus: 422,
    expectCode: 'INVALID_CSV',
    expectDetailPaths: ['body.csv.0'],
  },
  {
    name: 'chatbot import: a JSON row without a question',
    method: 'post',
    path: `${V}/chatbots/{{bot}}/entries/import`,
    body: [{ question: 'ok?', answer: 'ok' }, { answer: 'orphan' }],
    expectStatus: 422,
    expectCode: 'INVALID_ENTRIES',
    expectDetailPaths: ['body.1.question'],
  },
  {
    name: 'chatbot conversations: unknown conversation',
    method: 'get',
    path: `${V}/chatbots/{{bot}}/conversations/conv_${UNKNOWN}`,
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  {
    name: 'chatbot conversations: ordered by an unknown column',
    method: 'get',
    path: `${V}/chatbots/{{bot}}/conversations?order_by=name`,
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['query.order_by'],
  },
  {
    name: 'public chat: an unknown chatbot key',
    method: 'post',
    path: '/api/public/system-chat',
    as: 'none',
    body: { chatbot_key: 'pk_nobody', visitor_id: 'v', message: 'hi' },
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
    expectDetailPaths: ['body.chatbot_key'],
  },
  {
    name: 'public chat: no body',
    method: 'post',
    path: '/api/public/system-chat',
    as: 'none',
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.chatbot_key', 'body.visitor_id', 'body.message'],
  },
  {
    name: 'public chat: a message over 4000 characters and an empty visitor',
    method: 'post',
    path: '/api/public/system-chat',
    as: 'none',
    body: { chatbot_key: '{{pk}}', visitor_id: ' ', message: 'x'.repeat(4001) },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.visitor_id', 'body.message'],
  },
  {
    name: 'public chat: from an origin the chatbot does not allow',
    method: 'post',
    path: '/api/public/system-chat',
    as: 'none',
    headers: { origin: 'https://evil.example.net' },
    body: { chatbot_key: '{{pk}}', visitor_id: 'v', message: 'hi' },
    expectStatus: 403,
    expectCode: 'ORIGIN_NOT_ALLOWED',
    expectDetailPaths: ['headers.origin'],
  },
  {
    name: 'public chat: a conversation that does not exist',
    method: 'post',
    path: '/api/public/system-chat',
    as: 'none',
    body: { chatbot_key: '{{pk}}', visitor_id: 'v', conversation_id: `conv_${UNKNOWN}`, message: 'hi' },
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  {
    name: 'public chat: a body that is not JSON',
    method: 'post',
    path: '/api/public/system-chat',
    as: 'none',
    headers: JSON_TYPE,
    body: '{"chatbot_key": ',
    expectStatus: 400,
    expectCode: 'INVALID_JSON',
  },
  {
    name: 'rate: no body',
    method: 'post',
    path: '/api/public/conversations/{{conv}}/rate',
    as: 'none',
    hub: 'strict',
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.message_id', 'body.rating', 'body.visitor_id'],
  },
  {
    name: 'rate: a rating that is neither up nor down, a comment over 2000 characters, an unknown field',
    method: 'post',
    path: '/api/public/conversations/{{conv}}/rate',
    as: 'none',
    hub: 'strict',
    body: { message_id: '{{botMsg}}', rating: 'meh', comment: 'x'.repeat(2001), visitor_id: 'v', stars: 5 },
    expectStatus: 400,
    expectCode: 'VALIDATION_ERROR',
    expectDetailPaths: ['body.rating', 'body.comment', 'body.stars'],
  },
  {
    name: 'rate: a conversation that does not exist',
    method: 'post',
    path: `/api/public/conversations/conv_${UNKNOWN}/rate`,
    as: 'none',
    hub: 'strict',
    body: { message_id: '{{botMsg}}', rating: 'up', visitor_id: 'v' },
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  {
    name: 'rate: a malformed conversation id',
    method: 'post',
    path: `/api/public/conversations/{{ratedBot}}/rate`,
    as: 'none',
    hub: 'strict',
    body: { message_id: '{{botMsg}}', rating: 'up', visitor_id: 'v' },
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
  },
  {
    name: 'rate: a message that does not exist',
    method: 'post',
    path: '/api/public/conversations/{{conv}}/rate',
    as: 'none',
    hub: 'strict',
    body: { message_id: `cmsg_${UNKNOWN}`, rating: 'up', visitor_id: 'bad-input-visitor' },
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
    expectDetailPaths: ['body.message_id'],
  },
  {
    name: 'rate: a message of another conversation',
    method: 'post',
    path: '/api/public/conversations/{{conv}}/rate',
    as: 'none',
    hub: 'strict',
    body: { message_id: '{{otherBotMsg}}', rating: 'up', visitor_id: 'bad-input-visitor' },
    expectStatus: 404,
    expectCode: 'NOT_FOUND',
    expectDetailPaths: ['body.message_id'],
  },
  {
    name: "rate: the visitor's own message",
    method: 'post',
    path: '/api/public/conversations/{{conv}}/rate',
    as: 'none',
    hub: 'strict',
    body: { message_id: '{{visitorMsg}}', rating: 'down', visitor_id: 'bad-input-visitor' },
    expectStatus: 422,
    expectCode: 'NOT_RATABLE',
    expectDetailPaths: ['body.message_id'],
  },
  {
    name: "rate: as a visitor who is not the conversation's",
    method: 'post',
    path: '/api/public/conversations/{{conv}}/rate',
    as: 'none',
    hub: 'strict',
    body: { message_id: '{{botMsg}}', rating: 'up', visitor_id: 'another-visitor' },
    expectStatus: 403,
    expectCode: 'NOT_YOUR_CONVERSATION',
    expectDetailPaths: ['body.visitor_id'],
  },
  {
    name: 'rate: from an origin the chatbot does not allow',
    method: 'post',
    path: '/api/public/conversations/{{conv}}/rate',
    as: 'none',
    hub: 'strict',
    headers: { origin: 'https://evil.example.net' },
    body: { message_id: '{{botMsg}}', rating: 'up', visitor_id: 'v' },
    expectStatus: 403,
    expectCode: 'ORIGIN_NOT_ALLOWED',
    expectDetailPaths: ['headers.origin'],
  },
  {
    name: 'rate: a body that is not JSON',
    method: 'post',
    path: '/api/public/conversations/{{conv}}/rate',
    as: 'none',
    hub: 'strict',
    headers: JSON_TYPE,
    body: '{"rating": ',
    expectStatus: 400,
    expectCode: 'INVALID_JSON',
  },
];

/** Absurd but harmless: these must be answered normally (2xx), not rejected and certainly not crash. */
const tolerated: { name: string; path: string }[] = [
  { name: 'bracketed array syntax is just an unknown parameter', path: `${V}/events?status[]=x&limit[]=3` },
  { name: 'operator-looking keys are just unknown parameters', path: `${V}/sources?order_by[$gt]=x&name[$ne]=y` },
  { name: 'team_id given twice is not a team selection', path: `${V}/sources?team_id=a&team_id=b` },
  { name: 'a forged cursor that names nothing just ends the list', path: `${V}/requests?next=${forgedCursor({ v: null, id: 'zzz' })}` },
  { name: 'reveal given twice', path: `${V}/project-secrets?reveal=a&reveal=b` },
];

describe('bad input gets a clear JSON 4xx on every route family', () => {
  let main: TestHub;
  let strict: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const fixtures: Record<string, string> = {};
  const tokens: Record<'main' | 'strict', Record<'key' | 'readonly' | 'session', string>> = { main: {} as never, strict: {} as never };
  let before: Record<string, unknown>;

  const fill = (s: string) =>
    s.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
      if (fixtures[k] === undefined) throw new Error(`no fixture ${k}`);
      return fixtures[k];
    });
  const get = (path: string, hub = main, token = tokens.main.key) => hub.api('get', path, token);

  /** Everything the bad requests must leave untouched. */
  const snapshot = async () => ({
    source: (await get(`${V}/sources/${fixtures.src}?include=config.auth`)).body,
    disabledSource: (await get(`${V}/sources/${fixtures.disabledSrc}`)).body,
    destination: (await get(`${V}/destinations/${fixtures.des}?include=config.auth`)).body,
    connection: (await get(`${V}/connections/${fixtures.web}`)).body,
    webhook: (await get(`${V}/webhooks/${fixtures.whk}`)).body,
    request: (await get(`${V}/requests/${fixtures.req}`)).body,
    event: (await get(`${V}/events/${fixtures.evt}`)).body,
    attempt: (await get(`${V}/attempts/${fixtures.atm}`)).body,
    sources: (await get(`${V}/sources`)).body.models.map((s: { id: string }) => s.id),
    connections: (await get(`${V}/connections`)).body.models.map((s: { id: string }) => s.id),
    // last_used_at moves when a key is used, which the bad requests do; everything else must not.
    apiKeys: (await get(`${V}/api-keys`)).body.models.map(({ last_used_at: _, ...k }: { last_used_at: unknown }) => k),
    secrets: (await get(`${V}/project-secrets?reveal=true`)).body,
    profile: (await get(`${V}/auth/me`, main, tokens.main.session)).body.user,
    strictDestination: (await get(`${V}/destinations/${fixtures.strictDes}`, strict, tokens.strict.key)).body,
  });

  beforeAll(async () => {
    [main, strict, receiver] = await Promise.all([startTestHub(), startTestHub({ allowPrivateDestinations: false, maxBodyBytes: 2048 }), startReceiver()]);
    for (const [name, hub] of [
      ['main', main],
      ['strict', strict],
    ] as const) {
      const ws = await newWorkspace(hub);
      const ro = await hub.api('post', `${V}/api-keys`, ws.token).send({ name: 'read only', scopes: ['read'] });
      expect(ro.status).toBe(201);
      tokens[name] = { key: ws.key, readonly: ro.body.key, session: ws.token };
      if (name === 'main') {
        fixtures.email = ws.email;
        fixtures.EMAIL = ws.email.toUpperCase(); // emails are case-insensitive
      }
    }
    const create = async (hub: TestHub, token: string, path: string, body: unknown) => {
      const res = await hub.api('post', `${V}${path}`, token).send(body as object);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    const key = tokens.main.key;
    fixtures.src = await create(main, key, '/sources', { name: 'orders' });
    fixtures.disabledSrc = await create(main, key, '/sources', { name: 'retired' });
    expect((await main.api('put', `${V}/sources/${fixtures.disabledSrc}/disable`, key)).status).toBe(200);
    fixtures.postOnlySrc = await create(main, key, '/sources', { name: 'post-only', config: { allowed_http_methods: ['POST'] } });
    fixtures.guardedSrc = await create(main, key, '/sources', {
      name: 'guarded',
      config: { auth: { type: 'api_key', header_key: 'x-api-key', api_key: 'sender-key-123' } },
    });
    fixtures.des = await create(main, key, '/destinations', {
      name: 'receiver',
      config: { url: `${receiver.url}/in`, auth: { type: 'bearer', token: 'receiver-token' } },
    });
    fixtures.web = await create(main, key, '/connections', {
      name: 'orders-to-receiver',
      source_id: fixtures.src,
      destination_id: fixtures.des,
      rules: [{ type: 'filter', body: { kind: 'order' } }],
    });
    fixtures.whk = await create(main, key, '/webhooks', {
      name: 'leads-hook',
      url: `${receiver.url}/leads`,
      events: ['lead.captured'],
      mappings: [{ to: 'email', from: 'data.email' }],
    });
    const bot = await main.api('post', `${V}/chatbots`, key).send({ name: 'bad-input bot', settings: { allowed_origins: ['https://shop.example.com'] } });
    expect(bot.status, bot.text).toBe(201);
    fixtures.bot = bot.body.id;
    fixtures.pk = bot.body.public_key;
    // Ratings are tried on the strict hub: the conversations publish conversation.started, and the
    // main hub's accepted requests must stay exactly the one made above.
    const rated = await strict
      .api('post', `${V}/chatbots`, tokens.strict.key)
      .send({ name: 'rated bot', settings: { allowed_origins: ['https://shop.example.com'] } });
    expect(rated.status, rated.text).toBe(201);
    const talk = async (visitor: string) => {
      const reply = await strict
        .api('post', '/api/public/system-chat')
        .send({ chatbot_key: rated.body.public_key, visitor_id: visitor, message: 'hello there' });
      expect(reply.status, reply.text).toBe(200);
      return reply.body as { conversation_id: string; message_id: string };
    };
    const mine = await talk('bad-input-visitor');
    fixtures.ratedBot = rated.body.id;
    fixtures.conv = mine.conversation_id;
    fixtures.botMsg = mine.message_id;
    fixtures.otherBotMsg = (await talk('another-visitor')).message_id;
    const transcript = await strict.api('get', `${V}/chatbots/${rated.body.id}/conversations/${fixtures.conv}`, tokens.strict.key);
    fixtures.visitorMsg = transcript.body.messages.find((m: { role: string }) => m.role === 'visitor').id;
    fixtures.strictSrc = await create(strict, tokens.strict.key, '/sources', { name: 'small' });
    fixtures.strictDes = await create(strict, tokens.strict.key, '/destinations', {
      name: 'public',
      config: { url: 'https://example.com/hook', http_method: 'PUT', timeout_ms: 5000 },
    });

    const ingested = await main.api('post', `/e/${fixtures.src}`).send({ kind: 'order', n: 1 });
    expect(ingested.status).toBe(200);
    fixtures.req = ingested.body.request_id;
    const event = await waitFor(
      async () => {
        const [e] = (await get(`${V}/events?request_id=${fixtures.req}`)).body.models;
        return e?.status === 'SUCCESSFUL' && e;
      },
      10_000,
      'delivery',
    );
    fixtures.evt = event.id;
    fixtures.atm = (await get(`${V}/attempts?event_id=${fixtures.evt}`)).body.models[0].id;
    before = await snapshot();
  });
  afterAll(async () => {
    await Promise.all([main?.close(), strict?.close(), receiver?.close()]);
  });

  it('has a unique name for every row', () => {
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  it.each(rows)('$name → $expectStatus', async (row) => {
    const hub = row.hub === 'strict' ? strict : main;
    const creds = tokens[row.hub ?? 'main'];
    let t = supertest(hub.url)[row.method](fill(row.path));
    const as = row.as ?? 'key';
    if (as !== 'none' && !row.headers?.authorization) t = t.set('authorization', `Bearer ${creds[as]}`);
    for (const [k, v] of Object.entries(row.headers ?? {})) t = t.set(k, v);
    if (typeof row.body === 'string' || Buffer.isBuffer(row.body)) t = t.send(row.body);
    else if (row.body !== undefined) t = t.send(JSON.parse(fill(JSON.stringify(row.body))));
    const res = await t;

    const shown = `${res.status} ${res.text.slice(0, 500)}`;
    expect(res.status, shown).toBe(row.expectStatus);
    expect(res.headers['content-type'], shown).toMatch(/^application\/json/);
    expect(Object.keys(res.body), shown).toEqual(['error']);
    const { code, message, details } = res.body.error;
    expect(
      Object.keys(res.body.error).filter((k) => !['code', 'message', 'details'].includes(k)),
      shown,
    ).toEqual([]);
    expect(code, shown).toEqual(expect.any(String));
    expect(code, shown).toMatch(/^[A-Z_]+$/);
    expect(message, shown).toEqual(expect.any(String));
    expect(message.trim().length, shown).toBeGreaterThan(0);
    if (row.expectCode) expect(code, shown).toBe(row.expectCode);
    if (row.expectMessage) expect(message, shown).toMatch(row.expectMessage);
    if (row.expectDetailPaths) {
      expect(Array.isArray(details), shown).toBe(true);
      for (const d of details) {
        expect(d, shown).toEqual(expect.objectContaining({ path: expect.any(String), message: expect.any(String) }));
      }
      const paths = [...new Set((details as { path: string }[]).map((d) => d.path))].sort();
      expect(paths, shown).toEqual([...row.expectDetailPaths].sort());
    }
    for (const [name, want] of Object.entries(row.expectHeaders ?? {})) {
      if (typeof want === 'string') expect(res.headers[name], shown).toBe(want);
      else expect(res.headers[name], shown).toMatch(want);
    }
  });

  it.each(tolerated)('tolerates absurd query strings: $name', async ({ path }) => {
    const res = await get(fill(path));
    expect(res.status, res.text).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('is still healthy, and everything made before the bad requests is intact', async () => {
    for (const hub of [main, strict]) {
      const health = await hub.api('get', '/api/health');
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('ok');
    }
    const after = await snapshot();
    expect(after).toEqual(before);
    // Spot-check what the snapshot holds, so that "equal" cannot mean "equally broken".
    expect(after.source).toMatchObject({ id: fixtures.src, name: 'orders', disabled_at: null });
    expect(after.disabledSource.disabled_at).not.toBeNull();
    expect(after.destination).toMatchObject({ name: 'receiver', config: { url: `${receiver.url}/in`, auth: { type: 'bearer', token: 'receiver-token' } } });
    expect(after.connection).toMatchObject({
      name: 'orders-to-receiver',
      paused_at: null,
      disabled_at: null,
      rules: [{ type: 'filter', body: { kind: 'order' } }],
    });
    expect(after.event.status).toBe('SUCCESSFUL');
    expect(after.apiKeys.filter((k: { kind: string }) => k.kind === 'api_key')).toHaveLength(2);
    expect(after.profile.name).toBe('Test User');
    expect(after.strictDestination.config).toMatchObject({ url: 'https://example.com/hook', http_method: 'PUT', timeout_ms: 5000 });
    // A good PATCH after all the bad ones changes only what it names.
    const patched = await strict
      .api('patch', `${V}/destinations/${fixtures.strictDes}`, tokens.strict.key)
      .send({ config: { url: 'https://example.com/moved' } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.config).toMatchObject({ url: 'https://example.com/moved', http_method: 'PUT', timeout_ms: 5000 });
    // Only the one good request was accepted; the bad ones left no accepted request behind.
    const accepted = (await get(`${V}/requests?status=accepted`)).body.models;
    expect(accepted.map((r: { id: string }) => r.id)).toEqual([fixtures.req]);
    expect((await get(`${V}/attempts`)).body.models).toHaveLength(1);
    // And the hub still does its job.
    const more = await main.api('post', `/e/${fixtures.src}`).send({ kind: 'order', n: 2 });
    expect(more.status).toBe(200);
    await waitFor(() => receiver.received.some((r) => r.body.toString().includes('"n":2')), 10_000, 'delivery after the bad input');
  });
});
