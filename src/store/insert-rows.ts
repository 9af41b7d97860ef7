import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import { runStatement } from './prepared-query.js';
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
  const mark = parameterMark(db);
  const texts = statementTexts(mark, `${table}\u0000${columns.join('\u0000')}\u0000${options.tail ?? ''}`);
  const perStatement = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_VALUES / columns.length)));
  let affected = 0;
  for (let start = 0; start < rows.length; start += perStatement) {
    const end = Math.min(rows.length, start + perStatement);
    // Sized once: grown by push, each array was copied at every doubling (insertRows allocated 2,640 bytes
    // per bulk alert that way, 1,617 sized).
    const params = new Array<unknown>((end - start) * columns.length);
    let at = 0;
    for (let i = start; i < end; i += 1) {
      const row = rows[i] as Record<string, unknown>;
      for (const column of columns) {
        const value = row[column];
        params[at++] = value === undefined ? null : value;
      }
    }
    const count = end - start;
    let text = count <= CACHED_ROWS ? texts.get(count) : undefined;
    if (text === undefined) {
      const head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `;
      text = `${head}${valuesText(mark, count, columns.length)}${options.tail ? ` ${options.tail}` : ''}`;
      if (count <= CACHED_ROWS) texts.set(count, text);
    }
    const result = await runStatement<R>(db, text, params);
    affected += Number(result.numAffectedRows ?? BigInt(result.rows.length));
    if (options.onRows) options.onRows(result.rows);
  }
  return affected;
}

/** Statements of up to this many rows keep their text; longer ones (bulk steps) are rare enough to build. */
const CACHED_ROWS = 128;
const textsByShape = new WeakMap<ParameterMark, Map<string, Map<number, string>>>();

/**
 * The texts already written for one statement shape (table, columns, tail) under one parameter mark, by row
 * count. The same text object each time is what makes the SQLite statement cache cheap: a string built anew
 * is flattened, hashed and compared whole on every lookup (~3 µs for a 16-row insert, more than the text
 * took to build).
 */
function statementTexts(mark: ParameterMark, shape: string): Map<number, string> {
  let shapes = textsByShape.get(mark);
  if (!shapes) textsByShape.set(mark, (shapes = new Map()));
  let texts = shapes.get(shape);
  if (!texts) shapes.set(shape, (texts = new Map()));
  return texts;
}

/** How the store's query compiler writes the n-th bound value of a statement (counting from 1). */
export type ParameterMark = (n: number) => string;

const questionMark: ParameterMark = () => '?';
const numberedMark: ParameterMark = (n) => `$${n}`;
const parameterMarks = new WeakMap<object, ParameterMark>();

/**
 * `?` or `$n`, as the store's query compiler writes a bound value: read off a one-value query once per
 * dialect adapter (a transaction shares its database's), not compiled again for every statement written as
 * text.
 */
export function parameterMark(db: Db): ParameterMark {
  const adapter = db.getExecutor().adapter;
  let mark = parameterMarks.get(adapter);
  if (!mark) {
    const probe = sql`select ${0}`.compile(db).sql;
    mark = probe.endsWith('$1') ? numberedMark : questionMark;
    parameterMarks.set(adapter, mark);
  }
  return mark;
}

/** The values part of a statement: `rows` tuples of `columns` bound values each. */
function valuesText(mark: ParameterMark, rows: number, columns: number): string {
  if (mark === questionMark) {
    // Every tuple reads the same: one tuple's text, repeated (the ingest path writes 1,000 at a time).
    const tuple = `(${'?, '.repeat(columns - 1)}?)`;
    return `${tuple}, `.repeat(rows - 1) + tuple;
  }
  const tuples: string[] = [];
  for (let r = 0, n = 1; r < rows; r += 1) {
    let tuple = `(${mark(n++)}`;
    for (let c = 1; c < columns; c += 1) tuple += `, ${mark(n++)}`;
    tuples.push(`${tuple})`);
  }
  return tuples.join(', ');
}
