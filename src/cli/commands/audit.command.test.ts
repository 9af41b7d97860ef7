import { describe, expect, it } from 'vitest';
import { parseWhen } from './audit.command.js';

describe('parseWhen (the audit and report commands’ --from, --to, --before)', () => {
  const now = Date.UTC(2026, 5, 15, 12);

  it('reads a date, an ISO time (no offset is UTC, whatever the machine’s zone) and days ago', () => {
    expect(parseWhen('2026-01-31', now, '--from')).toBe(Date.UTC(2026, 0, 31));
    expect(parseWhen('2026-01-31T10:00:00', now, '--from')).toBe(Date.UTC(2026, 0, 31, 10));
    expect(parseWhen('2026-01-31T10:00:00+02:00', now, '--from')).toBe(Date.UTC(2026, 0, 31, 8));
    expect(parseWhen('90d', now, '--before')).toBe(now - 90 * 86_400_000);
  });

  it('refuses what Date.parse would have guessed at, naming the flag', () => {
    for (const text of ['1 2', 'May 2 2024', '2026-02-30', 'yesterday'])
      expect(() => parseWhen(text, now, '--to'), text).toThrow(/--to/);
  });
});
