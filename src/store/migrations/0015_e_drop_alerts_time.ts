import type { Kysely } from 'kysely';

/**
 * `alerts_time (time, id)` served no query: every alert list filter and the metrics' time ranges are planned
 * on `alerts_time_source (time, source)`, the primary key or a filter's own index, on both stores, with or
 * without it (scripts/explain-alert-filters.ts prints the plans). Each stored alert paid one more B-tree
 * write for it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('alerts_time').execute();
}
