import { describe, expect, it } from 'vitest';
import { readSyslogJson } from './syslog-json.js';

const NOW = Date.UTC(2026, 0, 2);
const DOC = '{"event_type":"alert","alert":{"signature_id":1}}';

describe('readSyslogJson', () => {
  it.each([
    ['RFC 5424', `<14>1 2026-01-01T00:00:00Z h app - - - ${DOC}`],
    [
      'RFC 5424 with structured data and a BOM',
      `<14>1 2026-01-01T00:00:00Z h app - - [x@1 a="b"] \ufeff${DOC}`,
    ],
    ['RFC 3164 with a TAG', `<14>Jan  1 00:00:00 h suricata[42]: ${DOC}`],
    ['RFC 3164 without a TAG', `<14>Jan  1 00:00:00 h ${DOC}`],
    ['RFC 3164 without <PRI>', `Jan  1 00:00:00 h ossec: ${DOC}`],
    ['a CEE cookie', `<14>Jan  1 00:00:00 h app: @cee: ${DOC}`],
    ['a CEE cookie without a TAG', `<14>1 2026-01-01T00:00:00Z h - - - - @cee:${DOC}`],
    ['whitespace around it and a line end', `<14>Jan  1 00:00:00 h app:   ${DOC} \t\r\n`],
  ])('reads the JSON object of %s', (_what, line) => {
    const reading = readSyslogJson(line, NOW);
    expect(reading?.json).toEqual(JSON.parse(DOC));
    expect(reading?.syslog.hostname).toBe('h');
  });

  it.each([
    ['malformed JSON', `<14>Jan  1 00:00:00 h app: {"a": 1`],
    ['an array', `<14>Jan  1 00:00:00 h app: [${DOC}]`],
    ['a scalar', `<14>Jan  1 00:00:00 h app: "{}"`],
    ['text after the object', `<14>Jan  1 00:00:00 h app: ${DOC} and more`],
    ['text with braces', `<14>Jan  1 00:00:00 h app: user {bob} logged in`],
  ])('gives the header and no JSON for %s', (_what, line) => {
    const reading = readSyslogJson(line, NOW);
    expect(reading?.syslog.appName).toBe('app');
    expect(reading?.json).toBeUndefined();
  });

  it('is undefined for a line without a brace, and for one that is not syslog', () => {
    expect(readSyslogJson('<14>Jan  1 00:00:00 h app: plain text', NOW)).toBeUndefined();
    expect(readSyslogJson(`not syslog ${DOC}`, NOW)).toBeUndefined();
  });
});
