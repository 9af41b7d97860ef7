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
  structuredData: Record<string, Record<string, string>>;
  message: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RFC3164 =
  /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ \d]\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (\S+) (.*)$/s;
const TAG = /^([^\s:[\]]{1,64})(?:\[([^\]\s]{1,32})\])?: ?/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)$/;

const nil = (s: string): string | null => (s === '-' ? null : s);

/**
 * Parses one syslog message, RFC 5424 or RFC 3164 (with or without `<PRI>`, as files written by syslogd
 * carry none). `now` dates RFC 3164 stamps, which have no year: the year that puts the stamp nearest before
 * `now` (plus a day of clock skew).
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
    if (!RFC3339.test(ts)) throw new FormatError(`bad RFC 5424 TIMESTAMP "${ts}"`, { column: offset + 3 });
    timestamp = Date.parse(ts);
    if (Number.isNaN(timestamp))
      throw new FormatError(`bad RFC 5424 TIMESTAMP "${ts}"`, { column: offset + 3 });
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
): { data: Record<string, Record<string, string>>; end: number } {
  const data: Record<string, Record<string, string>> = {};
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
    const element: Record<string, string> = Object.create(null) as Record<string, string>;
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
      element[name as string] = value;
    }
    if (s[pos] !== ']') fail(`expected "]" to close [${id}`);
    pos += 1;
    data[id as string] = { ...element };
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
  const at = (y: number): number =>
    Date.UTC(y, month, Number(day.trim()), Number(hh), Number(mm), Number(ss));
  let timestamp = at(year);
  if (timestamp > now + 86_400_000) timestamp = at(year - 1);
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
    structuredData: {},
    message: tag ? body.slice(tag[0].length) : body,
  };
}
