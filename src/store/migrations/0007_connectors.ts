import type { Kysely } from 'kysely';
import type { MigrationContext } from './migration.js';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const json = ctx.dialect.jsonType;
  await db.schema
    .createTable('connector_instances')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('connector', 'text', (c) => c.notNull())
    .addColumn('config', json, (c) => c.notNull())
    .addColumn('secrets', 'text')
    .addColumn('is_default', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('connector_instances_connector')
    .on('connector_instances')
    .column('connector')
    .execute();
  await db.schema
    .createTable('connector_rate_buckets')
    .addColumn('instance', 'text', (c) => c.primaryKey())
    // Thousandths of a token, so both stores keep it as an integer.
    .addColumn('tokens_milli', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('connector_verdict_cache')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('cache_key', 'text', (c) => c.notNull())
    .addColumn('output', json, (c) => c.notNull())
    .addColumn('stored_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('connector_verdict_cache_pk', ['action', 'cache_key'])
    .execute();
  await db.schema
    .createIndex('connector_verdict_cache_expires')
    .on('connector_verdict_cache')
    .column('expires_at')
    .execute();
  await db.schema
    .createTable('indicators')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('labels', json, (c) => c.notNull())
    .addColumn('confidence', 'integer')
    .addColumn('valid_from', 'bigint')
    .addColumn('valid_until', 'bigint')
    .addColumn('modified', 'bigint', (c) => c.notNull())
    .addColumn('raw', json, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('indicators_type_value').on('indicators').columns(['type', 'value']).execute();
  await db.schema
    .createTable('indicator_cursors')
    .addColumn('source', 'text', (c) => c.primaryKey())
    .addColumn('cursor', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('containments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('connector', 'text', (c) => c.notNull())
    .addColumn('instance', 'text', (c) => c.notNull())
    .addColumn('input', json, (c) => c.notNull())
    .addColumn('output', json, (c) => c.notNull())
    .addColumn('targets', json, (c) => c.notNull())
    .addColumn('undo_action', 'text')
    .addColumn('undo_input', json)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('playbook_id', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('undone_at', 'bigint')
    .addColumn('undone_by', 'text')
    .addColumn('last_error', 'text')
    .execute();
  // Listing what is in force, and counting recent containments per playbook and per connector.
  await db.schema
    .createIndex('containments_status_id')
    .on('containments')
    .columns(['status', 'id'])
    .execute();
  await db.schema
    .createIndex('containments_playbook_created')
    .on('containments')
    .columns(['playbook_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('containments_connector_created')
    .on('containments')
    .columns(['connector', 'created_at'])
    .execute();
  await db.schema
    .createTable('protected_assets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('protected_assets_kind_value', ['kind', 'value'])
    .execute();
  await db.schema
    .createTable('circuit_breakers')
    .addColumn('scope', 'text', (c) => c.primaryKey())
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .addColumn('open_until', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
}
