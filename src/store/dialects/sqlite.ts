import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type SqliteDatabase,
} from 'kysely';
import { createLocalNotifier } from './local-notifier.js';
import { startSqliteCheckpointer } from './sqlite-checkpointer.js';
import type { StoreDialect } from './store-dialect.js';

const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY', 'SQLITE_LOCKED']);
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
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly database: SqliteDatabase) {
    super({ database });
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver({ database: this.database });
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

/** The page size a new database file is created with (see createSqliteDialect). */
export const NEW_FILE_PAGE_SIZE = 16_384;

export function createSqliteDialect(path: string): StoreDialect {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new Sqlite(path);
  // A new file gets 16 KiB pages (an existing one keeps the size it was created with: changing it takes a
  // VACUUM outside WAL mode). A commit writes every page it dirtied to the WAL, and bulk ingest dirties mostly
  // one leaf per hot key of an index (a case's alerts, an observable's links): larger pages hold more hot keys
  // each and keep indexes a level shallower. A 500-alert ingest step wrote 1,578 frames of 4 KiB against 478
  // of 16 KiB, and took 14% less CPU per alert (scripts/wal-pages.ts, scripts/ingest-warm.ts).
  raw.pragma(`page_size = ${NEW_FILE_PAGE_SIZE}`);
  raw.pragma('journal_mode = WAL');
  const pageSize = raw.pragma('page_size', { simple: true }) as number;
  const pagesOf = (bytes: number): number => Math.max(1, Math.round(bytes / pageSize));
  // Durable across a crash of the process (a commit is in the WAL before it returns); a power loss may take
  // back the last commits before a checkpoint, which FULL would prevent at an fsync per commit.
  raw.pragma('synchronous = NORMAL');
  // A file's WAL is copied back by a checkpointer thread, off the event loop (sqlite-checkpointer.ts). Should
  // the thread fail, commits checkpoint again: the one that crosses 40 MiB of WAL pages copies them back.
  // (At the default 1,000 pages, bulk ingest did that every other batch, rewriting the same hot index pages.)
  const fallbackCheckpointPages = pagesOf(40 * 1024 * 1024);
  raw.pragma(`wal_autocheckpoint = ${path === ':memory:' ? fallbackCheckpointPages : 0}`);
  // After a checkpoint has emptied it, a WAL file larger than this is cut back, so disk use stays bounded.
  raw.pragma('journal_size_limit = 67108864');
  // Waiting for locks is done asynchronously (retryWhileBusy), never inside the synchronous driver.
  raw.pragma('busy_timeout = 0');
  raw.pragma('foreign_keys = ON');
  const checkpointer =
    path === ':memory:'
      ? undefined
      : startSqliteCheckpointer(path, {
          restartFrames: pagesOf(1024 * 1024 * 1024),
          onFailure: () => {
            if (raw.open) raw.pragma(`wal_autocheckpoint = ${fallbackCheckpointPages}`);
          },
        });
  const database = withStatementCache(raw, () => checkpointer?.stop());
  return {
    name: 'sqlite',
    supportsRowLocks: false,
    supportsWritableCtes: false,
    textSearch: 'fts5',
    binaryType: 'blob',
    jsonType: 'text',
    // Without statistics SQLite guessed that the (type, at) index of case_events suited a per-case read: the
    // milestone rebuild took 53 s at 100,000 cases instead of 1.8 s. optimize=0x10002 analyses every table
    // that lacks or has outgrown its statistics; analysis_limit keeps that to a bounded sample (260 ms on a
    // 1 GB database), and SQLite then re-plans the statements it had prepared.
    statisticsRefresh: ['pragma analysis_limit = 400', 'pragma optimize = 0x10002'],
    createKyselyDialect: () => new ImmediateSqliteDialect(database),
    createNotifier: createLocalNotifier,
    async close() {
      checkpointer?.stop();
      if (raw.open) raw.close();
    },
  };
}
