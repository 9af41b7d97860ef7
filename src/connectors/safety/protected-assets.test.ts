import { describe, expect, it } from 'vitest';
import { parseIpRange, rangesOverlap } from './cidr.js';
import { findProtectedTargets, type ProtectedAsset } from './protected-assets.js';

const asset = (kind: ProtectedAsset['kind'], value: string): ProtectedAsset => ({
  id: value,
  kind,
  value,
  reason: 'r',
});

describe('protected assets', () => {
  it('parses IPv4 and IPv6 ranges and rejects junk', () => {
    expect(parseIpRange('10.0.0.0/8')).toBeDefined();
    expect(parseIpRange('2001:db8::/32')).toBeDefined();
    expect(parseIpRange('10.0.0.0/33')).toBeUndefined();
    expect(parseIpRange('dc01')).toBeUndefined();
  });

  it('matches addresses inside, networks around, and nothing across families', () => {
    expect(rangesOverlap('10.0.0.0/8', '10.200.1.1')).toBe(true);
    expect(rangesOverlap('192.0.2.53', '192.0.2.0/24')).toBe(true);
    expect(rangesOverlap('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(rangesOverlap('2001:db8::/32', '2001:db8:1::5')).toBe(true);
    expect(rangesOverlap('::ffff:10.0.0.1', '10.0.0.1')).toBe(false);
  });

  it('protects sub-domains, short host names and user names with or without domain', () => {
    const assets = [
      asset('domain', 'example.com'),
      asset('host', 'dc01.corp.example'),
      asset('user', 'ceo@example.com'),
    ];
    const hit = (kind: ProtectedAsset['kind'], value: string) =>
      findProtectedTargets(assets, [{ kind, value }]).length > 0;
    expect(hit('domain', 'mail.EXAMPLE.com.')).toBe(true);
    expect(hit('domain', 'notexample.com')).toBe(false);
    expect(hit('host', 'DC01')).toBe(true);
    expect(hit('host', 'dc02')).toBe(false);
    expect(hit('user', 'ceo@example.com')).toBe(true);
    expect(hit('ip', 'example.com')).toBe(false);
  });
});
