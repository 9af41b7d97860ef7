import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import {
  startSqliteCheckpointer,
  type CheckpointerOptions,
  type SqliteCheckpointer,
} from '../../src/store/dialects/sqlite-checkpointer.js';

/**
 * Raw SQLite files for tests of the store's file layer (checkpointer, WAL coalescing), beside the migrated
 * stores of stores.ts: `file()` names a fresh file in a directory of its own, `cleanup()` removes them all.
 */
export function sqliteFiles(): { file(): string; cleanup(): void } {
  const dirs: string[] = [];
  return {
    file() {
      const dir = mkdtempSync(join(tmpdir(), 'riposte-sqlite-'));
      dirs.push(dir);
      return join(dir, 'test.db');
    },
    cleanup() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A writer as the store opens one (WAL, synchronous NORMAL), with no checkpoint on commit (a checkpointer
 * thread's job), and a `rows` table to fill.
 */
export function openWalWriter(path: string): Sqlite.Database {
  const db = new Sqlite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec(
    'create table if not exists rows (id integer primary key, batch integer not null, body text not null)',
  );
  return db;
}

/**
 * The store's checkpointer thread on `path`, started at the first look (any WAL), copying a WAL that passes
 * `restartAtFrames` after every commit; a thread that cannot run fails the test.
 */
export function startTestCheckpointer(
  path: string,
  options: Pick<CheckpointerOptions, 'intervalMs' | 'restartAtFrames' | 'eagerGapMs'>,
): SqliteCheckpointer {
  return startSqliteCheckpointer(path, {
    startAtBytes: 1,
    ...options,
    onFailure: (err) => {
      throw err;
    },
  });
}
