import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './migration.js';

/** Case management beyond the core case: type, tags index, tasks, evidence, reviews, verdict history. */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('cases').addColumn('case_type', 'text').execute();
  // Lists page newest first; with no filter the primary key serves, with a filter these do.
  await db.schema.createIndex('cases_merged_into').on('cases').column('merged_into').execute();
  // Response metrics read only creation and status events over a time range: a partial index holding every
  // column they need answers that from the index alone (comments and other large events stay out of it).
  await db.schema
    .createIndex('case_events_lifecycle')
    .on('case_events')
    .columns(['type', 'at', 'case_id', 'data'])
    .where(sql.ref('type'), 'in', [sql.lit('case_created'), sql.lit('status_changed')])
    .execute();
  // Tags as rows, so a tag filter is an index lookup rather than a scan of JSON text.
  await db.schema
    .createTable('case_tags')
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('case_tags_pk', ['tag', 'case_id'])
    .execute();
  await db.schema.createIndex('case_tags_case').on('case_tags').column('case_id').execute();

  await db.schema
    .createTable('case_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('assignee', 'text')
    .addColumn('due_at', 'bigint')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('template', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema.createIndex('case_tasks_case').on('case_tasks').columns(['case_id', 'id']).execute();

  await db.schema
    .createTable('case_evidence')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    /** `inline` (bytes in `content`) or `file` (under dataDir/evidence, named by the hash). */
    .addColumn('storage', 'text', (c) => c.notNull())
    .addColumn('content', ctx.dialect.binaryType)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('case_evidence_case').on('case_evidence').columns(['case_id', 'id']).execute();

  await db.schema
    .createTable('case_reviews')
    .addColumn('case_id', 'text', (c) => c.primaryKey())
    .addColumn('root_cause', 'text', (c) => c.notNull())
    .addColumn('lessons_learned', 'text', (c) => c.notNull())
    .addColumn('follow_ups', ctx.dialect.jsonType, (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  // Every verdict ever given, so "who said this IP is malicious, and when" has an answer.
  await db.schema
    .createTable('observable_verdicts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('observable_type', 'text', (c) => c.notNull())
    .addColumn('observable_value', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text')
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('observable_verdicts_value')
    .on('observable_verdicts')
    .columns(['observable_type', 'observable_value', 'id'])
    .execute();
}
