/** A token bucket per key: `capacity` requests at once, refilled at `perSecond`. In process, time injected. */
export interface RateLimiter {
  /** Takes one token for the key; when none is left, says how long until one is. */
  take(key: string): { ok: true } | { ok: false; retryAfterMs: number };
}

export interface RateLimiterOptions {
  capacity: number;
  perSecond: number;
  now: () => number;
  /** Keys remembered at most; the oldest are forgotten first (a full bucket is the default anyway). */
  maxKeys?: number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { capacity, perSecond, now } = options;
  const maxKeys = options.maxKeys ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      const previous = buckets.get(key);
      let tokens = previous
        ? Math.min(capacity, previous.tokens + ((t - previous.at) / 1000) * perSecond)
        : capacity;
      buckets.delete(key);
      if (tokens < 1) {
        buckets.set(key, { tokens, at: t });
        return { ok: false, retryAfterMs: Math.ceil(((1 - tokens) / perSecond) * 1000) };
      }
      tokens -= 1;
      // Re-inserting keeps the Map in least-recently-used order, so eviction drops idle keys.
      buckets.set(key, { tokens, at: t });
      if (buckets.size > maxKeys) {
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      return { ok: true };
    },
  };
}
