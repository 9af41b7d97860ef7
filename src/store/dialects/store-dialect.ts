import type { Dialect, QueryResult } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/** Runs one statement on the store's connection and gives its rows. */
export type RunStatement = (statement: string) => Promise<Array<Record<string, unknown>>>;

/**
 * What differs between the embedded store and PostgreSQL, behind one interface: callers test capability
 * flags, never the dialect's name.
 */
export interface StoreDialect {
  readonly name: DialectName;
  /** `FOR UPDATE SKIP LOCKED` exists; without it, writers are serialised by `BEGIN IMMEDIATE` instead. */
  readonly supportsRowLocks: boolean;
  /** `WITH x AS (INSERT …) UPDATE …`: several writes in one statement (one round trip). */
  readonly supportsWritableCtes: boolean;
  /**
   * Each statement is a round trip to a server (PostgreSQL): independent reads of a transaction go as one
   * statement (read-together.ts). In process (SQLite) statements run synchronously, and that saves nothing.
   */
  readonly roundTrips: boolean;
  /**
   * Write transactions run at the same time, each reading at READ COMMITTED (PostgreSQL): one that decides
   * from what it read (is this alert new?) must lock what it decides on, or two decide alike. SQLite's
   * writers take turns from their first statement (`BEGIN IMMEDIATE`).
   */
  readonly concurrentWriters: boolean;
  /** The full-text engine: SQLite's FTS5 virtual tables, or PostgreSQL's tsvector with a GIN index. */
  readonly textSearch: 'fts5' | 'tsvector';
  /** Column type for raw bytes. */
  readonly binaryType: 'blob' | 'bytea';
  /** Column type for JSON documents (stored as text on both so reads are identical). */
  readonly jsonType: 'text';
  /**
   * Refreshes the planner's statistics where they no longer fit the tables, with `run` executing each
   * statement on the store's connection; the store calls it soon after it opens, before pending migrations,
   * and every few seconds. SQLite plans from guesses until ANALYZE has run; PostgreSQL's autovacuum keeps its
   * own statistics, so it has none.
   */
  readonly refreshStatistics?: (run: RunStatement) => Promise<void>;
  /**
   * Called before a transaction that writes many rows (a bulk ingest step), holding no lock: the dialect may
   * wait a little for background work that makes that write cheaper. SQLite waits for its checkpointer to
   * copy a long WAL back (sqlite-checkpointer.ts `caughtUp`); PostgreSQL has nothing to wait for.
   */
  readonly beforeBulkWrite?: () => Promise<void>;
  /**
   * Called once a bulk write has committed: background work that makes the next one cheaper may start now,
   * while the caller prepares it. SQLite's checkpointer starts copying the WAL back at once (`copyNow`).
   */
  readonly afterBulkWrite?: () => void;
  /** What works, but slower than it should (a part that could not load), logged when the store is opened. */
  readonly warnings: readonly string[];
  createKyselyDialect(): Dialect;
  /** Cross-process wake-ups; SQLite has none and is polled. */
  createNotifier(): Notifier;
  close(): Promise<void>;
}

/** Wakes waiting workers when work is added. Delivery is best effort: workers poll as well. */
export interface Notifier {
  notify(channel: string): Promise<void>;
  /** Returns a function that stops listening. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * A Kysely dialect adapter that can also run a compiled statement at once on the connection an open
 * transaction holds (SQLite: one synchronous connection), without Kysely's executor around it: hot
 * statements inside the run engine's transactions paid more in that executor than SQLite spent on them.
 */
export interface InTransactionStatements {
  runInTransaction<R>(sql: string, parameters: readonly unknown[]): QueryResult<R>;
}

export const supportsInTransactionStatements = (adapter: object): adapter is InTransactionStatements =>
  typeof (adapter as Partial<InTransactionStatements>).runInTransaction === 'function';
