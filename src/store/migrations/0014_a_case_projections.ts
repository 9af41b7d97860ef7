import type { Kysely } from 'kysely';
import { rebuildAlertDailyCounts } from '../alerts/alert-daily-counts.repository.js';
import { rebuildCaseMilestones } from '../cases/case-milestones.repository.js';
import type { Database } from '../schema.js';

/**
 * Projections the response metrics read instead of the whole event log and every alert: per-case milestones
 * (from lifecycle events) and alert counts per day by source and by rule and case. Both are filled here from
 * what is already stored, with the same functions that rebuild them later.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('case_milestones')
    .addColumn('case_id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('contained_at', 'bigint')
    .addColumn('resolved_at', 'bigint')
    .addColumn('resolution', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('assignee', 'text')
    .execute();
  // The metrics range is on creation time; the other columns ride along so the scan never visits the table.
  await db.schema
    .createIndex('case_milestones_created')
    .on('case_milestones')
    .columns([
      'created_at',
      'severity',
      'assignee',
      'acknowledged_at',
      'contained_at',
      'resolved_at',
      'resolution',
    ])
    .execute();
  await db.schema
    .createTable('alert_source_days')
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('alerts', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_source_days_pk', ['day', 'source'])
    .execute();
  await db.schema
    .createTable('alert_case_rule_days')
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('product', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('rule_name', 'text')
    .addColumn('alerts', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_case_rule_days_pk', ['day', 'case_id', 'product', 'rule_id'])
    .execute();
  // Recounting a case's rows after alerts move looks them up by case.
  await db.schema
    .createIndex('alert_case_rule_days_case')
    .on('alert_case_rule_days')
    .column('case_id')
    .execute();
  const typed = db as unknown as Kysely<Database>;
  await rebuildCaseMilestones(typed);
  await rebuildAlertDailyCounts(typed);
}
