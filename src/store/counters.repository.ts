import { sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * Next value of a named counter, inside the caller's transaction. The upsert takes the row's write lock on
 * PostgreSQL (SQLite's whole-database write lock is already held), so concurrent callers get distinct values.
 */
export async function nextCounterValue(trx: Transaction<Database>, name: string): Promise<number> {
  const row = await trx
    .insertInto('counters')
    .values({ name, value: 1 })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: sql`counters.value + 1` }))
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}
