import { CompiledQuery, sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Bound values a statement may hold: SQLite allows 32,766, PostgreSQL 65,535. */
const MAX_VALUES = 30_000;
/** More rows than this to a statement stopped paying on either store. */
const MAX_ROWS = 500;

export interface InsertRowsOptions<R> {
  /**
   * The statement's tail after the values, the same on both stores and free of bound values (new values as
   * `excluded.column`), so one text serves every call: `on conflict (a, b) do nothing`, `returning id`.
   */
  tail?: string;
  /** Called with each statement's returned rows (with a `returning` tail). */
  onRows?: (rows: R[]) => void;
}

/**
 * Inserts rows, many to a statement, writing the statement text directly rather than through the query
 * builder: for bulk inserts on the ingest path, building and compiling a query node per bound value cost
 * more CPU than the database spent storing the rows. Columns and values are typed by the table; every
 * value is still a bound parameter. Returns how many rows the statements affected.
 */
export async function insertRows<T extends keyof Database & string, R = never>(
  db: Db,
  table: T,
  columns: ReadonlyArray<keyof Insertable<Database[T]> & string>,
  rows: ReadonlyArray<Insertable<Database[T]>>,
  options: InsertRowsOptions<R> = {},
): Promise<number> {
  if (rows.length === 0) return 0;
  const placeholder = placeholderStyle(db);
  const head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `;
  const perStatement = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_VALUES / columns.length)));
  let affected = 0;
  for (let start = 0; start < rows.length; start += perStatement) {
    const end = Math.min(rows.length, start + perStatement);
    const params: unknown[] = [];
    for (let i = start; i < end; i += 1) {
      const row = rows[i] as Record<string, unknown>;
      for (const column of columns) {
        const value = row[column];
        params.push(value === undefined ? null : value);
      }
    }
    const text = `${head}${placeholder(end - start, columns.length)}${options.tail ? ` ${options.tail}` : ''}`;
    const result = await db.executeQuery<R>(CompiledQuery.raw(text, params));
    affected += Number(result.numAffectedRows ?? BigInt(result.rows.length));
    if (options.onRows) options.onRows(result.rows);
  }
  return affected;
}

/** The values part of a statement: `rows` tuples of `columns` bound values each, as the dialect marks them. */
type ValuesText = (rows: number, columns: number) => string;

const placeholderStyles = new WeakMap<object, ValuesText>();

/** `?` marks are the same in every tuple: one tuple's text, repeated (the ingest path writes 1,000 at a time). */
const questionMarks: ValuesText = (rows, columns) => {
  const tuple = `(${'?, '.repeat(columns - 1)}?)`;
  return `${tuple}, `.repeat(rows - 1) + tuple;
};

/** `$n` marks number the values across the whole statement. */
const numberedMarks: ValuesText = (rows, columns) => {
  const tuples: string[] = [];
  for (let r = 0, n = 1; r < rows; r += 1) {
    let tuple = `($${n++}`;
    for (let c = 1; c < columns; c += 1) tuple += `, $${n++}`;
    tuples.push(`${tuple})`);
  }
  return tuples.join(', ');
};

/**
 * `?` or `$n`, as the store's query compiler writes a bound value: read off a one-value query once per
 * dialect adapter (a transaction shares its database's), not compiled again on every insert.
 */
function placeholderStyle(db: Db): ValuesText {
  const adapter = db.getExecutor().adapter;
  let style = placeholderStyles.get(adapter);
  if (!style) {
    const probe = sql`select ${0}`.compile(db).sql;
    style = probe.endsWith('$1') ? numberedMarks : questionMarks;
    placeholderStyles.set(adapter, style);
  }
  return style;
}
