import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The first key of an advisory lock names the kind of thing locked ('RIPS', 'RIPR'); the second, which one. */
const INGEST_SOURCE_LOCKS = 0x52495053;
const INGEST_RULES_LOCK = 0x52495052;
const DETECTION_RULE_LOCKS = 0x5249444c;

/**
 * Detection rules share this many locks (a rule's is its hash modulo it): a bulk step of thousands of rules
 * takes at most this many, well inside PostgreSQL's lock table, and two rules meeting in one lock only wait.
 */
export const DETECTION_RULE_LOCK_SLOTS = 256;

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
  await sql`select pg_advisory_xact_lock(${sql.lit(INGEST_SOURCE_LOCKS)}, hashtext(${source}))::text as held`.execute(
    db,
  );
}

/**
 * Takes PostgreSQL's advisory locks on these detection rules (`product`, `rule id`), held until the
 * transaction ends: ingest transactions of different sources whose alerts share a rule decide one after the
 * other whether it opens a case, as those of one source do under its lock (`lockIngestSource`); alerts
 * sharing an observable take turns on its row already. In one order (the slots sorted), so two
 * transactions cannot each hold what the other waits for. A `select`, so it goes with a transaction's first
 * lookups; it reads from the snapshot taken before the wait, like `lockIngestSource`: the lookups after it see
 * what the other transaction committed.
 */
export async function lockDetectionRules(
  db: Db,
  rules: ReadonlyArray<{ product: string | null; ruleId: string }>,
): Promise<void> {
  if (rules.length === 0) return;
  const keys = [...new Set(rules.map((r) => `${r.product ?? ''}\u001f${r.ruleId}`))];
  await sql`select pg_advisory_xact_lock(${sql.lit(DETECTION_RULE_LOCKS)}, s.slot)::text as held
    from (select distinct abs(hashtext(k) % ${sql.lit(DETECTION_RULE_LOCK_SLOTS)}) as slot
          from unnest(${keys}::text[]) as k) s
    order by s.slot`.execute(db);
}

/**
 * Takes PostgreSQL's advisory lock on the ingest rules, held until the transaction ends: their writers take
 * turns, so each reads the rules it replaces (for its audit entry, or a patch) after the last one committed.
 * Not a lock on the rules' row: before the first change there is none, and two first changes would both find
 * nothing to lock. Its own statement, so the reads after it see what the writer before committed.
 */
export async function lockIngestRules(db: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(${sql.lit(INGEST_RULES_LOCK)}, 0)`.execute(db);
}
