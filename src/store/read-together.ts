import { CompiledQuery, type Kysely, type QueryResult, type Transaction } from 'kysely';
import { spliceStatements } from './deferred-writes.js';
import type { StoreDialect } from './dialects/store-dialect.js';
import { postgresKyselyOver } from './postgres-kysely-over.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

interface Waiting {
  query: CompiledQuery;
  resolve: (result: QueryResult<unknown>) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs independent lookups of one transaction and answers each as it would alone, with fewer round trips. On
 * PostgreSQL each lookup gets a `db` that holds its queries back; once every lookup still running waits on a
 * query, the queries go as one statement (`select (select json_agg(q) from (…) q) as r0, …`), and so on
 * until all are done. Elsewhere (SQLite: no round trips to save) the lookups run one after another on the
 * transaction itself.
 *
 * Only for reads (selects) that need no other I/O between their queries. Rows come back through JSON:
 * text, numbers (bigints below 2^53), booleans and nulls arrive as the driver would give them.
 */
export async function readTogether<T extends readonly unknown[]>(
  trx: Transaction<Database>,
  dialect: Pick<StoreDialect, 'roundTrips'>,
  lookups: { readonly [K in keyof T]: (db: Db) => Promise<T[K]> },
): Promise<T> {
  const list = lookups as ReadonlyArray<(db: Db) => Promise<unknown>>;
  if (!dialect.roundTrips || list.length < 2) {
    const out: unknown[] = [];
    for (const lookup of list) out.push(await lookup(trx));
    return out as unknown as T;
  }
  const waiting: Waiting[] = [];
  let running = list.length;
  const sendWhenAllWait = (): void => {
    if (running === 0 || waiting.length < running) return;
    const batch = waiting.splice(0);
    void send(trx, batch);
  };
  const db = postgresKyselyOver({
    executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      const answer = new Promise<QueryResult<unknown>>((resolve, reject) => {
        waiting.push({ query, resolve, reject });
      });
      sendWhenAllWait();
      return answer as Promise<QueryResult<R>>;
    },
    // eslint-disable-next-line require-yield -- lookups read whole answers
    async *streamQuery() {
      throw new Error('lookups read together cannot stream');
    },
  });
  return (await Promise.all(
    list.map((lookup) =>
      lookup(db).finally(() => {
        running -= 1;
        sendWhenAllWait();
      }),
    ),
  )) as unknown as T;
}

async function send(trx: Transaction<Database>, batch: readonly Waiting[]): Promise<void> {
  try {
    if (batch.length === 1) {
      const only = batch[0] as Waiting;
      only.resolve(await trx.executeQuery(only.query));
      return;
    }
    for (const w of batch)
      if (!/^\s*select\b/i.test(w.query.sql))
        throw new Error(`only selects can be read together: ${w.query.sql.slice(0, 40)}`);
    const { parts: columns, parameters } = spliceStatements(
      batch.map((w) => w.query),
      (sql, i) => `(select coalesce(json_agg(q), '[]'::json) from (${sql}) q) as r${i}`,
    );
    const { rows } = await trx.executeQuery<Record<string, unknown[]>>(
      CompiledQuery.raw(`select ${columns.join(', ')}`, parameters),
    );
    const answers = rows[0] ?? {};
    batch.forEach((w, i) => w.resolve({ rows: answers[`r${i}`] ?? [] }));
  } catch (err) {
    for (const w of batch) w.reject(err);
  }
}
