import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** Only globally routable unicast addresses are fair game for outbound webhooks. */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return addr.range() === 'unicast';
}

export function isForbiddenHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) return true;
  return net.isIP(host) !== 0 && !isPublicAddress(host);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for outbound sockets that refuses private, loopback and link-local answers. Checking
 * at connect time (not only when the URL is saved) also defeats DNS rebinding.
 */
export function publicOnlyLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as dns.LookupAddress[];
    const allowed = list.filter((a) => isPublicAddress(a.address));
    if (allowed.length === 0) {
      const e: NodeJS.ErrnoException = new Error(`${hostname} resolves to a private address (${list.map((a) => a.address).join(', ')})`);
      e.code = 'EPRIVATEADDRESS';
      return callback(e, '');
    }
    if (options.all) return callback(null, allowed);
    callback(null, allowed[0].address, allowed[0].family);
  });
}
