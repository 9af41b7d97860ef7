import { formatIpv6, ipv4Scope, ipv6Scope, mappedIpv4, parseIpv4, parseIpv6 } from './ip-address.js';
import type { Observable, ObservableRole, ObservableType } from './observable.js';
import { refang } from './refang.js';

const HEX_LENGTH: Partial<Record<ObservableType, number>> = { md5: 32, sha1: 40, sha256: 64 };
/** scheme, userinfo with its `@`, host (and port), the rest; the host must not be empty. */
const URL_PARTS = /^([a-z][a-z0-9+.-]*):\/\/((?:[^\s/?#@]*@)?)([^\s/?#@]+)(.*)$/is;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;
const EMAIL = /^[a-z0-9._%+-]{1,64}@(?:[a-z0-9-]{1,63}\.)+[a-z]{2,63}$/;

/**
 * The longest value kept, in UTF-16 units and in UTF-8 bytes: PostgreSQL refuses an index row over ~2,700
 * bytes, and 2,048 characters of CJK text (6 KB) failed every alert of the transaction that held it.
 */
const MAX_VALUE_LENGTH = 2048;
const UTF8 = new TextEncoder();
const utf8Bytes = (text: string): number => UTF8.encode(text).length;

/**
 * Checks and canonicalises a value a source labelled with a type (an IP in `src_ip`, a hash in `sha256`).
 * Returns undefined when the value is not of that type, so a mapper never stores `-` or `N/A` as an IP.
 * IPs get their scope; domains, e-mails and hashes are lower-cased; URLs and indicators are refanged.
 */
export function normalizeObservable(
  type: ObservableType,
  raw: unknown,
  role: ObservableRole = 'related',
): Observable | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  let value = refang(String(raw).trim());
  if (value === '' || value === '-' || /^(n\/?a|null|none|unknown|undefined)$/i.test(value)) return undefined;
  if (
    value.length > MAX_VALUE_LENGTH ||
    (value.length > MAX_VALUE_LENGTH / 3 && utf8Bytes(value) > MAX_VALUE_LENGTH)
  )
    return undefined;
  switch (type) {
    case 'ipv4':
    case 'ipv6': {
      const v4 = parseIpv4(value);
      // parseIpv4 takes only the canonical form (no leading zeros): the text is the address already.
      if (v4) return { type: 'ipv4', value, role, scope: ipv4Scope(v4) };
      const v6 = parseIpv6(value.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
      if (!v6) return undefined;
      // An IPv4-mapped address is the IPv4 host: stored as such, it matches that host's other alerts.
      const mapped = mappedIpv4(v6);
      if (mapped) return { type: 'ipv4', value: mapped.join('.'), role, scope: ipv4Scope(mapped) };
      return { type: 'ipv6', value: formatIpv6(v6), role, scope: ipv6Scope(v6) };
    }
    case 'md5':
    case 'sha1':
    case 'sha256': {
      value = value.toLowerCase();
      return new RegExp(`^[0-9a-f]{${HEX_LENGTH[type] ?? 0}}$`).test(value) && !/^(.)\1+$/.test(value)
        ? { type, value, role }
        : undefined;
    }
    case 'domain':
    case 'hostname': {
      value = value.toLowerCase().replace(/\.$/, '');
      if (parseIpv4(value)) return normalizeObservable('ipv4', value, role);
      if (type === 'domain') return DOMAIN.test(value) ? { type, value, role } : undefined;
      return /^[a-z0-9_][a-z0-9_.-]{0,252}$/.test(value) ? { type, value, role } : undefined;
    }
    case 'email':
      value = value.toLowerCase();
      return EMAIL.test(value) ? { type, value, role } : undefined;
    case 'url': {
      const m = URL_PARTS.exec(value);
      if (!m) return undefined;
      // Scheme and host are case-insensitive (RFC 3986 6.2.2.1): HXXPS://Evil.Example/x is the same URL as
      // https://evil.example/x, and must be one observable. Userinfo, path and query keep their case.
      const [, scheme = '', userinfo = '', host = '', rest = ''] = m;
      return { type, value: `${scheme.toLowerCase()}://${userinfo}${host.toLowerCase()}${rest}`, role };
    }
    case 'user':
    case 'file_path':
    case 'process':
      // Control characters never belong in a name or a path: they are log injection.
      return hasControlChars(value) ? undefined : { type, value, role };
  }
}

function hasControlChars(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) if (value.charCodeAt(i) < 0x20) return true;
  return false;
}

/** The key an observable is stored and compared under. */
export const observableKey = (o: Pick<Observable, 'type' | 'value'>): string => `${o.type}:${o.value}`;

/** Keeps the first of each (type, value, role), in order. */
export function dedupeObservables(list: readonly Observable[]): Observable[] {
  const seen = new Set<string>();
  const out: Observable[] = [];
  for (const o of list) {
    const key = `${observableKey(o)}|${o.role}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(o);
  }
  return out;
}
