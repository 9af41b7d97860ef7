/**
 * A date (`2024-05-01`) or date-time (`2024-05-01T12:00`, `…T12:00:00.250+02:00`): ISO 8601 extended format
 * as RFC 3339 profiles it, seconds and fraction optional, a space allowed for the `T` (RFC 3339 §5.6 note).
 */
const ISO_TIME = new RegExp(
  String.raw`^(?<year>\d{4})-(?<month>\d\d)-(?<day>\d\d)` +
    String.raw`(?:[T ](?<hour>\d\d):(?<minute>\d\d)(?::(?<second>\d\d)(?:\.(?<fraction>\d+))?)?` +
    String.raw`(?:Z|(?<sign>[+-])(?<offsetHour>\d\d):(?<offsetMinute>\d\d))?)?$`,
);

/** What a text read as an ISO 8601 time names: an instant, or why it names none. */
export type IsoTimeReading =
  { ok: true; ms: number } | { ok: false; problem: 'not ISO 8601' | 'no such date or time' };

/**
 * Reads an ISO 8601 time strictly (see ISO_TIME), unlike Date.parse, which takes `1 2` or `May 2` as a
 * date and reads them in the server's zone. A time without an offset is UTC, never the server's zone, so
 * every server reads it alike. One that names no instant (February 30, 24:00, second 60, offset +24:00) is
 * refused, where Date.parse would roll it over into the next day or month. The fraction is cut to ms.
 *
 * @example readIsoTime('2024-05-01T12:00:00') // { ok: true, ms: Date.UTC(2024, 4, 1, 12) }
 */
export function readIsoTime(text: string): IsoTimeReading {
  const g = ISO_TIME.exec(text)?.groups;
  if (!g) return { ok: false, problem: 'not ISO 8601' };
  // A part left out is zero: a date is its midnight; no offset, like `Z`, is UTC.
  const n = (part: string | undefined): number => Number(part ?? 0);
  // The month counts from 0, as Date's do.
  const [year, month, day] = [n(g.year), n(g.month) - 1, n(g.day)];
  const [hour, minute, second] = [n(g.hour), n(g.minute), n(g.second)];
  const [offsetHour, offsetMinute] = [n(g.offsetHour), n(g.offsetMinute)];
  const exists =
    isCalendarDate(year, month, day) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59;
  if (!exists) return { ok: false, problem: 'no such date or time' };
  const at = new Date(0);
  // setUTCFullYear, not Date.UTC, which reads years 0–99 as 1900–1999.
  at.setUTCFullYear(year, month, day);
  at.setUTCHours(hour, minute, second, Number((g.fraction ?? '').padEnd(3, '0').slice(0, 3)));
  const offsetMs = (offsetHour * 60 + offsetMinute) * 60_000;
  return { ok: true, ms: at.getTime() - (g.sign === '-' ? -offsetMs : offsetMs) };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether day `day` of month `month` (0-based) exists in `year`, proleptic Gregorian as in RFC 3339. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 1 && leap ? 29 : DAYS_IN_MONTH[month];
  return days !== undefined && day >= 1 && day <= days;
}
