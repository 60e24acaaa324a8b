import net from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch, type Dispatcher, type RequestInit as UndiciRequestInit } from 'undici';
import { isForbiddenHost, isPublicAddress, privateAddressError, publicOnlyLookup } from '../http-webhook/address.ts';
import type { DeliveryContext } from '../types.ts';

/**
 * The one outbound HTTP client of the hub: every connector, test delivery, LLM call and key fetch
 * goes through an Agent from `guardedAgent` (private addresses refused when the socket is opened,
 * after DNS, so rebinding cannot slip past a check made on save) and never follows a redirect
 * (`request()` does not; fetch is always given `redirect: 'manual'`), so a 3xx pointing at
 * 169.254.169.254 is recorded as the failure it is instead of being fetched.
 */

/** Which private addresses outbound requests may reach. */
export type AddressPolicy = {
  /** WIREHUB_ALLOW_PRIVATE_DESTINATIONS: any address (development, tests). */
  allowPrivate: boolean;
  /** `host:port` keys (as `hostKey` writes them) an operator trusts although they are private: WIREHUB_ALLOWED_PRIVATE_HOSTS. */
  allowedPrivateHosts?: readonly string[];
};

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** `hostname:port` as a URL spells the host (IPv6 in brackets, IPv4 in dotted decimal), with the port made explicit. */
export function hostKey(hostname: string, port: string, protocol: string): string {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return `${net.isIPv6(host) ? `[${host}]` : host}:${port || DEFAULT_PORTS[protocol] || ''}`;
}

export function urlHostKey(url: string | URL): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  return hostKey(u.hostname, u.port, u.protocol);
}

/**
 * An entry of WIREHUB_ALLOWED_PRIVATE_HOSTS (`crm.corp:443`, `10.0.0.5:8080`, `[fd00::5]:80`) as a
 * key, or null when it is not host:port. The host goes through the URL parser, so `0x7f.1:80` is
 * the same entry as `127.0.0.1:80`.
 */
export function parseHostEntry(entry: string): string | null {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/?#@[\]]+):(\d{1,5})$/.exec(entry.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return null;
  try {
    return hostKey(new URL(`http://${m[1]}/`).hostname, String(Number(m[2])), 'http:');
  } catch {
    return null;
  }
}

export function policyOf(ctx: Pick<DeliveryContext, 'allowPrivateDestinations' | 'allowedPrivateHosts'>): AddressPolicy {
  return { allowPrivate: ctx.allowPrivateDestinations, allowedPrivateHosts: ctx.allowedPrivateHosts };
}

/**
 * Why a request to `url` is refused before any socket is opened, or null. Saving a destination and
 * each connector ask this; the Agent asks again at connect time, where DNS answers are known.
 */
export function privateUrlRefusal(policy: AddressPolicy, url: string | URL): string | null {
  if (policy.allowPrivate) return null;
  const u = typeof url === 'string' ? new URL(url) : url;
  if (!isForbiddenHost(u.hostname)) return null;
  if (policy.allowedPrivateHosts?.includes(urlHostKey(u))) return null;
  return `${u.hostname} is a private address`;
}

/**
 * A pooled Agent whose sockets only reach public addresses, except the operator's allowed
 * host:port pairs. IP literals never reach DNS, so they are checked here as well as in the lookup.
 */
export function guardedAgent(policy: AddressPolicy, connections: number | null): Agent {
  const base = { connections, keepAliveTimeout: 10_000 };
  if (policy.allowPrivate) return new Agent(base);
  const open = buildConnector({});
  const guarded = buildConnector({ lookup: publicOnlyLookup as never });
  const allowed = new Set(policy.allowedPrivateHosts ?? []);
  return new Agent({
    ...base,
    connect: (opts, callback) => {
      const host = opts.hostname.replace(/^\[|\]$/g, '');
      if (allowed.has(hostKey(host, opts.port, opts.protocol))) return open(opts, callback);
      if (net.isIP(host) !== 0 && !isPublicAddress(host))
        return callback(privateAddressError(`${host} is a private address; connections to it are refused`), null);
      guarded(opts, callback);
    },
  });
}

/**
 * fetch through `dispatcher` that never follows a redirect: a 3xx comes back as it is, for the
 * caller to refuse. undici's own fetch: Node 20's global one bundles an older undici than our Agent.
 */
export function noRedirectFetch(dispatcher: Dispatcher): typeof fetch {
  return (input, init) =>
    undiciFetch(input as string | URL, { ...(init as UndiciRequestInit), redirect: 'manual', dispatcher }) as unknown as Promise<Response>;
}

const operatorAgents = new Map<string, Agent>();

/**
 * For a URL the operator configured (the LLM, Google's signing keys): its own host may be private (a
 * model served on the LAN), no other private address may be reached, and redirects are not
 * followed, so a compromised or misbehaving endpoint cannot point the hub elsewhere.
 */
export function operatorFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const key = urlHostKey(url);
  let agent = operatorAgents.get(key);
  // No cap on sockets (null): the LLM answers every live chat at once, and a queue here would eat
  // into its timeout and fall back to the knowledge base; the global fetch had none either.
  if (!agent) operatorAgents.set(key, (agent = guardedAgent({ allowPrivate: false, allowedPrivateHosts: [key] }, null)));
  return noRedirectFetch(agent)(url, init);
}

/** Where a 3xx pointed, for the message that says it was not followed. */
export function redirectTarget(status: number, location: string | null | undefined): string {
  return location ? `redirect (${status}) to ${location.slice(0, 300)} not followed` : `redirect (${status}) not followed`;
}
