import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { patternValues, stixObjectsToIndicators } from './stix-indicators.js';

describe('STIX indicators', () => {
  it('takes the OR-ed comparisons of a pattern', () => {
    expect(patternValues("[domain-name:value = 'A.example' OR ipv4-addr:value = '60.10.1.120']")).toEqual([
      { type: 'domain', value: 'a.example' },
      { type: 'ipv4', value: '60.10.1.120' },
    ]);
    expect(patternValues("[file:hashes.'SHA-256' = 'EF53']")).toEqual([{ type: 'sha256', value: 'ef53' }]);
  });

  it('yields nothing for patterns whose values only mean something together', () => {
    expect(patternValues("[ipv4-addr:value = '1.2.3.4' AND network-traffic:dst_port = 443]")).toEqual([]);
    expect(patternValues("[url:value LIKE '%evil%']")).toEqual([]);
  });

  it('reads the shared samples, skipping non-indicators and keeping validity', () => {
    const bundle = JSON.parse(
      readFileSync('/work/shared/samples/stix/stix21_indicator-for-c2-ip-address.json', 'utf8'),
    ) as { objects: unknown[] };
    const [one] = stixObjectsToIndicators(bundle.objects, 'test');
    expect(one).toMatchObject({
      type: 'ipv4',
      value: '10.0.0.0',
      name: 'IP Address for known C2 channel',
      labels: ['malicious-activity'],
    });
    expect(one?.validFrom).toBe(Date.parse('2014-05-08T09:00:00.000Z'));
    const coa = JSON.parse(
      readFileSync('/work/shared/samples/stix/stix21_indicators-for-C2-with-COA.json', 'utf8'),
    ) as { objects: unknown[] };
    expect(
      stixObjectsToIndicators(coa.objects, 'test')
        .map((i) => i.type)
        .sort(),
    ).toEqual(['ipv4', 'sha256']);
  });
});
