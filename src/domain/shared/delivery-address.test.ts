import { describe, expect, it } from 'vitest';
import { deliveryAddress } from './delivery-address.js';

describe('deliveryAddress', () => {
  it('keeps IPv4 and IPv6 addresses, IPv6 lower-cased', () => {
    expect(deliveryAddress('203.0.113.9')).toBe('203.0.113.9');
    expect(deliveryAddress('2001:DB8::1')).toBe('2001:db8::1');
  });
  it('reads an IPv4 client of a dual-stack socket as IPv4', () => {
    expect(deliveryAddress('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(deliveryAddress('::FFFF:10.0.0.1')).toBe('10.0.0.1');
  });
  it('drops the zone of a link-local peer, and the port some proxies write after a client', () => {
    expect(deliveryAddress('fe80::fc:ff:fe00:1%eth0')).toBe('fe80::fc:ff:fe00:1');
    expect(deliveryAddress('203.0.113.9:50001')).toBe('203.0.113.9');
    expect(deliveryAddress('[2001:db8::7]:443')).toBe('2001:db8::7');
    expect(deliveryAddress('[fe80::1%25eth0]:443')).toBe('fe80::1');
  });
  it('gives none for what is not an address', () => {
    expect(deliveryAddress(undefined)).toBeUndefined();
    expect(deliveryAddress('')).toBeUndefined();
    expect(deliveryAddress('localhost')).toBeUndefined();
  });
});
