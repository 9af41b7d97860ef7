import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

describe('createRateLimiter', () => {
  it('allows a burst up to capacity, then refuses until tokens refill', () => {
    let t = 0;
    const limiter = createRateLimiter({ capacity: 3, perSecond: 1, now: () => t });
    expect([1, 2, 3].map(() => limiter.take('ip').ok)).toEqual([true, true, true]);
    const refused = limiter.take('ip');
    expect(refused).toEqual({ ok: false, retryAfterMs: 1000 });
    t += 1000;
    expect(limiter.take('ip').ok).toBe(true);
    expect(limiter.take('ip').ok).toBe(false);
  });

  it('keeps keys apart and forgets the least recently used', () => {
    const limiter = createRateLimiter({ capacity: 1, perSecond: 0.001, now: () => 0, maxKeys: 2 });
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('b').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    expect(limiter.take('c').ok).toBe(true);
    // b was the least recently used and was forgotten: it starts full again.
    expect(limiter.take('b').ok).toBe(true);
  });
});
