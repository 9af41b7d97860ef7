import { formatIpv6, mappedIpv4, parseIpv4, parseIpv6 } from '../observables/ip-address.js';

/**
 * A peer's address as an alert records where it was delivered from: an IPv4 client of a dual-stack socket
 * (`::ffff:203.0.113.9`) as the IPv4 address it is, IPv6 in its canonical form, anything that is not an
 * address (a Unix socket's empty peer) as none.
 */
export function deliveryAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const v4 = parseIpv4(address);
  if (v4) return v4.join('.');
  const v6 = parseIpv6(address);
  if (!v6) return undefined;
  return mappedIpv4(v6)?.join('.') ?? formatIpv6(v6);
}
