import { describe, expect, it } from 'vitest';
import { createUuidV7Generator, UUID_PATTERN } from './ids.js';

describe('createUuidV7Generator', () => {
  it('makes version-7 UUIDs that sort by time, even within one millisecond', () => {
    let t = 1_700_000_000_000;
    let seed = 0;
    const next = createUuidV7Generator(
      () => t,
      (n) => Uint8Array.from({ length: n }, () => (seed = (seed * 31 + 7) % 256)),
    );
    const ids: string[] = [];
    for (let i = 0; i < 300; i += 1) {
      ids.push(next());
      if (i % 100 === 99) t += 1;
    }
    for (const id of ids) expect(id).toMatch(UUID_PATTERN);
    expect(ids[0]?.[14]).toBe('7');
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stays monotonic when the clock steps back', () => {
    let t = 2_000;
    const next = createUuidV7Generator(
      () => t,
      (n) => new Uint8Array(n),
    );
    const a = next();
    t = 1_000;
    const b = next();
    expect(b > a).toBe(true);
  });

  it('keeps order past 4,096 ids in one millisecond, and asks the random source rarely', () => {
    let calls = 0;
    const next = createUuidV7Generator(
      () => 5_000,
      (n) => {
        calls += 1;
        return Uint8Array.from({ length: n }, (_, i) => (i * 37 + calls) % 256);
      },
    );
    const ids = Array.from({ length: 10_000 }, () => next());
    for (const id of ids) expect(id).toMatch(UUID_PATTERN);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id[14] === '7' && '89ab'.includes(id[19] ?? ''))).toBe(true);
    expect(calls).toBeLessThan(ids.length / 100);
  });

  it('writes the milliseconds big-endian in the first 48 bits', () => {
    const next = createUuidV7Generator(
      () => 0x0123_4567_89ab,
      (n) => new Uint8Array(n),
    );
    expect(next()).toBe('01234567-89ab-7000-8000-000000000000');
  });
});
