import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './migration.js';

/**
 * A sender's retry of a source event must change nothing. `alerts_source_event` answers a retry of an event
 * stored as an alert of its own, but an event counted as a fingerprint repeat of an earlier alert left no row
 * naming it, and each retry of it was counted again. `alert_event_ids` names the alert such an event was
 * counted on, keyed like `alerts_source_event` (the key is what makes two concurrent first deliveries of one
 * event collide, so one of them runs again and finds it). Clustered on that key on SQLite, as the other link
 * tables are (0017_a). `at` says when the repeat came: a retry comes within minutes, so rows older than a week
 * go (one per repeat, they would otherwise grow with a noisy rule's every repeat).
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const create = db.schema
    .createTable('alert_event_ids')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_event_id', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_event_ids_pk', ['source', 'source_event_id']);
  await (ctx.dialect.name === 'sqlite' ? create.modifyEnd(sql`without rowid`) : create).execute();
  // Rows are pruned oldest first as new ones come (`recordRepeatEventIds`): appended to at its end.
  await db.schema.createIndex('alert_event_ids_at').on('alert_event_ids').column('at').execute();
}
