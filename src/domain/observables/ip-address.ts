import type { IpScope } from './observable.js';

/** The four octets of a dotted-quad IPv4 address, or undefined when it is not one (no leading zeros). */
export function parseIpv4(text: string): [number, number, number, number] | undefined {
  // One pass over the characters: every IP-looking value ingested is parsed at least twice (typing, then
  // normalising), and splitting and a regular expression per octet made this a sixth of mapping an alert.
  const octets: [number, number, number, number] = [0, 0, 0, 0];
  let octet = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || octet === 3) return undefined;
      octets[octet++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros ("010"), at most three digits, at most 255.
      if (digits === 1 && value === 0) return undefined;
      value = value * 10 + (c - 48);
      digits += 1;
      if (value > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (digits === 0 || octet !== 3) return undefined;
  octets[3] = value;
  return octets;
}

/** The eight 16-bit groups of an IPv6 address (with `::` expanded), or undefined. */
export function parseIpv6(input: string): number[] | undefined {
  let text = input;
  // An IPv4 tail (::ffff:10.0.0.1) is two groups written in dotted form.
  const v4 = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    const o = parseIpv4(v4[1] ?? '');
    if (!o) return undefined;
    text = `${text.slice(0, -(v4[1] ?? '').length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  if (text.length < 2 || text.length > 39 || !/^[0-9a-fA-F:]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':');
    if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
    return groups.map((g) => parseInt(g, 16));
  };
  const head = parse(halves[0] ?? '');
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

const v4Int = (o: readonly number[]): number =>
  (((o[0] ?? 0) << 24) | ((o[1] ?? 0) << 16) | ((o[2] ?? 0) << 8) | (o[3] ?? 0)) >>> 0;

/** Blocks as (network as an integer, mask), computed once: every IPv4 observable ingested is checked. */
const v4Blocks = (blocks: Array<[number[], number]>): Array<[number, number]> =>
  blocks.map(([base, bits]) => {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return [(v4Int(base) & mask) >>> 0, mask];
  });

const inV4Blocks = (ip: number, blocks: Array<[number, number]>): boolean =>
  blocks.some(([net, mask]) => (ip & mask) >>> 0 === net);

const V4_PRIVATE = v4Blocks([
  [[10, 0, 0, 0], 8],
  [[172, 16, 0, 0], 12],
  [[192, 168, 0, 0], 16],
]);
// IANA special-purpose blocks that never identify an internet host (RFC 6890).
const V4_RESERVED = v4Blocks([
  [[0, 0, 0, 0], 8],
  [[100, 64, 0, 0], 10],
  [[127, 0, 0, 0], 8],
  [[169, 254, 0, 0], 16],
  [[192, 0, 0, 0], 24],
  [[192, 0, 2, 0], 24],
  [[198, 18, 0, 0], 15],
  [[198, 51, 100, 0], 24],
  [[203, 0, 113, 0], 24],
  [[224, 0, 0, 0], 4],
  [[240, 0, 0, 0], 4],
]);

/** Private (RFC 1918), reserved (special purpose) or public. */
export function ipv4Scope(octets: readonly number[]): IpScope {
  const ip = v4Int(octets);
  if (inV4Blocks(ip, V4_PRIVATE)) return 'private';
  if (inV4Blocks(ip, V4_RESERVED)) return 'reserved';
  return 'public';
}

/**
 * Private (ULA fc00::/7), reserved (loopback, unspecified, link-local, deprecated site-local, multicast,
 * discard-only, documentation) or public.
 */
export function ipv6Scope(groups: readonly number[]): IpScope {
  const g0 = groups[0] ?? 0;
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  const allZeroHead = groups.slice(0, 7).every((g) => g === 0);
  if (allZeroHead && (groups[7] ?? 0) <= 1) return 'reserved';
  // fe80::/10 link-local, fec0::/10 site-local (deprecated by RFC 3879, still seen), ff00::/8 multicast.
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0 || (g0 & 0xff00) === 0xff00) return 'reserved';
  // 100::/64 discard-only (RFC 6666).
  if (g0 === 0x0100 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0) return 'reserved';
  // Documentation: 2001:db8::/32 (RFC 3849) and 3fff::/20 (RFC 9637).
  if (g0 === 0x2001 && groups[1] === 0x0db8) return 'reserved';
  if (g0 === 0x3fff && ((groups[1] ?? 0) & 0xf000) === 0) return 'reserved';
  // IPv4-mapped (::ffff:0:0/96) takes the scope of the IPv4 address inside.
  const v4 = mappedIpv4(groups);
  if (v4) return ipv4Scope(v4);
  return 'public';
}

/**
 * The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:0:0/96, RFC 4291 2.5.5.2), or undefined. A
 * dual-stack socket reports an IPv4 peer this way (Windows 4625 `IpAddress`), and it is that IPv4 host.
 */
export function mappedIpv4(groups: readonly number[]): [number, number, number, number] | undefined {
  if (groups.length !== 8 || !groups.slice(0, 5).every((g) => g === 0) || groups[5] !== 0xffff)
    return undefined;
  const a = groups[6] ?? 0;
  const b = groups[7] ?? 0;
  return [a >> 8, a & 0xff, b >> 8, b & 0xff];
}

/** The canonical text form (RFC 5952): lower case, longest zero run compressed. */
export function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
