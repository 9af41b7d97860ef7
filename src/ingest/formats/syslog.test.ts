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
    expect(bad('hello world').describe()).toBe(
      'column 1: matches neither RFC 5424 ("1 TIMESTAMP …") nor RFC 3164 ("Mmm dd hh:mm:ss HOST …")',
    );
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
