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
import type { StoreDialect } from './store-dialect.js';

/**
 * Every write transaction takes the write lock up front. A deferred `BEGIN` that reads and then writes can
 * fail with SQLITE_BUSY when another process wrote in between; `BEGIN IMMEDIATE` waits for the lock instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
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
function withStatementCache(db: Sqlite.Database): SqliteDatabase {
  const cache = new Map<string, Sqlite.Statement>();
  return {
    close: () => db.close(),
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

export function createSqliteDialect(path: string): StoreDialect {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new Sqlite(path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 10000');
  raw.pragma('foreign_keys = ON');
  const database = withStatementCache(raw);
  return {
    name: 'sqlite',
    supportsRowLocks: false,
    binaryType: 'blob',
    jsonType: 'text',
    createKyselyDialect: () => new ImmediateSqliteDialect(database),
    createNotifier: createLocalNotifier,
    async close() {
      if (raw.open) raw.close();
    },
  };
}
