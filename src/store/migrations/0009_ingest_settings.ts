import type { Kysely } from 'kysely';
import type { MigrationContext } from './migration.js';

/**
 * The operator's de-duplication and correlation rules: one row (`id = 'default'`), read by every ingest
 * call, so each API or worker process applies the same rules without a restart.
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('ingest_settings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('settings', ctx.dialect.jsonType, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
