import { sql, type Kysely } from 'kysely';

/**
 * De-duplication looks alerts up by fingerprint, a SHA-256 in 64 hex characters: every stored alert wrote
 * its whole fingerprint into `alerts_fingerprint` at a random place, the widest and most scattered index of
 * the table (250 of the 1,760 pages a 500-alert ingest step dirtied, scripts/wal-pages.ts). Its first 16
 * characters (64 bits) tell fingerprints apart just as well for a lookup, which then compares the whole
 * fingerprint on the few rows it finds: the index is a third as wide and dirtied 110 pages a step.
 * `FINGERPRINT_PREFIX` (alert.repository.ts) must stay the expression indexed here, or the planners skip it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index alerts_fingerprint_prefix on alerts ((substr(fingerprint, 1, 16)), last_seen)`.execute(
    db,
  );
  await db.schema.dropIndex('alerts_fingerprint').execute();
}
