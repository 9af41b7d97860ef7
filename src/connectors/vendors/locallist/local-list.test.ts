import { describe, expect, it } from 'vitest';
import { inferIndicatorType, parseCsvList } from './local-list.js';

describe('local CSV lists', () => {
  it('infers what bare values are', () => {
    expect(inferIndicatorType('203.0.113.0/24')).toBe('ipv4');
    expect(inferIndicatorType('2001:db8::1')).toBe('ipv6');
    expect(inferIndicatorType('https://x.example/a')).toBe('url');
    expect(inferIndicatorType('Evil.Example')).toBe('domain');
    expect(inferIndicatorType('d41d8cd98f00b204e9800998ecf8427e')).toBe('md5');
    expect(inferIndicatorType('not a thing')).toBeUndefined();
  });

  it('reads headed CSV with quotes and comments, reporting unreadable lines with their number', () => {
    const text =
      '# blocked\nvalue,type,label,expires\n"203.0.113.7",ipv4,"c2, wave 2",2030-01-01\nevil.example,,phish,\n??,,,\n';
    const { indicators, problems } = parseCsvList(text, 'l');
    expect(indicators.map((i) => [i.type, i.value, i.name])).toEqual([
      ['ipv4', '203.0.113.7', 'c2, wave 2'],
      ['domain', 'evil.example', 'phish'],
    ]);
    expect(indicators[0]?.validUntil).toBe(Date.parse('2030-01-01'));
    expect(problems).toEqual(['line 5: cannot tell what "??" is']);
  });
});
