import { isCalendarDate, readIsoTime } from '../../domain/shared/iso-time.js';
import { FormatError } from './format-error.js';

/** One syslog message, from either grammar. Times are ms since the epoch (null for RFC 5424's NILVALUE). */
export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164';
  facility: number | null;
  /** 0 emergency … 7 debug; null when the line carried no `<PRI>`. */
  severity: number | null;
  timestamp: number | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  /** RFC 5424 structured data: SD-ID → param → value (escapes `\"`, `\\`, `\]` undone). */
  structuredData: StructuredData;
  message: string;
}

/**
 * SD-ID → PARAM-NAME → value. A param may repeat within an element (RFC 5424 §6.3.3: `ip` in `origin` once
 * per address): one that appears once is a string, one that repeats is its values in order. The objects
 * have no prototype, so an SD-ID or PARAM-NAME such as `__proto__` is an ordinary key.
 */
export type StructuredData = Record<string, SdParams>;
export type SdParams = Record<string, string | string[]>;

/** Every value of an SD-PARAM, however many times it appeared (none when it is absent). */
export const sdParamValues = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A month's index (0–11) from its three-letter English name in any case, else -1. */
export const monthIndex = (name: string): number =>
  MONTHS.findIndex((m) => m.toLowerCase() === name.toLowerCase());
const RFC3164 =
  /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ \d]\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (\S+) (.*)$/s;
const TAG = /^([^\s:[\]]{1,64})(?:\[([^\]\s]{1,32})\])?: ?/;
/** RFC 5424 §6.2.3 narrows RFC 3339: a `T`, seconds, at most 6 digits of fraction, and a zone. */
const RFC5424_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)$/;
/** Clock skew allowed to a sender whose RFC 3164 stamp is ahead of `now`. */
const SKEW_MS = 86_400_000;

const nil = (s: string): string | null => (s === '-' ? null : s);

/**
 * Parses one syslog message, RFC 5424 or RFC 3164 (with or without `<PRI>`, as files written by syslogd
 * carry none). `now` dates RFC 3164 stamps, which have no year: of the previous, current and next year, the
 * one that puts the stamp nearest `now`, but no more than a day (of clock skew) after it. A date that
 * exists in none of them (Feb 29 away from a leap year, Apr 31) is rejected, as are RFC 5424 stamps that
 * name no real instant (Feb 29 2023, hour 24, second 60: RFC 5424 §6.2.3 forbids leap seconds).
 */
export function parseSyslog(input: string, now: number): SyslogMessage {
  let line = input.replace(/\r?\n$/, '');
  if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
  let offset = 0;
  let facility: number | null = null;
  let severity: number | null = null;
  const pri = /^<(\d{1,3})>/.exec(line);
  if (pri) {
    const value = Number(pri[1]);
    if (value > 191) throw new FormatError(`PRI ${value} is out of range (0–191)`, { column: 2 });
    facility = value >> 3;
    severity = value & 7;
    offset = pri[0].length;
  } else if (line.startsWith('<')) {
    throw new FormatError('malformed <PRI>: expected <0-191>', { column: 1 });
  }
  const rest = line.slice(offset);
  if (/^1 /.test(rest)) return parse5424(rest, offset, facility, severity);
  return parse3164(rest, offset, facility, severity, now);
}

function parse5424(
  rest: string,
  offset: number,
  facility: number | null,
  severity: number | null,
): SyslogMessage {
  const fields: string[] = [];
  let pos = 2;
  for (let i = 0; i < 5; i += 1) {
    const sp = rest.indexOf(' ', pos);
    if (sp < 0) {
      const names = ['TIMESTAMP', 'HOSTNAME', 'APP-NAME', 'PROCID', 'MSGID'];
      throw new FormatError(`RFC 5424 header ends before ${names[i]}`, { column: offset + pos + 1 });
    }
    fields.push(rest.slice(pos, sp));
    pos = sp + 1;
  }
  const [ts = '-', host = '-', app = '-', proc = '-', msgId = '-'] = fields;
  let timestamp: number | null = null;
  if (ts !== '-') {
    // Read strictly: Date.parse would roll an impossible date or time over (Feb 29 2023 into Mar 1).
    const reading = RFC5424_TIMESTAMP.test(ts) ? readIsoTime(ts) : undefined;
    if (!reading?.ok) throw new FormatError(`bad RFC 5424 TIMESTAMP "${ts}"`, { column: offset + 3 });
    timestamp = reading.ms;
  }
  const { data, end } = parseStructuredData(rest, pos, offset);
  let message = rest.slice(end);
  if (message.startsWith(' ')) message = message.slice(1);
  else if (message !== '')
    throw new FormatError('expected a space after STRUCTURED-DATA', { column: offset + end + 1 });
  if (message.startsWith('\ufeff')) message = message.slice(1);
  return {
    format: 'rfc5424',
    facility,
    severity,
    timestamp,
    hostname: nil(host),
    appName: nil(app),
    procId: nil(proc),
    msgId: nil(msgId),
    structuredData: data,
    message,
  };
}

function parseStructuredData(
  s: string,
  start: number,
  offset: number,
): { data: StructuredData; end: number } {
  const data = Object.create(null) as StructuredData;
  if (s[start] === '-') return { data, end: start + 1 };
  let pos = start;
  const fail = (why: string): never => {
    throw new FormatError(why, { column: offset + pos + 1 });
  };
  if (s[pos] !== '[') fail('expected STRUCTURED-DATA ("-" or "[id ...]")');
  while (s[pos] === '[') {
    pos += 1;
    const id = /^[^\s=\]"]{1,32}/.exec(s.slice(pos))?.[0];
    if (!id) fail('expected an SD-ID');
    const element = Object.create(null) as SdParams;
    pos += (id as string).length;
    while (s[pos] === ' ') {
      pos += 1;
      const name = /^[^\s=\]"]{1,32}/.exec(s.slice(pos))?.[0];
      if (!name) fail('expected a PARAM-NAME');
      pos += (name as string).length;
      if (s.slice(pos, pos + 2) !== '="') fail(`expected ="…" after ${name}`);
      pos += 2;
      let value = '';
      for (;;) {
        const c = s[pos];
        if (c === undefined) fail(`unterminated value of ${name}`);
        if (c === '\\' && (s[pos + 1] === '"' || s[pos + 1] === '\\' || s[pos + 1] === ']')) {
          value += s[pos + 1];
          pos += 2;
          continue;
        }
        pos += 1;
        if (c === '"') break;
        value += c;
      }
      const earlier = element[name as string];
      if (earlier === undefined) element[name as string] = value;
      else if (typeof earlier === 'string') element[name as string] = [earlier, value];
      else earlier.push(value);
    }
    if (s[pos] !== ']') fail(`expected "]" to close [${id}`);
    pos += 1;
    data[id as string] = element;
  }
  return { data, end: pos };
}

function parse3164(
  rest: string,
  offset: number,
  facility: number | null,
  severity: number | null,
  now: number,
): SyslogMessage {
  const m = RFC3164.exec(rest);
  if (!m) {
    throw new FormatError(
      'matches neither RFC 5424 ("1 TIMESTAMP …") nor RFC 3164 ("Mmm dd hh:mm:ss HOST …")',
      {
        column: offset + 1,
      },
    );
  }
  const [, mon = '', day = '', hh = '', mm = '', ss = '', host = '', body = ''] = m;
  const month = MONTHS.indexOf(mon);
  const year = new Date(now).getUTCFullYear();
  const timestamp = yearlessInstant(
    { month, day: Number(day.trim()), hour: Number(hh), minute: Number(mm), second: Number(ss) },
    now,
  );
  if (timestamp === null) {
    throw new FormatError(
      `bad RFC 3164 TIMESTAMP "${rest.slice(0, 15)}": not a time in ${year - 1}–${year + 1} up to a day after now`,
      { column: offset + 1 },
    );
  }
  const tag = TAG.exec(body);
  return {
    format: 'rfc3164',
    facility,
    severity,
    timestamp,
    hostname: host,
    appName: tag?.[1] ?? null,
    procId: tag?.[2] ?? null,
    msgId: null,
    structuredData: Object.create(null) as StructuredData,
    message: tag ? body.slice(tag[0].length) : body,
  };
}

/**
 * The instant of a time stamped without a year (RFC 3164, and tools that copy its format into JSON fields),
 * read as UTC: of the previous, current and next year, the one that puts it nearest `now` but no more than
 * a day (of clock skew) after it, so a December stamp read in January falls in the old year and a Jan 1
 * stamp read on Dec 31 in the new one. Null when it names no time in any of them (Feb 29 away from a leap
 * year, Apr 31, hour 24).
 */
export function yearlessInstant(
  t: { month: number; day: number; hour: number; minute: number; second: number; ms?: number },
  now: number,
): number | null {
  if (t.hour > 23 || t.minute > 59 || t.second > 59) return null;
  const year = new Date(now).getUTCFullYear();
  let nearest: number | null = null;
  for (const y of [year - 1, year, year + 1]) {
    // Only a year where the date exists: Feb 29 must not become Mar 1 of a common year.
    if (!isCalendarDate(y, t.month, t.day)) continue;
    const at = Date.UTC(y, t.month, t.day, t.hour, t.minute, t.second, t.ms ?? 0);
    if (at > now + SKEW_MS) continue;
    if (nearest === null || Math.abs(at - now) < Math.abs(nearest - now)) nearest = at;
  }
  return nearest;
}
