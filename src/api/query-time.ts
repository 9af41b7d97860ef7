import { z } from 'zod';
import { LATEST_TIME } from '../domain/shared/clock.js';
import { readIsoTime } from '../domain/shared/iso-time.js';

/**
 * Digits below this (1973-03-03 in ms; in seconds, the year 5138) are taken for epoch seconds and refused:
 * no alert a query looks for is that old, and 0 stays "from the start".
 */
const EPOCH_SECONDS_BELOW = 100_000_000_000;

/**
 * A time in a query string (`from`, `to`), read as ms since the epoch: epoch milliseconds in digits, or ISO
 * 8601 read strictly (readIsoTime: no offset is UTC, as ingest reads an alert's time). Nothing else:
 * Date.parse took `-1` and `1 2` for dates in 2001 and `May 2 2024 10:00` in the server's zone, so a
 * mistyped filter answered a wrong page instead of a 400.
 */
export const QueryTime = z
  .string()
  .describe('Epoch milliseconds, or ISO 8601 (2024-05-01, 2024-05-01T12:00:00Z; no offset is UTC)')
  .transform((text, ctx) => {
    const iso = /^\d+$/.test(text) ? undefined : readIsoTime(text);
    if (iso && !iso.ok) {
      ctx.addIssue({
        code: 'custom',
        message:
          iso.problem === 'not ISO 8601'
            ? 'expected epoch milliseconds or ISO 8601 (2024-05-01, 2024-05-01T12:00:00Z)'
            : iso.problem,
      });
      return z.NEVER;
    }
    const ms = iso ? iso.ms : Number(text);
    // Epoch seconds, as many tools write times: read as ms they named a day in January 1970.
    if (!iso && ms > 0 && ms < EPOCH_SECONDS_BELOW) {
      ctx.addIssue({
        code: 'custom',
        message: `looks like epoch seconds: send milliseconds (${text}000) or ISO 8601`,
      });
      return z.NEVER;
    }
    // No stored time lies outside these, and PostgreSQL refused a number past bigint's range with a 500.
    if (ms < 0 || ms > LATEST_TIME) {
      ctx.addIssue({ code: 'custom', message: 'out of range: expected a time between 1970 and 9999' });
      return z.NEVER;
    }
    return ms;
  });

/**
 * Refuses a query whose `from` is after its `to`: that range holds nothing, and answering an empty page would
 * hide the mistake (swapped bounds) from the client.
 */
export const withOrderedTimeRange = <T extends z.ZodType<{ from?: number; to?: number }>>(query: T): T =>
  query.refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    path: ['from'],
    message: 'must not be after to',
  });
