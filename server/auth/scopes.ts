import { AppError } from '../core/errors.ts';

/**
 * What an API key may do. `read` and `write` open the whole API by method (reads are GET and
 * HEAD, everything else writes). The resource scopes open a few routes, for a key handed to one
 * integration (named resource:action, as seed 003's keys are): a leaked one then reaches that
 * integration's part of the workspace and no more. A key holds any mix of them.
 */
export const SCOPES = ['read', 'write', 'webhooks:write', 'events:read', 'publish', 'chat:read'] as const;
export type Scope = (typeof SCOPES)[number];
export type ResourceScope = Exclude<Scope, 'read' | 'write'>;

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

type Grant = { reads?: ResourceScope; writes?: ResourceScope };

/**
 * The one table of what each resource scope opens, by the first segment of the route under the
 * API's base (`/webhooks/web_…` → `webhooks`). A route not listed takes `read` or `write` only.
 * A Map, not an object literal: a path segment such as `constructor` must find nothing.
 */
const ROUTE_SCOPES: ReadonlyMap<string, Grant> = new Map<string, Grant>([
  ['webhooks', { reads: 'webhooks:write', writes: 'webhooks:write' }],
  // POST /mappings/preview shows the body a webhook's mappings would send; it changes nothing.
  ['mappings', { writes: 'webhooks:write' }],
  ['events', { reads: 'events:read' }],
  ['requests', { reads: 'events:read' }],
  ['attempts', { reads: 'events:read' }],
  ['ignored_events', { reads: 'events:read' }],
  ['publish', { writes: 'publish' }],
  ['chatbots', { reads: 'chat:read' }],
]);

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/** The scopes any one of which lets `method route` through: the method's broad scope, then the route's resource scope. */
export function scopesFor(method: string, route: string): Scope[] {
  const read = isRead(method);
  const grant = ROUTE_SCOPES.get(route.split('/', 2)[1] ?? '');
  const resource = read ? grant?.reads : grant?.writes;
  return [read ? 'read' : 'write', ...(resource ? [resource] : [])];
}

/**
 * Throws 403 INSUFFICIENT_SCOPE, naming the scopes that would do, unless `held` has one of them.
 * `shown`: the path as the caller sent it, when the route is served under several (`/api/v1/publish`).
 */
export function requireScope(held: readonly Scope[], method: string, route: string, shown = route): void {
  const accepted = scopesFor(method, route);
  if (accepted.some((s) => held.includes(s))) return;
  const named = accepted.map((s) => `"${s}"`).join(' or ');
  throw new AppError(
    403,
    'INSUFFICIENT_SCOPE',
    `This API key lacks the scope needed for ${method} ${shown}: ${named}. It has ${held.map((s) => `"${s}"`).join(', ') || 'none'}.`,
    {
      needed: accepted,
      scopes: held,
    },
  );
}
