import { formatIpv6, mappedIpv4, parseIpv4, parseIpv6 } from '../observables/ip-address.js';

/** `203.0.113.9:50001` or `[2001:db8::1]:50001`, as some proxies write a client into X-Forwarded-For. */
const WITH_PORT = /^(?:\[([^\]]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):\d{1,5}$/;

/**
 * A peer's address as an alert records where it was delivered from, and as per-client limits count it: an
 * IPv4 client of a dual-stack socket (`::ffff:203.0.113.9`) as the IPv4 address it is, IPv6 in its
 * canonical form without a zone (`fe80::1%eth0`: the zone names this host's interface, not the peer), a port
 * some proxies add (`203.0.113.9:50001`) dropped, anything that is not an address (a Unix socket's empty
 * peer) as none.
 */
export function deliveryAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const withPort = WITH_PORT.exec(address);
  const bare = (withPort ? (withPort[1] ?? withPort[2] ?? '') : address).replace(/%.*$/, '');
  const v4 = parseIpv4(bare);
  if (v4) return v4.join('.');
  const v6 = parseIpv6(bare);
  if (!v6) return undefined;
  return mappedIpv4(v6)?.join('.') ?? formatIpv6(v6);
}
