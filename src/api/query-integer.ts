import { z } from 'zod';

/**
 * A whole number in a query string or path, in digits only. `z.coerce.number()` read whatever `Number()`
 * does: `limit=1e2` was 100, `0x10` 16, ` 7 ` 7, and an empty value 0.
 */
export const queryInteger = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'expected a whole number in digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
