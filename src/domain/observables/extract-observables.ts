import { parseIpv4 } from './ip-address.js';
import { dedupeObservables, normalizeObservable } from './normalize-observable.js';
import type { Observable, ObservableRole, ObservableType } from './observable.js';
import { refang } from './refang.js';
import { FREE_TEXT_TLDS } from './tlds.js';

const URL_RE = /\b(?:https?|ftp|sftp):\/\/[^\s"'<>()[\]{}`|\\^]+/gi;
const EMAIL_RE = /(?<![\w.%+-])[a-z0-9][\w.%+-]{0,63}@(?:[a-z0-9-]{1,63}\.)+[a-z]{2,63}\b/gi;
// Dotted quads standing alone: not inside a longer dotted run (OIDs such as 1.3.6.1.4.1.311, or
// 1.2.3.4.5), not glued to letters (v1.2.3.4, build1.2.3.4), not followed by another dotted number.
const IPV4_RE = /(?<![\w.-])\d{1,3}(?:\.\d{1,3}){3}(?![\w-]|\.\d)/g;
// Up to eight colons: `::` may stand for one group at either end (::2:3:4:5:6:7:8). A `.` after it ends a
// sentence unless a digit follows (then it is a dotted IPv4 tail, which IPV4_RE takes).
const IPV6_RE = /(?<![\w:.])(?:[0-9a-f]{0,4}:){2,8}[0-9a-f]{0,4}(?![\w:]|\.\d)/gi;
// Eight groups of two hex digits are a WWN or an EUI-64 interface id, written like an address.
const EIGHT_OCTETS = /^[0-9a-f]{2}(?::[0-9a-f]{2}){7}$/i;
const HASH_RE = /(?<![0-9a-z])(?:[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32})(?![0-9a-z])/gi;
const DOMAIN_RE =
  /(?<![\w@.%/-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?![\w-]|\.[a-z0-9])/gi;
const WIN_PATH_RE = /(?<![\w])[a-z]:\\(?:[^\\/:*?"<>|\r\n\s]+\\)*[^\\/:*?"<>|\r\n\s]+/gi;
const UNIX_PATH_RE =
  /(?<=^|[\s"'=(,])\/(?:etc|tmp|var|usr|home|bin|sbin|opt|root|dev|proc|lib|lib64|srv|mnt|run|boot|Users|Library|Applications|private|System)(?:\/[\w.@+~-]+)+/g;
const USER_RE =
  /\b(?:user(?:name)?|usr|account|login|acct)[=:]\s*"?([\w.\\@$-]{1,64})|\b(?:invalid|illegal) user ([\w.\\@$-]{1,64})/gi;
// A number right after one of these words is a version or an object identifier, not an address
// ("version 1.2.3.4", "build 10.0.0.1", "OID 2.5.4.3": a four-arc OID looks exactly like a dotted quad).
const NOT_ADDRESS_CONTEXT = /\b(?:version|ver|release|build|firmware|fw|rev|revision|v|oid)[\s:=#]*$/i;
const NOT_USERS = new Set(['unknown', 'root@localhost', 'none', 'null', '-', 'n/a']);
const HASH_BY_LENGTH: Record<number, ObservableType> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

function* matches(re: RegExp, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    yield m;
    if (m[0] === '') re.lastIndex += 1;
  }
}

/**
 * Finds the indicators in free text (a log line, a description): defanged ones are refanged first. It is
 * deliberately conservative, since a wrong indicator can group unrelated alerts or block the wrong thing:
 * version strings, timestamps, OIDs, MAC addresses and file names are not taken for IPs or domains.
 */
export function extractObservables(input: string, role: ObservableRole = 'related'): Observable[] {
  const text = refang(input.length > 65_536 ? input.slice(0, 65_536) : input);
  const out: Observable[] = [];
  const push = (type: ObservableType, value: string): void => {
    const o = normalizeObservable(type, value, role);
    if (o) out.push(o);
  };
  const urlHosts = new Set<string>();
  // Where each URL's authority ends: its userinfo (user:pass@, RFC 3986 3.2.1) is not an e-mail address.
  const authorities: Array<[start: number, end: number]> = [];
  for (const m of matches(URL_RE, text)) {
    const url = m[0].replace(/[.,;:!?]+$/, '');
    push('url', url);
    const start = m.index + url.indexOf('://') + 3;
    const end = /[/?#]/.exec(url.slice(start - m.index))?.index;
    authorities.push([start, end === undefined ? m.index + url.length : start + end]);
    const host = /^[a-z]+:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/?#]+)/i.exec(url)?.[1];
    if (host) {
      urlHosts.add(host.toLowerCase());
      push(parseIpv4(host) ? 'ipv4' : host.startsWith('[') ? 'ipv6' : 'domain', host);
    }
  }
  for (const m of matches(EMAIL_RE, text)) {
    const at = m.index + m[0].indexOf('@');
    if (!authorities.some(([start, end]) => at >= start && at < end)) push('email', m[0]);
  }
  for (const m of matches(IPV4_RE, text)) {
    if (NOT_ADDRESS_CONTEXT.test(text.slice(Math.max(0, m.index - 12), m.index))) continue;
    push('ipv4', m[0]);
  }
  for (const m of matches(IPV6_RE, text)) {
    // A single trailing colon is punctuation ("from 2606:4700::1111: timeout"), a double one is `::`.
    const ip = /[^:]:$/.test(m[0]) ? m[0].slice(0, -1) : m[0];
    // Needs a `::` or eight groups, which rules out times (12:29:18) and MAC addresses.
    if ((ip.includes('::') || ip.split(':').length === 8) && !EIGHT_OCTETS.test(ip)) push('ipv6', ip);
  }
  for (const m of matches(HASH_RE, text)) {
    const type = HASH_BY_LENGTH[m[0].length];
    if (type) push(type, m[0]);
  }
  for (const m of matches(DOMAIN_RE, text)) {
    const value = m[0].toLowerCase();
    const tld = value.slice(value.lastIndexOf('.') + 1);
    if (!FREE_TEXT_TLDS.has(tld) || urlHosts.has(value)) continue;
    push('domain', value);
  }
  for (const m of matches(WIN_PATH_RE, text)) push('file_path', m[0]);
  for (const m of matches(UNIX_PATH_RE, text)) push('file_path', m[0]);
  for (const m of matches(USER_RE, text)) {
    const user = m[1] ?? m[2];
    if (user && !NOT_USERS.has(user.toLowerCase())) push('user', user);
  }
  return dedupeObservables(out);
}
