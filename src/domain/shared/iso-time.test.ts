import { afterEach, describe, expect, it } from 'vitest';
import { readIsoTime } from './iso-time.js';

describe('readIsoTime', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it('reads a date or a date-time, a time without an offset as UTC whatever the server zone', () => {
    process.env.TZ = 'America/New_York';
    const ms = (text: string) => readIsoTime(text);
    expect(ms('2024-05-01')).toEqual({ ok: true, ms: Date.UTC(2024, 4, 1) });
    expect(ms('2024-05-01T10:00')).toEqual({ ok: true, ms: Date.UTC(2024, 4, 1, 10) });
    expect(ms('2024-05-01T10:00:00')).toEqual({ ok: true, ms: Date.UTC(2024, 4, 1, 10) });
    expect(ms('2024-05-01 10:00:00')).toEqual({ ok: true, ms: Date.UTC(2024, 4, 1, 10) });
    expect(ms('2024-05-01T10:00:00Z')).toEqual({ ok: true, ms: Date.UTC(2024, 4, 1, 10) });
    expect(ms('2024-10-04T09:49:02.698985')).toEqual({ ok: true, ms: Date.UTC(2024, 9, 4, 9, 49, 2, 698) });
    expect(ms('2024-05-01T10:00:00.5+05:30')).toEqual({ ok: true, ms: Date.UTC(2024, 4, 1, 4, 30, 0, 500) });
    expect(ms('2024-02-29T23:59:59-01:30')).toEqual({ ok: true, ms: Date.UTC(2024, 2, 1, 1, 29, 59) });
    // Date.UTC would read year 50 as 1950.
    expect(ms('0050-01-01')).toEqual({ ok: true, ms: new Date('0050-01-01T00:00:00Z').getTime() });
  });

  it('refuses what Date.parse guesses at, and dates and times that do not exist', () => {
    for (const text of [
      '-1',
      '1 2',
      'May 2 2024 10:00',
      '2024',
      '2024-5-1',
      '2024-05-01T10',
      '',
      ' 2024-05-01',
    ]) {
      expect(readIsoTime(text), text).toEqual({ ok: false, problem: 'not ISO 8601' });
    }
    for (const text of ['2024-05-01t10:00:00z', '2024-05-01T10:00:00+0200', '+002024-05-01T00:00:00Z']) {
      expect(readIsoTime(text), text).toEqual({ ok: false, problem: 'not ISO 8601' });
    }
    for (const text of [
      '2024-02-30T00:00:00Z',
      '2023-02-29',
      '2024-04-31',
      '2024-13-01',
      '2024-00-10',
      '2024-01-00',
      '2024-01-01T24:00:00Z',
      '2024-01-01T10:60',
      '2024-01-01T10:00:60',
      '2024-01-01T10:00:00+24:00',
      '2024-01-01T10:00:00+01:60',
    ]) {
      expect(readIsoTime(text), text).toEqual({ ok: false, problem: 'no such date or time' });
    }
  });
});
