import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NormalizedAlertSchema } from '../../domain/alerts/alert.js';
import { FormatError } from '../formats/format-error.js';
import { mapTextRecord } from './text.mapper.js';

const NOW = Date.UTC(2026, 10, 25);

describe('mapTextRecord', () => {
  it('maps CEF after an RFC 5424 header, with escapes undone and typed observables', () => {
    const line =
      '<134>1 2026-01-01T00:00:00Z fw1 asa - - - CEF:0|Cisco|ASA|9.1|106023|Deny tcp \\| outside|8|src=45.33.32.156 dst=10.0.0.5 suser=bob msg=policy a\\=b request=https://evil.example.com/x?a=1 externalId=ev-9';
    const a = mapTextRecord(line, NOW);
    expect(NormalizedAlertSchema.parse(a)).toBeTruthy();
    expect(a).toMatchObject({
      title: 'Deny tcp | outside',
      severity: 'high',
      severityOriginal: '8',
      description: 'policy a=b',
      time: Date.UTC(2026, 0, 1),
      sourceEventId: 'ev-9',
      origin: { vendor: 'Cisco', product: 'ASA', ruleId: '106023' },
      raw: line,
    });
    expect(a.observables.map((o) => `${o.role}:${o.type}:${o.value}`)).toEqual([
      'source:ipv4:45.33.32.156',
      'destination:ipv4:10.0.0.5',
      'source:user:bob',
      'destination:url:https://evil.example.com/x?a=1',
      'affected:hostname:fw1',
    ]);
  });

  it('maps LEEF and plain syslog lines of the real sample', () => {
    const leef = mapTextRecord(
      'LEEF:2.0|IBM|QRadar|7|Login failed|^|src=45.33.32.156^usrName=alice^sev=3',
      NOW,
    );
    expect(leef).toMatchObject({ title: 'Login failed', severity: 'low', origin: { vendor: 'IBM' } });
    const first =
      readFileSync('/work/shared/samples/syslog/loghub_Linux_2k_bsd-syslog.log', 'utf8').split('\n')[0] ?? '';
    const a = mapTextRecord(first, NOW);
    expect(a).toMatchObject({
      severity: 'info',
      severityOriginal: null,
      origin: { product: 'sshd(pam_unix)' },
    });
    expect(a.observables).toContainEqual({
      type: 'ipv4',
      value: '218.188.2.4',
      role: 'related',
      scope: 'public',
    });
  });

  it('takes every address of a repeated origin ip SD-PARAM as an observable', () => {
    const a = mapTextRecord(
      '<165>1 2026-01-01T00:00:00Z router1 mgd 3046 LOGOUT [origin ip="45.33.32.156" ip="45.33.32.157"] bye',
      NOW,
    );
    expect(a.observables.map((o) => `${o.role}:${o.type}:${o.value}`)).toEqual([
      'affected:hostname:router1',
      'affected:ipv4:45.33.32.156',
      'affected:ipv4:45.33.32.157',
    ]);
  });

  it("reads an RFC 5424 header cut short at the host before LEEF, as IBM's examples send it", () => {
    const now = Date.UTC(2019, 0, 18, 12);
    const alert = mapTextRecord(
      '<13>1 2019-01-18T11:07:53.520Z 192.168.1.1 LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5',
      now,
    );
    expect(alert.time).toBe(Date.UTC(2019, 0, 18, 11, 7, 53, 520));
    expect(alert.observables).toContainEqual(
      expect.objectContaining({ value: '192.168.1.1', role: 'affected' }),
    );
    // With the application too, and with nothing after the header but the record.
    const withApp = mapTextRecord(
      '<13>1 2019-01-18T11:07:53.520Z fw-7 filterlog CEF:0|V|P|1|100|Blocked|5|src=10.0.0.1',
      now,
    );
    expect(withApp.observables).toContainEqual(expect.objectContaining({ type: 'hostname', value: 'fw-7' }));
  });

  it('throws a FormatError for a line that matches no grammar', () => {
    expect(() => mapTextRecord('just words', NOW)).toThrow(FormatError);
    expect(() => mapTextRecord('CEF:0|only|three', NOW)).toThrow(/7 "\|"-separated fields/);
  });
});
