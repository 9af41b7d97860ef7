import { describe, expect, it } from 'vitest';
import { normalizeObservable } from './normalize-observable.js';
import { storedObservableValues } from './stored-observable-values.js';

describe('storedObservableValues', () => {
  it('holds the value ingest stores for every way a searched observable may be written', () => {
    const hash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const cases: Array<[searched: string, stored: string]> = [
      ['Evil.Example.COM', 'evil.example.com'],
      ['evil[.]example[.]com', 'evil.example.com'],
      ['45.33.9[.]1', '45.33.9.1'],
      [' 45.33.9.1', '45.33.9.1'],
      ['::ffff:45.33.9.1', '45.33.9.1'],
      [hash.toUpperCase(), hash],
      ['HXXPS://Evil.Example.COM/Path', 'https://evil.example.com/Path'],
      ['2001:DB8::1', '2001:db8::1'],
    ];
    for (const [searched, stored] of cases)
      expect(storedObservableValues(searched), searched).toContain(stored);
  });

  it('keeps the text as given, each value once', () => {
    expect(storedObservableValues('alice')).toEqual(['alice']);
    expect(storedObservableValues('45.33.9.1')).toEqual(['45.33.9.1']);
    const values = storedObservableValues('Evil.Example.COM');
    expect(values[0]).toBe('Evil.Example.COM');
    expect(new Set(values).size).toBe(values.length);
    // A user name keeps its case: `Evil.Example.COM` may be one, stored as such.
    expect(values).toContain(normalizeObservable('user', 'Evil.Example.COM')?.value);
  });
});
