import { parseSyslog, type SyslogMessage } from './syslog.js';

/** A syslog message read for the JSON document its MSG may carry. */
export interface SyslogJsonReading {
  syslog: SyslogMessage;
  /** MSG as a JSON object; undefined when it is not one (text, malformed JSON, an array, a scalar). */
  json?: Record<string, unknown>;
}

/** CEE-enhanced syslog (Lumberjack) puts this cookie before the JSON: `@cee: {"msg": …}`. */
const CEE_COOKIE = '@cee:';

/**
 * The RFC 3164 header up to the TAG, for a message without a TAG: there, the JSON's first key and its colon
 * read as one (`{"timestamp":`), and the MSG must be taken from after the host instead.
 */
const RFC3164_TO_HOST = /^\ufeff?(?:<\d{1,3}>)?[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ /;

/**
 * Reads a syslog line whose MSG may be a JSON document, as Suricata (`filetype: syslog`), Wazuh (`syslog_output`
 * with `format: json`), Logstash and rsyslog (CEE, `@cee:`) send: the MSG after an optional BOM, whitespace and
 * `@cee:` cookie. Undefined when the line holds no `{` (most syslog, CEF and LEEF text: one scan, no parse)
 * or is not syslog; the parsed header otherwise, with the object when MSG is one, so that a caller mapping the
 * line as text need not parse it again.
 */
export function readSyslogJson(line: string, now: number): SyslogJsonReading | undefined {
  if (!line.includes('{')) return undefined;
  let syslog: SyslogMessage;
  try {
    syslog = parseSyslog(line, now);
  } catch {
    return undefined;
  }
  const app = syslog.appName;
  // No TAG: the JSON's first key was read as one.
  const msg =
    syslog.format === 'rfc3164' && app !== null && app.startsWith('{')
      ? line.replace(/\r?\n$/, '').slice(RFC3164_TO_HOST.exec(line)?.[0].length ?? line.length)
      : syslog.message;
  const json = jsonObjectIn(msg);
  return json === undefined ? { syslog } : { syslog, json };
}

/** MSG's JSON object, or undefined. Its first and last characters are looked at before anything is parsed. */
function jsonObjectIn(msg: string): Record<string, unknown> | undefined {
  let text = msg.charCodeAt(0) === 0xfeff ? msg.slice(1) : msg;
  text = text.trim();
  if (text.startsWith(CEE_COOKIE)) text = text.slice(CEE_COOKIE.length).trimStart();
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
