import type { Kysely } from 'kysely';
import type { MigrationContext } from './migration.js';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('cases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'bigint', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('resolution', 'text')
    .addColumn('assignee', 'text')
    .addColumn('tags', ctx.dialect.jsonType, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('closed_at', 'bigint')
    .addColumn('merged_into', 'text')
    .execute();
  // Lists filter by status and page by id (time-ordered); the severity filter is the next most common.
  await db.schema.createIndex('cases_status_id').on('cases').columns(['status', 'id']).execute();
  await db.schema.createIndex('cases_severity_id').on('cases').columns(['severity', 'id']).execute();
  await db.schema.createIndex('cases_assignee_id').on('cases').columns(['assignee', 'id']).execute();
  await db.schema
    .createTable('case_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_name', 'text', (c) => c.notNull())
    .addColumn('data', ctx.dialect.jsonType, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('case_events_case_id').on('case_events').columns(['case_id', 'id']).execute();
  await db.schema.createIndex('case_events_type_at').on('case_events').columns(['type', 'at']).execute();
  await db.schema
    .createTable('case_observables')
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('observable_id', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('added_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('case_observables_pk', ['case_id', 'observable_id'])
    .execute();
  await db.schema
    .createIndex('case_observables_observable')
    .on('case_observables')
    .column('observable_id')
    .execute();
}
