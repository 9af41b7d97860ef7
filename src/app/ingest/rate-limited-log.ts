import { createRateLimiter } from '../../governance/hardening/rate-limiter.js';
import type { Logger } from '../../observability/logger.js';

/**
 * Log lines of a kind that a sender can repeat at will (bad frames, resets, drops): the first at once, then
 * at most one per 10 s, the lines held back meanwhile counted on it (`suppressed`, fields of the latest).
 */
export function rateLimitedLog(log: Logger) {
  const limiter = createRateLimiter({ capacity: 1, perSecond: 0.1, now: () => Date.now() });
  type Line = { level: 'warn' | 'error'; fields: Record<string, unknown>; msg: string };
  const held = new Map<string, { line: Line; count: number; timer: NodeJS.Timeout }>();
  /** Writes `line`, with the count of those held back before it (`line` itself may be the last of them). */
  const write = (kind: string, line: Line): void => {
    const h = held.get(kind);
    held.delete(kind);
    if (h) clearTimeout(h.timer);
    const suppressed = h ? h.count - (h.line === line ? 1 : 0) : 0;
    log[line.level](suppressed > 0 ? { ...line.fields, suppressed } : line.fields, line.msg);
  };
  return {
    log(kind: string, level: Line['level'], fields: Record<string, unknown>, msg: string): void {
      const taken = limiter.take(kind);
      if (taken.ok) return write(kind, { level, fields, msg });
      const h = held.get(kind);
      if (h) {
        h.count += 1;
        h.line = { level, fields, msg };
        return;
      }
      // Written when the next line may be, even if none comes: a burst's last count is not left unsaid.
      const timer = setTimeout(() => {
        limiter.take(kind);
        const latest = held.get(kind);
        if (latest) write(kind, latest.line);
      }, taken.retryAfterMs);
      timer.unref();
      held.set(kind, { line: { level, fields, msg }, count: 1, timer });
    },
    /** Writes what is held back (on close). */
    flush(): void {
      for (const [kind, h] of [...held]) write(kind, h.line);
    },
  };
}
