import { CompiledQuery, type Kysely, type QueryResult, type Transaction } from 'kysely';
import type { StoreDialect } from './dialects/store-dialect.js';
import { postgresKyselyOver } from './postgres-kysely-over.js';
import type { Database } from './schema.js';

/**
 * Bound values per combined statement. What combining saves is round trips, which count for small writes
 * only: a 16-alert batch's writes (some 600 values) go as one statement, while a 500-alert batch's large
 * inserts go on their own (combined whole, ingest-warm's 500-alert steps took 5% longer on PostgreSQL).
 */
const MAX_VALUES = 4_000;

/**
 * Independent writes of one transaction, sent together. On PostgreSQL every write given to `db` is only
 * recorded, and `flush` sends them as one statement (`with w1 as (insert …), w2 as (update …) select 1`):
 * one round trip instead of one per write, which is what a small batch's latency is made of. Elsewhere
 * (SQLite: no writable CTEs, and no round trips to save) `db` is the transaction itself and each write runs
 * when it is called.
 *
 * Only for writes whose results the caller does not read: a recorded write answers no rows and no count.
 * The writes of one flush see the database as it was before the flush (one snapshot), so none may depend on
 * another's rows, and no two may change the same row. Foreign keys are checked at the end of the statement,
 * so a child row may be written beside its parent.
 */
export interface DeferredWrites {
  readonly db: Kysely<Database> | Transaction<Database>;
  flush(): Promise<void>;
}

export function deferWrites(
  trx: Transaction<Database>,
  dialect: Pick<StoreDialect, 'supportsWritableCtes'>,
): DeferredWrites {
  if (!dialect.supportsWritableCtes) return { db: trx, flush: async () => undefined };
  const recorded: CompiledQuery[] = [];
  const db = postgresKyselyOver({
    executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      recorded.push(query);
      return Promise.resolve({ rows: [] });
    },
    // eslint-disable-next-line require-yield -- nothing is read through a recorder
    async *streamQuery() {
      throw new Error('deferred writes cannot stream');
    },
  });
  return {
    db,
    async flush() {
      const queries = recorded.splice(0);
      for (const statement of combineWrites(queries)) await trx.executeQuery(statement);
    },
  };
}

/**
 * Writes grouped into as few statements as the bound-value limit allows, each as a writable CTE. A single
 * write is sent as it is.
 */
export function combineWrites(queries: readonly CompiledQuery[]): CompiledQuery[] {
  const out: CompiledQuery[] = [];
  let group: CompiledQuery[] = [];
  let values = 0;
  const close = (): void => {
    if (group.length === 1) out.push(group[0] as CompiledQuery);
    else if (group.length > 1) out.push(asOneStatement(group));
    group = [];
    values = 0;
  };
  for (const q of queries) {
    if (!/^\s*(insert|update|delete)\b/i.test(q.sql))
      throw new Error(`only inserts, updates and deletes can be deferred: ${q.sql.slice(0, 40)}`);
    if (values + q.parameters.length > MAX_VALUES) close();
    group.push(q);
    values += q.parameters.length;
  }
  close();
  return out;
}

function asOneStatement(group: readonly CompiledQuery[]): CompiledQuery {
  const { parts, parameters } = spliceStatements(group, (sql, i) => `w${i} as (${sql})`);
  return CompiledQuery.raw(`with ${parts.join(', ')} select 1`, parameters);
}

/**
 * Compiled statements made parts of one: each statement's text (its `$n` renumbered after the parts before
 * it) framed by `frame`, and all their bound values in order. For the combined reads and writes.
 */
export function spliceStatements(
  queries: readonly CompiledQuery[],
  frame: (sql: string, index: number) => string,
): { parts: string[]; parameters: unknown[] } {
  const parameters: unknown[] = [];
  const parts = queries.map((q, i) => {
    const offset = parameters.length;
    for (const value of q.parameters) parameters.push(value);
    return frame(renumberPlaceholders(q.sql, offset), i);
  });
  return { parts, parameters };
}

/**
 * `$n` → `$(n + offset)`, outside quoted literals and identifiers (which Kysely writes with values bound,
 * but a table or tail text could still hold a `$`).
 */
export function renumberPlaceholders(text: string, offset: number): string {
  if (offset === 0) return text;
  // One pass of the regex engine: a 500-row insert is some 100 kB of text.
  return text.replace(QUOTED_OR_PLACEHOLDER, (match, digits: string | undefined) =>
    digits === undefined ? match : `$${Number(digits) + offset}`,
  );
}

/** A quoted literal or identifier (doubled quotes inside), taken whole, or a `$n` placeholder. */
const QUOTED_OR_PLACEHOLDER = /'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g;
