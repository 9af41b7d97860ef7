import type { Kysely } from 'kysely';

/** Open cases by severity and age, for the metrics, from the (status, severity, created_at) index alone. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('cases_status_severity_created')
    .on('cases')
    .columns(['status', 'severity', 'created_at'])
    .execute();
}
