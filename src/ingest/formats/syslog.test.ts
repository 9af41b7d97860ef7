import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FormatError } from './format-error.js';
import { parseSyslog } from './syslog.js';

const NOW = Date.UTC(2026, 10, 25, 12);
const SAMPLE = '/work/shared/samples/syslog/loghub_Linux_2k_bsd-syslog.log';

describe('parseSyslog, RFC 5424', () => {
  it('parses the header, structured data with escapes, and the message (RFC 5424 §6.5 example)', () => {
    const line =
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high \\"q\\" \\] \\\\"] \ufeffAn application event';
    const m = parseSyslog(line, NOW);
    expect(m).toMatchObject({
      format: 'rfc5424',
      facility: 20,
      severity: 5,
      timestamp: Date.UTC(2003, 9, 11, 22, 14, 15, 3),
      hostname: 'mymachine.example.com',
      appName: 'evntslog',
      procId: null,
      msgId: 'ID47',
      message: 'An application event',
    });
    expect(m.structuredData).toEqual({
      'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
      'examplePriority@32473': { class: 'high "q" ] \\' },
    });
  });

  it('accepts NILVALUEs and no message', () => {
    expect(parseSyslog('<34>1 - - - - - -', NOW)).toMatchObject({
      timestamp: null,
      hostname: null,
      message: '',
    });
  });

  it('says where a malformed frame breaks', () => {
    const bad = (line: string): FormatError => {
      try {
        parseSyslog(line, NOW);
      } catch (err) {
        if (err instanceof FormatError) return err;
      }
      throw new Error(`expected a FormatError for ${line}`);
    };
    expect(bad('<999>1 - - - - - -').message).toMatch(/PRI 999/);
    expect(bad('<34>1 2003-13-99 host app - - -').describe()).toMatch(/column 7: bad RFC 5424 TIMESTAMP/);
    expect(bad('<34>1 - host app - - [id a="unterminated').message).toMatch(/unterminated value of a/);
    expect(bad('<34>1 - host app - - [id a=x]').message).toMatch(/expected ="…" after a/);
    expect(bad('<34>1 2023-02-29T10:00:00Z host app - - -').describe()).toMatch(/column 7: bad RFC 5424/);
    expect(bad('hello world').describe()).toBe(
      'column 1: matches neither RFC 5424 ("1 TIMESTAMP …") nor RFC 3164 ("Mmm dd hh:mm:ss HOST …")',
    );
  });

  it('keeps every value of an SD-PARAM repeated in one element, in order (RFC 5424 §6.3.3)', () => {
    const m = parseSyslog(
      '<165>1 2007-02-15T09:17:15.719+01:00 router1 mgd 3046 UI_DBASE_LOGOUT_EVENT [origin ip="192.0.2.1" ip="192.0.2.129" ip="192.0.2.7" software="mgd"] User exiting',
      NOW,
    );
    expect(m.structuredData).toEqual({
      origin: { ip: ['192.0.2.1', '192.0.2.129', '192.0.2.7'], software: 'mgd' },
    });
  });

  it('rejects dates and times that do not exist instead of rolling them over', () => {
    const at = (ts: string): number | null => parseSyslog(`<13>1 ${ts} h a p m - x`, NOW).timestamp;
    for (const ts of [
      '2023-02-29T10:00:00Z',
      '1900-02-29T10:00:00Z',
      '2023-04-31T10:00:00Z',
      '2023-13-01T10:00:00Z',
      '2023-01-00T10:00:00Z',
      '2023-01-01T24:00:00Z',
      '2023-01-01T10:60:00Z',
      '2023-01-01T10:00:60Z',
      '2023-01-01T10:00:00+24:00',
    ]) {
      expect(() => at(ts), ts).toThrow(/bad RFC 5424 TIMESTAMP/);
    }
    expect(at('2024-02-29T23:59:59.5-01:30')).toBe(Date.UTC(2024, 2, 1, 1, 29, 59, 500));
    expect(at('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
  });

  it('keeps an SD-ID or PARAM-NAME named __proto__ like any other key', () => {
    const { structuredData } = parseSyslog('<13>1 - h a p m [__proto__ a="1"][b __proto__="2" c="3"] x', NOW);
    expect(Object.keys(structuredData)).toEqual(['__proto__', 'b']);
    expect(structuredData['__proto__']?.['a']).toBe('1');
    expect(structuredData['b']?.['__proto__']).toBe('2');
    expect(JSON.stringify(structuredData)).toBe('{"__proto__":{"a":"1"},"b":{"__proto__":"2","c":"3"}}');
    const copy = { ...structuredData['b'] };
    expect(Object.keys(copy)).toEqual(['__proto__', 'c']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });
});

describe('parseSyslog, RFC 3164', () => {
  it('parses a line with PRI and dates it in the year before now', () => {
    const m = parseSyslog(
      '<13>Dec 31 23:59:59 gw su[42]: root login on tty1',
      Date.UTC(2026, 0, 1, 0, 0, 10),
    );
    expect(m).toMatchObject({
      facility: 1,
      severity: 5,
      hostname: 'gw',
      appName: 'su',
      procId: '42',
      message: 'root login on tty1',
    });
    expect(m.timestamp).toBe(Date.UTC(2025, 11, 31, 23, 59, 59));
  });

  it('dates a stamp up to a day ahead of now in the next year, and one further ahead in the last', () => {
    const at = (stamp: string, now: number): number | null =>
      parseSyslog(`<13>${stamp} gw sshd[1]: x`, now).timestamp;
    expect(at('Jan  1 00:30:00', Date.UTC(2024, 11, 31, 23, 30))).toBe(Date.UTC(2025, 0, 1, 0, 30));
    expect(at('Jun 16 11:00:00', Date.UTC(2025, 5, 15, 12))).toBe(Date.UTC(2025, 5, 16, 11));
    expect(at('Jun 16 13:00:00', Date.UTC(2025, 5, 15, 12))).toBe(Date.UTC(2024, 5, 16, 13));
    expect(at('Jun 14 12:00:00', Date.UTC(2025, 5, 15, 12))).toBe(Date.UTC(2025, 5, 14, 12));
  });

  it('dates Feb 29 only in a leap year, and rejects dates that exist in no year near now', () => {
    const at = (stamp: string, now: number): number | null =>
      parseSyslog(`<13>${stamp} gw sshd[1]: x`, now).timestamp;
    expect(at('Feb 29 10:00:00', Date.UTC(2025, 2, 5))).toBe(Date.UTC(2024, 1, 29, 10));
    expect(at('Feb 29 10:00:00', Date.UTC(2028, 1, 29, 9))).toBe(Date.UTC(2028, 1, 29, 10));
    // None of 2025–2027 has a Feb 29, and at the end of 2027 the next one is months ahead: not clock skew.
    expect(() => at('Feb 29 10:00:00', Date.UTC(2026, 5, 1))).toThrow(/bad RFC 3164 TIMESTAMP "Feb 29/);
    expect(() => at('Feb 29 10:00:00', Date.UTC(2027, 11, 31))).toThrow(FormatError);
    expect(() => at('Apr 31 10:00:00', NOW)).toThrow(FormatError);
    expect(() => at('Jan  1 24:00:00', NOW)).toThrow(FormatError);
  });

  it('parses every line of the real loghub sample (no PRI, as written by syslogd)', () => {
    const lines = readFileSync(SAMPLE, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(1900);
    for (const [i, line] of lines.entries()) {
      let parsed;
      try {
        parsed = parseSyslog(line, NOW);
      } catch (err) {
        throw new Error(`line ${i + 1}: ${(err as Error).message}: ${line}`);
      }
      expect(parsed.format).toBe('rfc3164');
      expect(parsed.hostname).toBe('combo');
    }
    const first = parseSyslog(lines[0] ?? '', NOW);
    expect(first).toMatchObject({ appName: 'sshd(pam_unix)', procId: '19939', severity: null });
    expect(first.message).toMatch(/^authentication failure; .*rhost=218\.188\.2\.4/);
  });
});
