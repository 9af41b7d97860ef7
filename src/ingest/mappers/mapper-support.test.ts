import { afterEach, describe, expect, it } from 'vitest';
import { parseTime } from './mapper-support.js';

const NOW = Date.UTC(2030, 0, 1);

describe('parseTime', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it('gives a year-less syslog time the year that puts it closest to now, at most a day ahead', () => {
    expect(parseTime('Mar  1 10:00:00', NOW)).toBe(Date.UTC(2029, 2, 1, 10));
    expect(parseTime('Dec 31 23:59:59', NOW)).toBe(Date.UTC(2029, 11, 31, 23, 59, 59));
    // Clocks drift: a line up to a day ahead of the receiver is this year's.
    expect(parseTime('Jan  1 12:00:00', NOW)).toBe(Date.UTC(2030, 0, 1, 12));
    expect(parseTime('Jan  2 12:00:00', NOW)).toBe(Date.UTC(2029, 0, 2, 12));
    // Feb 29 only exists in a leap year: the closest one before now.
    expect(parseTime('Feb 29 08:00:00', Date.UTC(2029, 5, 1))).toBe(Date.UTC(2028, 1, 29, 8));
    expect(parseTime('May 11 12:29:18.250', Date.UTC(2024, 5, 1))).toBe(
      Date.UTC(2024, 4, 11, 12, 29, 18, 250),
    );
    expect(parseTime('Foo 11 12:29:18', NOW)).toBe(NOW);
  });

  it('reads an ISO date-time without a zone as UTC, whatever the server zone', () => {
    process.env.TZ = 'America/New_York';
    expect(parseTime('2024-05-01T10:00:00', NOW)).toBe(Date.UTC(2024, 4, 1, 10));
    expect(parseTime('2024-05-01 10:00:00', NOW)).toBe(Date.UTC(2024, 4, 1, 10));
    expect(parseTime('2024-10-04T09:49:02.698985', NOW)).toBe(Date.UTC(2024, 9, 4, 9, 49, 2, 698));
    expect(parseTime('2024-05-01T10:00:00+0530', NOW)).toBe(Date.UTC(2024, 4, 1, 4, 30));
    expect(parseTime('2024-05-01T10:00:00Z', NOW)).toBe(Date.UTC(2024, 4, 1, 10));
  });

  it('takes an ISO time naming no instant for a bad field, not for the next day or month', () => {
    process.env.TZ = 'America/New_York';
    for (const text of [
      '2024-02-30T10:00:00',
      '2024-02-30T10:00:00Z',
      '2023-02-29',
      '2024-01-01T24:00:00+0100',
    ]) {
      expect(parseTime(text, NOW), text).toBe(NOW);
    }
    // Forms that are not ISO 8601 are still read, as before.
    expect(parseTime('Wed, 01 May 2024 10:00:00 GMT', NOW)).toBe(Date.UTC(2024, 4, 1, 10));
  });
});
