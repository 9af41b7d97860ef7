import type { Kysely } from 'kysely';

/**
 * Splunk HEC clients send only a token, no source name: the source is found by the token's hash, current or
 * rotated away (`findIngestSourceRowsByTokenHash`), on every request. Not unique: a unique index would fail
 * this migration on a store where an operator gave two sources one token by hand.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('ingest_sources_token_hash')
    .on('ingest_sources')
    .column('token_hash')
    .execute();
  await db.schema
    .createIndex('ingest_sources_previous_token_hash')
    .on('ingest_sources')
    .column('previous_token_hash')
    .execute();
}
