import { CompiledQuery } from 'kysely';
import type { Store } from '../../src/store/store.js';

/**
 * The plan the store would run `query` with, one line per step (SQLite's `explain query plan`, PostgreSQL's
 * `explain`). PostgreSQL is told not to scan whole tables: on a test's nearly empty tables a scan is cheapest,
 * and the plan would not show the index it can use.
 */
export async function queryPlan(store: Store, query: CompiledQuery): Promise<string> {
  const sqlite = store.dialect.name === 'sqlite';
  return store.db.transaction().execute(async (trx) => {
    if (!sqlite) await trx.executeQuery(CompiledQuery.raw('set local enable_seqscan = off'));
    const { rows } = await trx.executeQuery<Record<string, unknown>>(
      CompiledQuery.raw(`${sqlite ? 'explain query plan' : 'explain'} ${query.sql}`, [...query.parameters]),
    );
    return rows.map((r) => String(r.detail ?? r['QUERY PLAN'])).join('\n');
  });
}
