import { CompiledQuery, type Compilable, type Kysely, type QueryResult, type Transaction } from 'kysely';
import { supportsInTransactionStatements } from './dialects/store-dialect.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Runs a compiled hot statement: inside a transaction, on a store whose adapter can (SQLite), directly on the
 * transaction's connection; else through Kysely's executor. Only without plugins, which the direct path
 * would skip.
 */
function execute<R>(db: Db, adapter: object, sql: string, parameters: unknown[]): Promise<QueryResult<R>> {
  if (db.isTransaction && supportsInTransactionStatements(adapter) && db.getExecutor().plugins.length === 0) {
    try {
      return Promise.resolve(adapter.runInTransaction<R>(sql, parameters));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
  return db.executeQuery(CompiledQuery.raw(sql, parameters) as CompiledQuery<R>);
}

/** Stands in for a parameter's value while the query is built: the compiled parameters name their slots. */
const SLOT = '\u0000slot:';

/** The placeholder a query is built with where `name`'s value goes (see `slotted`). */
export const slotFor = (name: string): string => `${SLOT}${name}`;

type Binding<P> = { slot: keyof P & string } | { value: unknown };

/** A statement compiled once, with slots for the values that change from run to run. */
export interface SlottedStatement<P> {
  sql: string;
  bindings: Array<Binding<P>>;
}

/** A compiled query built with `slotFor` placeholders, as a statement whose slots each run fills. */
export function slotted<P>(query: CompiledQuery): SlottedStatement<P> {
  return {
    sql: query.sql,
    bindings: query.parameters.map((p) =>
      typeof p === 'string' && p.startsWith(SLOT)
        ? { slot: p.slice(SLOT.length) as keyof P & string }
        : { value: p },
    ),
  };
}

/** A slotted statement's parameters for one run; parameters the build added itself stay as compiled. */
export const bindSlots = <P>(statement: SlottedStatement<P>, values: P): unknown[] =>
  statement.bindings.map((b) => ('slot' in b ? values[b.slot] : b.value));

/** Runs statement text with its parameters, as the hot queries here do (directly in a SQLite transaction). */
export function runStatement<R>(db: Db, sql: string, parameters: unknown[]): Promise<QueryResult<R>> {
  return execute<R>(db, db.getExecutor().adapter, sql, parameters);
}

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
  const compiled = new WeakMap<object, SlottedStatement<P>>();
  return (db, values) => {
    const adapter = db.getExecutor().adapter;
    let entry = compiled.get(adapter);
    if (!entry) {
      entry = slotted<P>(build(db, (name) => slotFor(name) as never).compile());
      compiled.set(adapter, entry);
    }
    return execute<R>(db, adapter, entry.sql, bindSlots(entry, values));
  };
}

/**
 * The most rows a multi-row statement is compiled and cached for. Callers insert larger batches in slices of
 * this many, so every statement they run is a cached one: at 64 concurrent runs a grouped commit held ~200
 * step events, and compiling that insert anew in each transaction cost ~2% of a run's CPU.
 */
export const MAX_PREPARED_ROWS = 128;

/** Where a multi-row statement's parameter comes from: a row's column, a named value, or the build itself. */
type RowsBinding = { row: number; column: string } | { slot: string } | { value: unknown };

/**
 * A multi-row statement (an insert of `rows`) compiled once per database and row count, for up to
 * `maxCached` rows (larger ones are built each time, the same way): concurrent runs' batches repeat the same
 * few counts. `build` gets one placeholder row per row, each of them with every one of `columns`, and a
 * `slot(name)` for other values (`extra`); a row's missing column is bound as null.
 */
export function preparedRowsQuery<
  Row extends object,
  P extends Record<string, unknown> = Record<string, never>,
  R = unknown,
>(
  columns: ReadonlyArray<keyof Row & string>,
  build: (
    db: Kysely<Database>,
    rows: Row[],
    slot: <K extends keyof P & string>(name: K) => P[K],
  ) => Compilable<R>,
  maxCached = MAX_PREPARED_ROWS,
): (db: Db, rows: readonly Row[], extra?: P) => Promise<QueryResult<R>> {
  const compiled = new WeakMap<object, Map<number, { sql: string; bindings: RowsBinding[] }>>();
  const compile = (db: Kysely<Database>, count: number) => {
    const placeholders = Array.from(
      { length: count },
      (_, row) => Object.fromEntries(columns.map((c) => [c, `${SLOT}${row}:${c}`])) as Row,
    );
    const query = build(db, placeholders, (name) => slotFor(name) as never).compile();
    return {
      sql: query.sql,
      bindings: query.parameters.map((p): RowsBinding => {
        if (typeof p !== 'string' || !p.startsWith(SLOT)) return { value: p };
        const name = p.slice(SLOT.length);
        const colon = name.indexOf(':');
        return colon < 0
          ? { slot: name }
          : { row: Number(name.slice(0, colon)), column: name.slice(colon + 1) };
      }),
    };
  };
  return (db, rows, extra) => {
    const adapter = db.getExecutor().adapter;
    let byCount = compiled.get(adapter);
    if (!byCount) {
      byCount = new Map();
      compiled.set(adapter, byCount);
    }
    let entry = byCount.get(rows.length);
    if (!entry) {
      entry = compile(db, rows.length);
      if (rows.length <= maxCached) byCount.set(rows.length, entry);
    }
    const parameters = entry.bindings.map((b) =>
      'row' in b
        ? ((rows[b.row] as Record<string, unknown>)[b.column] ?? null)
        : 'slot' in b
          ? (extra as Record<string, unknown> | undefined)?.[b.slot]
          : b.value,
    );
    return execute<R>(db, adapter, entry.sql, parameters);
  };
}
