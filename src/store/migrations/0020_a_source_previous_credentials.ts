import type { Kysely } from 'kysely';

/**
 * A rotated credential may stay valid for a while beside its replacement (`previousValidForMs`), so a sender
 * can be moved to the new one without a gap in which its alerts are refused. The previous token's hash and
 * the previous HMAC secret (sealed as the current one is), each with the instant it stops working.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [column, type] of [
    ['previous_token_hash', 'text'],
    ['previous_token_expires_at', 'bigint'],
    ['previous_hmac_secret', 'text'],
    ['previous_hmac_secret_expires_at', 'bigint'],
  ] as const)
    await db.schema.alterTable('ingest_sources').addColumn(column, type).execute();
}
