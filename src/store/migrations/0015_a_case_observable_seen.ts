import type { Kysely } from 'kysely';
import { refreshCaseObservableSeen } from '../cases/case-observable-seen.repository.js';
import type { Database } from '../schema.js';

/**
 * Observable correlation reads, per observable, the open case that most recently saw it: `last_seen` on the
 * case's observable link, walked newest first through one index, instead of a join over every alert that
 * ever carried the observable (a cost that grew with the alerts stored). Filled from the stored alerts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('case_observables').addColumn('last_seen', 'bigint').execute();
  // The new index leads with the observable, so it serves every lookup the old one did.
  await db.schema.dropIndex('case_observables_observable').execute();
  await db.schema
    .createIndex('case_observables_seen')
    .on('case_observables')
    .columns(['observable_id', 'last_seen', 'case_id'])
    .execute();
  await refreshCaseObservableSeen(db as unknown as Kysely<Database>);
}
