import type { Dialect } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

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
  /** The full-text engine: SQLite's FTS5 virtual tables, or PostgreSQL's tsvector with a GIN index. */
  readonly textSearch: 'fts5' | 'tsvector';
  /** Column type for raw bytes. */
  readonly binaryType: 'blob' | 'bytea';
  /** Column type for JSON documents (stored as text on both so reads are identical). */
  readonly jsonType: 'text';
  /**
   * Statements that refresh the planner's statistics, run when the store opens and then hourly. SQLite plans
   * from guesses until ANALYZE has run; PostgreSQL's autovacuum keeps its own statistics, so it has none.
   */
  readonly statisticsRefresh: readonly string[];
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
