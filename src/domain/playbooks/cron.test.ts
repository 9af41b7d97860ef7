import { describe, expect, it } from 'vitest';
import { nextCronTime, parseCron } from './cron.js';

describe('cron', () => {
  it('finds the next matching minute in UTC', () => {
    const at = Date.UTC(2026, 0, 5, 6, 0); // a Monday, 06:00
    expect(nextCronTime(parseCron('0 6 * * 1'), at)).toBe(Date.UTC(2026, 0, 12, 6, 0));
    expect(nextCronTime(parseCron('*/15 * * * *'), Date.UTC(2026, 0, 1, 0, 7))).toBe(
      Date.UTC(2026, 0, 1, 0, 15),
    );
    expect(nextCronTime(parseCron('30 1-3 1,15 * *'), Date.UTC(2026, 0, 1, 3, 30))).toBe(
      Date.UTC(2026, 0, 15, 1, 30),
    );
  });

  it('rejects malformed expressions', () => {
    expect(() => parseCron('* * *')).toThrow(/five fields/);
    expect(() => parseCron('61 * * * *')).toThrow(/out of range/);
    expect(() => parseCron('a * * * *')).toThrow(/bad cron field/);
  });
});
