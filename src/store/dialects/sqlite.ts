import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type QueryResult,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';
import { createLocalNotifier } from './local-notifier.js';
import {
  BULK_WRITE_WAIT_MS,
  startSqliteCheckpointer,
  type SqliteCheckpointer,
} from './sqlite-checkpointer.js';
import { refreshSqliteStatistics } from './sqlite-statistics.js';
import { useWalCoalescing } from './sqlite-wal-coalescing.js';
import type { InTransactionStatements, StoreDialect } from './store-dialect.js';

const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY', 'SQLITE_LOCKED']);
/** The WAL file's size a restart leaves it at (journal_size_limit); larger ones are cut back to it. */
export const WAL_KEPT_BYTES = 256 * 1024 * 1024;
/** How long a statement waits for another connection's write lock before it fails. */
const BUSY_WAIT_MS = 15_000;

const isBusy = (err: unknown): boolean => BUSY_CODES.has((err as { code?: string }).code ?? '');

/**
 * better-sqlite3 is synchronous, so SQLite's own busy timeout would block the event loop while it waits, and
 * a connection in the same process that holds the lock could never finish: waiting happens here instead,
 * asynchronously, retrying a statement that found the database locked (it did nothing, so it is safe to retry).
 */
async function retryWhileBusy<T>(run: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BUSY_WAIT_MS;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await run();
    } catch (err) {
      if (!isBusy(err) || Date.now() > deadline) throw err;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(50, 1 + attempt * 2) * (0.5 + Math.random())),
      );
    }
  }
}

/**
 * Every write transaction takes the write lock up front. A deferred `BEGIN` that reads and then writes can
 * fail with SQLITE_BUSY when another connection wrote in between; `BEGIN IMMEDIATE` waits for the lock instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  private readonly wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(
    config: SqliteDialectConfig,
    private readonly checkpointer: SqliteCheckpointer | undefined,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    let wrapper = this.wrapped.get(connection);
    if (!wrapper) {
      wrapper = {
        executeQuery: (query) => retryWhileBusy(() => connection.executeQuery(query)),
        streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
      };
      this.wrapped.set(connection, wrapper);
    }
    return wrapper;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await super.commitTransaction(connection);
    this.checkpointer?.committed();
  }
}

/**
 * Runs statements of an open transaction directly on the one connection: the transaction holds it (the
 * driver's mutex), so nothing else runs on it meanwhile, and its write lock was taken at `BEGIN IMMEDIATE`,
 * so a statement cannot find the database busy. Results as Kysely's SQLite driver gives them.
 */
class InTransactionSqliteAdapter extends SqliteAdapter implements InTransactionStatements {
  constructor(private readonly database: SqliteDatabase) {
    super();
  }
  runInTransaction<R>(sql: string, parameters: readonly unknown[]): QueryResult<R> {
    const statement = this.database.prepare(sql);
    if (statement.reader) return { rows: statement.all(parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return {
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
    };
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    private readonly database: SqliteDatabase,
    private readonly checkpointer: SqliteCheckpointer | undefined,
  ) {
    super({ database });
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver({ database: this.database }, this.checkpointer);
  }
  override createAdapter(): SqliteAdapter {
    return new InTransactionSqliteAdapter(this.database);
  }
}

/** Kysely prepares every query anew; caching statements by text saves most of the per-query cost. */
function withStatementCache(db: Sqlite.Database, beforeClose: () => void): SqliteDatabase {
  const cache = new Map<string, Sqlite.Statement>();
  return {
    close: () => {
      beforeClose();
      db.close();
    },
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        if (cache.size > 2_000) cache.clear();
        cache.set(sql, statement);
      }
      return statement as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}

export interface SqliteDialectOptions {
  /** Coalesce WAL writes (sqlite-wal-coalesce.c; default true): the first SQLite store of a process decides. */
  walCoalescing?: boolean;
}

export function createSqliteDialect(path: string, options: SqliteDialectOptions = {}): StoreDialect {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  // Before the connection opens: the coalescing VFS serves the connections opened after it is loaded.
  const coalescing = useWalCoalescing(options.walCoalescing ?? true);
  const raw = new Sqlite(path);
  raw.pragma('journal_mode = WAL');
  // Durable across a crash of the process (a commit is in the WAL before it returns); a power loss may take
  // back the last commits before a checkpoint, which FULL would prevent at an fsync per commit.
  raw.pragma('synchronous = NORMAL');
  // A file's WAL is copied back by a checkpointer thread, off the event loop (sqlite-checkpointer.ts). Should
  // the thread fail, commits checkpoint again: the one that crosses 10,000 WAL pages (40 MiB) copies them back.
  // (At the default 1,000, bulk ingest did that every other batch, rewriting the same hot index pages.)
  raw.pragma(`wal_autocheckpoint = ${path === ':memory:' ? 10_000 : 0}`);
  // When a writer starts the WAL again, a file larger than this is cut back to it, so disk use stays bounded.
  // The writer cuts it inside that commit, and the file's next pages are allocated afresh: at 64 MiB, single
  // POSTs (the WAL going round 64-134 MiB) paid it on every lap, commits up to 17-31 ms where the rest took
  // under 7, and their server-side p99 was 0.9-3.1 ms longer (4 alternated pairs of 10,000 posts). Bulk
  // streams keep theirs under 100 MiB (sqlite-checkpointer.ts); single POSTs mixed with them can pass this.
  raw.pragma(`journal_size_limit = ${WAL_KEPT_BYTES}`);
  // Waiting for locks is done asynchronously (retryWhileBusy), never inside the synchronous driver.
  raw.pragma('busy_timeout = 0');
  raw.pragma('foreign_keys = ON');
  // A statement that may fail half-way inside a transaction (a multi-row insert under a unique index) first
  // keeps the pages it changes in a statement journal. On disk, past 64 KiB, that was a temporary file per
  // transaction: created, written, unlinked, a third of an ingest's WAL-and-journal writes (pwrite calls for
  // 3,000 single POSTs 120,554 -> 77,747; unlinks 248 -> 4). In memory it is a copy. Temporary tables of
  // queries (DISTINCT, GROUP BY without an index) are in memory too; ours are bounded by pagination.
  raw.pragma('temp_store = MEMORY');
  // ANALYZE (sqlite-statistics.ts) reads a sample of about 400 rows an index rather than every index whole:
  // ~260 ms on a 1 GB file.
  raw.pragma('analysis_limit = 400');
  const checkpointer =
    path === ':memory:'
      ? undefined
      : startSqliteCheckpointer(path, {
          onFailure: () => {
            if (raw.open) raw.pragma('wal_autocheckpoint = 10000');
          },
        });
  const database = withStatementCache(raw, () => checkpointer?.stop());
  return {
    name: 'sqlite',
    supportsRowLocks: false,
    supportsWritableCtes: false,
    roundTrips: false,
    concurrentWriters: false,
    textSearch: 'fts5',
    binaryType: 'blob',
    jsonType: 'text',
    refreshStatistics: refreshSqliteStatistics,
    ...(checkpointer
      ? {
          beforeBulkWrite: () => checkpointer.caughtUp(BULK_WRITE_WAIT_MS),
          afterBulkWrite: () => checkpointer.copyNow(),
        }
      : {}),
    warnings:
      coalescing.state === 'unavailable'
        ? [`SQLite WAL writes are not coalesced, so commits cost more: ${coalescing.reason}`]
        : [],
    createKyselyDialect: () => new ImmediateSqliteDialect(database, checkpointer),
    createNotifier: createLocalNotifier,
    async close() {
      checkpointer?.stop();
      if (raw.open) raw.close();
    },
  };
}
