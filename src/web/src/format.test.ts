import { describe, expect, it } from 'vitest';
import { formatWindow, isoToLocal, localToIso, observableType } from './format.js';

describe('formatWindow', () => {
  it('says a correlation window in hours or days, never in ms', () => {
    expect(formatWindow(86_400_000)).toBe('24 h');
    expect(formatWindow(36 * 3_600_000)).toBe('36 h');
    expect(formatWindow(7 * 86_400_000)).toBe('7 d');
    expect(formatWindow(3 * 86_400_000 + 2 * 3_600_000)).toBe('3 d 2 h');
    expect(formatWindow(90 * 60_000)).toBe('1 h 30 min');
    expect(formatWindow(30_000)).toBe('30 s');
    expect(formatWindow(90_000)).toBe('1 min 30 s');
    expect(formatWindow(0)).toBe('0 ms');
  });
});

describe('time filters', () => {
  it('turns local wall time into an instant and back', () => {
    const iso = localToIso('2024-05-01T10:00') ?? '';
    expect(iso).toMatch(/^2024-0[45]-\d\dT\d\d:\d\d:00\.000Z$/);
    expect(isoToLocal(iso)).toBe('2024-05-01T10:00');
    expect(isoToLocal(String(Date.parse(iso)))).toBe('2024-05-01T10:00');
  });

  it('passes on what is no local time, and never throws', () => {
    expect(localToIso('2024-05-01T04:30:00.000Z')).toBe('2024-05-01T04:30:00.000Z');
    expect(localToIso('abc')).toBe('abc');
    expect(localToIso('2024-13-45T99:99')).toBe('2024-13-45T99:99');
    expect(localToIso('')).toBeUndefined();
    expect(isoToLocal('abc')).toBe('');
  });
});

describe('observableType', () => {
  it('writes types as analysts do', () => {
    expect(observableType('ipv4')).toBe('IPv4');
    expect(observableType('sha256')).toBe('SHA-256');
    expect(observableType('domain')).toBe('domain');
  });
});
