import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Whether a table exists in this store. A probe query: cheaper than introspection, which reads every column
 * of every table of the store's schema.
 */
export async function tableExists(db: Kysely<Database>, name: string): Promise<boolean> {
  try {
    await sql`select 1 from ${sql.table(name)} where 1 = 0`.execute(db);
    return true;
  } catch {
    return false;
  }
}
