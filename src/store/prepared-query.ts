import { CompiledQuery, type Compilable, type Kysely, type QueryResult, type Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Stands in for a parameter's value while the query is built: the compiled parameters name their slots. */
const SLOT = '\u0000slot:';

type Binding<P> = { slot: keyof P } | { value: unknown };

/**
 * A hot query built and compiled once per database, then run with new values: building and compiling with
 * Kysely cost as much as SQLite executing the statement. `build` must have one shape whatever the values
 * (no optional clauses): each value is a `slot(name)`, and parameters the builder adds itself (a `+ 1`)
 * are kept as they were compiled.
 */
export function preparedQuery<P extends Record<string, unknown>, R = unknown>(
  build: (db: Kysely<Database>, slot: <K extends keyof P & string>(name: K) => P[K]) => Compilable<R>,
): (db: Db, values: P) => Promise<QueryResult<R>> {
  // By dialect adapter: a transaction shares its database's, and the SQL differs between dialects.
  const compiled = new WeakMap<object, { sql: string; bindings: Array<Binding<P>> }>();
  return (db, values) => {
    const adapter = db.getExecutor().adapter;
    let entry = compiled.get(adapter);
    if (!entry) {
      const query = build(db, (name) => `${SLOT}${name}` as never).compile();
      entry = {
        sql: query.sql,
        bindings: query.parameters.map((p) =>
          typeof p === 'string' && p.startsWith(SLOT) ? { slot: p.slice(SLOT.length) } : { value: p },
        ),
      };
      compiled.set(adapter, entry);
    }
    const parameters = entry.bindings.map((b) => ('slot' in b ? values[b.slot] : b.value));
    return db.executeQuery(CompiledQuery.raw(entry.sql, parameters) as CompiledQuery<R>);
  };
}
