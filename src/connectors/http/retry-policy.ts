/** Methods a server must treat as idempotent (RFC 9110 §9.2.2): repeating them is safe. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export const isIdempotentMethod = (method: string): boolean => IDEMPOTENT_METHODS.has(method);

/** Statuses worth another try: throttled, or a gateway or server that is momentarily away. */
export const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Parses `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3). Undefined when absent or
 * unparseable; never negative.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with full jitter, capped: attempt 1 waits up to base, attempt 2 up to 2×base… */
export function backoffMs(attempt: number, random: () => number, baseMs = 200, capMs = 10_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** Waits, or rejects as soon as the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
