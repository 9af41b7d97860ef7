import type { Kysely } from 'kysely';
import type { MigrationContext } from './migration.js';

/**
 * What an approval request would let happen: the action's name and its rendered input (secrets already
 * redacted), so approvers decide on the exact call rather than on a message.
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('approvals').addColumn('action', 'text').execute();
  await db.schema.alterTable('approvals').addColumn('action_input', ctx.dialect.jsonType).execute();
}
