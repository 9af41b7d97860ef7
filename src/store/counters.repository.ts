import { sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * Next value of a named counter, inside the caller's transaction. The upsert takes the row's write lock on
 * PostgreSQL (SQLite's whole-database write lock is already held), so concurrent callers get distinct values.
 */
export async function nextCounterValue(trx: Transaction<Database>, name: string): Promise<number> {
  const [value] = await nextCounterValues(trx, name, 1);
  return value as number;
}

/** The next `count` values of a named counter, in order, taken with one statement (see `nextCounterValue`). */
export async function nextCounterValues(
  trx: Transaction<Database>,
  name: string,
  count: number,
): Promise<number[]> {
  if (count <= 0) return [];
  const row = await trx
    .insertInto('counters')
    .values({ name, value: count })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: sql`counters.value + ${count}` }))
    .returning('value')
    .executeTakeFirstOrThrow();
  const last = Number(row.value);
  return Array.from({ length: count }, (_, i) => last - count + 1 + i);
}
