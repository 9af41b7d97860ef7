import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The first key of Riposte's advisory locks ('RIPS'): the second names what is locked. */
const RIPOSTE_LOCKS = 0x52495053;

/**
 * Takes PostgreSQL's advisory lock on one ingest source, held until the transaction ends: ingest
 * transactions of one source then decide one after another (is this alert new, which case does it join),
 * across processes too. A `select`, so it can go with a transaction's first lookups (read-together.ts).
 * Sources whose names hash alike share a lock, which only makes them wait for each other.
 *
 * The statement reads from the snapshot it started with, taken before the wait: what another transaction
 * committed meanwhile is seen only by the transaction's later statements.
 */
export async function lockIngestSource(db: Db, source: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${sql.lit(RIPOSTE_LOCKS)}, hashtext(${source}))::text as held`.execute(
    db,
  );
}
