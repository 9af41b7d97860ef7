import type { Kysely } from 'kysely';

/** Configurable SLA targets per severity; a severity without a row keeps the built-in default. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sla_policies')
    .addColumn('severity', 'text', (c) => c.primaryKey())
    .addColumn('acknowledge_ms', 'bigint', (c) => c.notNull())
    .addColumn('contain_ms', 'bigint', (c) => c.notNull())
    .addColumn('resolve_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
}
