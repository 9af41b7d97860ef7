import type { Kysely } from 'kysely';

/**
 * Actions an admin trusted a playbook to run without the approval their risk class would ask for (the
 * approval policy still asks on a critical asset). One row per playbook and action, replaced as a set.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('playbook_trust')
    .addColumn('playbook_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('granted_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('playbook_trust_pk', ['playbook_id', 'action'])
    .execute();
}
