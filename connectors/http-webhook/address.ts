import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The IPv4 address an IPv6 address carries and is routed to (or, for the deprecated
 * IPv4-compatible form, that a careless stack may route to): `::a.b.c.d`, `::ffff:a.b.c.d`,
 * SIIT `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:AABB:CCDD::`.
 */
function embeddedIPv4(addr: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = addr.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const zeros = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (p[5] === 0 || p[5] === 0xffff)) return v4(p[6], p[7]);
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return v4(p[6], p[7]);
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return v4(p[6], p[7]);
  if (p[0] === 0x2002) return v4(p[1], p[2]);
  return null;
}

/** Only globally routable unicast addresses are fair game for outbound requests. */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  const addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    // `::` and `::1` sit inside the IPv4-compatible block but are what they are.
    if (v6.range() === 'unspecified' || v6.range() === 'loopback') return false;
    // NAT64's local-use prefix 64:ff9b:1::/48 translates to whatever the operator's network chose.
    if (v6.parts[0] === 0x64 && v6.parts[1] === 0xff9b && v6.parts[2] === 1) return false;
    const v4 = embeddedIPv4(v6);
    if (v4) return v4.range() === 'unicast';
  }
  return addr.range() === 'unicast';
}

/**
 * A host as the WHATWG URL parser leaves it (`new URL(u).hostname`): that parser already turns
 * `2130706433`, `0x7f.1` and `0177.0.0.1` into `127.0.0.1`, so checking its output (never the raw
 * string) classifies those forms as what a socket would connect to.
 */
export function isForbiddenHost(hostname: string): boolean {
  const host = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === '' || host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) return true;
  return net.isIP(host) !== 0 && !isPublicAddress(host);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

export function privateAddressError(message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(message);
  e.code = 'EPRIVATEADDRESS';
  return e;
}

/**
 * A `lookup` for outbound sockets that refuses private, loopback and link-local answers. Checking
 * at connect time (not only when the URL is saved) also defeats DNS rebinding.
 */
export function publicOnlyLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as dns.LookupAddress[];
    const allowed = list.filter((a) => isPublicAddress(a.address));
    if (allowed.length === 0) return callback(privateAddressError(`${hostname} resolves to a private address (${list.map((a) => a.address).join(', ')})`), '');
    if (options.all) return callback(null, allowed);
    callback(null, allowed[0].address, allowed[0].family);
  });
}
