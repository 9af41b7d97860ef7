import type { Kysely } from 'kysely';

/**
 * A signature over the body alone can be replayed for as long as the secret lives. Sources may now require
 * `X-Riposte-Timestamp` and a signature over `<timestamp>.<body>` (see verifyWebhook). Sources made before
 * keep accepting body-only signatures (0): their senders sign that way, and would be refused overnight.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('ingest_sources')
    .addColumn('require_timestamp', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
