import { describe, expect, it } from 'vitest';
import { NormalizedAlertSchema, type NormalizedAlert } from './alert.js';
import { computeFingerprint, DEFAULT_FINGERPRINT_KEYS, fingerprintKeyProblem } from './fingerprint.js';
import { mapSeverity, SeverityScales } from './severity-mapping.js';

const alert = (over: Partial<NormalizedAlert> = {}): NormalizedAlert => ({
  classUid: 2004,
  time: 1_700_000_000_000,
  title: 'Brute force',
  description: null,
  severity: 'high',
  severityOriginal: '10',
  category: null,
  origin: { product: 'Wazuh', vendor: 'Wazuh', ruleId: '5712', ruleName: 'Brute force' },
  sourceEventId: 'a',
  techniques: [],
  observables: [
    { type: 'ipv4', value: '1.2.3.4', role: 'source', scope: 'public' },
    { type: 'hostname', value: 'web1', role: 'affected' },
  ],
  raw: {},
  ...over,
});

describe('mapSeverity', () => {
  it('maps words and numbers on each tool scale', () => {
    expect(mapSeverity('Informational')).toBe('info');
    expect(mapSeverity('Very-High', SeverityScales.cef)).toBe('critical');
    expect(mapSeverity(3, SeverityScales.ocsf)).toBe('medium');
    expect(mapSeverity('9', SeverityScales.cef)).toBe('critical');
    expect(mapSeverity(12, SeverityScales.wazuh)).toBe('high');
    expect(mapSeverity(8.5, SeverityScales.guardduty)).toBe('high');
    expect(mapSeverity(-1, SeverityScales.suricata)).toBe('critical');
    expect(mapSeverity(-3, SeverityScales.suricata)).toBe('medium');
    expect(mapSeverity('whatever', undefined, 'low')).toBe('low');
    expect(mapSeverity(null)).toBe('medium');
  });
});

describe('computeFingerprint', () => {
  it('is equal for repeats and ignores what is not a key (time, event id, raw, observable order)', () => {
    const a = alert();
    const b = alert({
      time: 1,
      sourceEventId: 'b',
      raw: { x: 1 },
      observables: [...a.observables].reverse(),
    });
    expect(computeFingerprint('s', a)).toBe(computeFingerprint('s', b));
  });

  it('differs by source, by rule and by the parties', () => {
    const a = alert();
    expect(computeFingerprint('s', a)).not.toBe(computeFingerprint('t', a));
    expect(computeFingerprint('s', a)).not.toBe(
      computeFingerprint('s', alert({ origin: { ...a.origin, ruleId: '5713' } })),
    );
    expect(computeFingerprint('s', a)).not.toBe(
      computeFingerprint(
        's',
        alert({ observables: [{ type: 'ipv4', value: '5.6.7.8', role: 'source', scope: 'public' }] }),
      ),
    );
  });

  it('follows configured keys', () => {
    const keys = ['origin.ruleId'];
    expect(computeFingerprint('s', alert(), keys)).toBe(
      computeFingerprint('s', alert({ title: 'other', observables: [] }), keys),
    );
  });

  it('reads the whole observables list in a stable order, as it reads a role or a type', () => {
    const a = alert({
      observables: [
        { type: 'ipv4', value: '45.33.32.1', role: 'source', scope: 'public' },
        { type: 'ipv4', value: '45.33.32.9', role: 'source', scope: 'public' },
        { type: 'user', value: 'bob', role: 'affected' },
      ],
    });
    const reordered = alert({ observables: [...a.observables].reverse() });
    const keys = ['title', 'observables'];
    expect(computeFingerprint('s', reordered, keys)).toBe(computeFingerprint('s', a, keys));
    // The role still tells two alerts apart: the list is sorted, not reduced to its values.
    const swapped = alert({
      observables: a.observables.map((o) => (o.type === 'user' ? { ...o, role: 'source' as const } : o)),
    });
    expect(computeFingerprint('s', swapped, keys)).not.toBe(computeFingerprint('s', a, keys));
  });
});

describe('fingerprintKeyProblem', () => {
  it('accepts what can name a value: fields, origin fields, observable roles and types, any raw path', () => {
    for (const key of [
      ...DEFAULT_FINGERPRINT_KEYS,
      'title',
      'origin',
      'observables',
      'observables.ipv4',
      'techniques',
      'raw',
      'raw.src_ip',
      'raw.a.b.0.c d',
    ])
      expect(fingerprintKeyProblem(key), key).toBeUndefined();
  });

  it('says why a key names nothing', () => {
    expect(fingerprintKeyProblem('titel')).toMatch(
      /^"titel" is not a field of an alert \(classUid, time, title/,
    );
    expect(fingerprintKeyProblem('')).toBe('is empty');
    expect(fingerprintKeyProblem('origin.rule')).toMatch(
      /^"rule" is not a field of origin \(product, vendor/,
    );
    expect(fingerprintKeyProblem('observables.src')).toMatch(/^"src" is neither a role nor a type/);
    expect(fingerprintKeyProblem('observables.0')).toMatch(/is neither a role nor a type/);
    expect(fingerprintKeyProblem('title.text')).toMatch(/^names nothing/);
    expect(fingerprintKeyProblem('origin.ruleId.x')).toMatch(/^names nothing/);
    expect(fingerprintKeyProblem('raw.a..b')).toBe('has an empty step between two dots');
    expect(fingerprintKeyProblem('raw.')).toBe('has an empty step between two dots');
  });
});

describe('NormalizedAlertSchema', () => {
  it('accepts a well-formed alert and names the bad field of a broken one', () => {
    expect(NormalizedAlertSchema.safeParse(alert()).success).toBe(true);
    const bad = NormalizedAlertSchema.safeParse({ ...alert(), severity: 'severe' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['severity']);
  });
});

describe('computeFingerprint stays stable across releases (stored alerts are matched by it)', () => {
  it('gives the hashes it always gave, for the default keys and for object-valued keys', () => {
    const a = alert({
      title: 'Brute force "x" é',
      observables: [
        { type: 'ipv4', value: '1.2.3.4', role: 'source', scope: 'public' },
        { type: 'ipv4', value: '10.0.0.9', role: 'destination', scope: 'private' },
        { type: 'hostname', value: 'web1', role: 'affected' },
      ],
      raw: { b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } },
    });
    // Computed by the implementation before its fast path for flat values.
    expect(computeFingerprint('src', a)).toBe(
      'ee9251c796c0d7d474d2efd2f04865dd28340d6939388796e84358443a8f10ef',
    );
    expect(
      computeFingerprint('src', a, ['origin', 'raw', 'observables.ipv4', 'time', 'nope.x', 'raw.a.d']),
    ).toBe('384745059eae9cc9038b87dda3fbb55323c498cf5a69f1696bae1c3f5683a46a');
  });
});
