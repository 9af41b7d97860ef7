import type { Kysely } from 'kysely';
import type { MigrationContext } from './migration.js';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_event_id', 'text')
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('severity_original', 'text')
    .addColumn('category', 'text')
    .addColumn('product', 'text')
    .addColumn('vendor', 'text')
    .addColumn('rule_id', 'text')
    .addColumn('rule_name', 'text')
    .addColumn('mapper', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('case_id', 'text')
    .addColumn('correlation', ctx.dialect.jsonType)
    .addColumn('normalized', ctx.dialect.jsonType, (c) => c.notNull())
    .addColumn('raw', ctx.dialect.jsonType, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // Idempotency: one alert per source event id within a source (NULLs are distinct on both stores).
  await db.schema
    .createIndex('alerts_source_event')
    .on('alerts')
    .columns(['source', 'source_event_id'])
    .unique()
    .execute();
  // De-duplication looks up the latest alert of a fingerprint; correlation the latest of a rule.
  await db.schema
    .createIndex('alerts_fingerprint')
    .on('alerts')
    .columns(['fingerprint', 'last_seen'])
    .execute();
  await db.schema
    .createIndex('alerts_rule')
    .on('alerts')
    .columns(['product', 'rule_id', 'last_seen'])
    .execute();
  // List filters page by id (time-ordered UUIDv7), newest first.
  await db.schema.createIndex('alerts_time').on('alerts').columns(['time', 'id']).execute();
  await db.schema.createIndex('alerts_source_id').on('alerts').columns(['source', 'id']).execute();
  await db.schema.createIndex('alerts_severity_id').on('alerts').columns(['severity', 'id']).execute();
  await db.schema.createIndex('alerts_case_id').on('alerts').columns(['case_id', 'id']).execute();

  await db.schema
    .createTable('observables')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('scope', 'text')
    .addColumn('verdict', 'text')
    .addColumn('verdict_source', 'text')
    .addColumn('tags', ctx.dialect.jsonType, (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('observables_type_value')
    .on('observables')
    .columns(['type', 'value'])
    .unique()
    .execute();
  await db.schema.createIndex('observables_value').on('observables').column('value').execute();

  await db.schema
    .createTable('alert_observables')
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addColumn('observable_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_observables_pk', ['alert_id', 'observable_id', 'role'])
    .execute();
  await db.schema
    .createIndex('alert_observables_observable')
    .on('alert_observables')
    .columns(['observable_id', 'alert_id'])
    .execute();

  await db.schema
    .createTable('ingest_sources')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('mapper', 'text', (c) => c.notNull())
    .addColumn('mapper_config', ctx.dialect.jsonType)
    .addColumn('token_hash', 'text')
    .addColumn('hmac_secret', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
