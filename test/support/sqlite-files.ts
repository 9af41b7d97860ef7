import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import {
  startSqliteCheckpointer,
  walFileBytes,
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

/** The thread's settings a test chooses (when it copies, and from how long a WAL it waits or hurries). */
export type TestThreadSettings = Pick<
  CheckpointerOptions,
  'intervalMs' | 'restartAtFrames' | 'eagerGapMs' | 'bulkWaitAtFrames'
>;

/**
 * The store's checkpointer thread on `path`, started at the first look (any WAL), copying a WAL that passes
 * `restartAtFrames` after every commit; a thread that cannot run fails the test.
 */
export function startTestCheckpointer(path: string, options: TestThreadSettings): SqliteCheckpointer {
  return startSqliteCheckpointer(path, {
    startAtBytes: 1,
    ...options,
    onFailure: (err) => {
      throw err;
    },
  });
}

/** A WAL writer with the store's checkpointer thread on its file, committing as the store does. */
export interface CheckpointedWriter {
  path: string;
  db: Sqlite.Database;
  checkpointer: SqliteCheckpointer;
  /** One transaction of `rowsPerCommit` rows of 4,000 bytes (~1 MB at 250), then tells the thread. */
  commit(): void;
  /**
   * `count` commits, each after `before` (when given) and followed by a pause: `apartMs`, else one turn of
   * the event loop.
   */
  commits(count: number, pacing?: { apartMs?: number; before?: () => Promise<void> }): Promise<void>;
  /** Rows in the file. */
  rows(): number;
  /** The WAL file's size in bytes. */
  walBytes(): number;
  close(): void;
}

export function openCheckpointedWriter(
  options: TestThreadSettings & { rowsPerCommit: number },
): CheckpointedWriter {
  const files = sqliteFiles();
  const path = files.file();
  const db = openWalWriter(path);
  const { rowsPerCommit, ...thread } = options;
  const checkpointer = startTestCheckpointer(path, thread);
  const insert = db.prepare('insert into rows (batch, body) values (?, ?)');
  const body = 'x'.repeat(4_000);
  let batch = 0;
  const transaction = db.transaction(() => {
    batch += 1;
    for (let i = 0; i < rowsPerCommit; i += 1) insert.run(batch, body);
  });
  const commit = (): void => {
    transaction();
    checkpointer.committed();
  };
  return {
    path,
    db,
    checkpointer,
    commit,
    async commits(count, pacing = {}) {
      for (let n = 0; n < count; n += 1) {
        await pacing.before?.();
        commit();
        await new Promise((resolve) =>
          pacing.apartMs === undefined ? setImmediate(resolve) : setTimeout(resolve, pacing.apartMs),
        );
      }
    },
    rows: () => (db.prepare('select count(*) as n from rows').get() as { n: number }).n,
    walBytes: () => walFileBytes(path),
    close() {
      checkpointer.stop();
      db.close();
      files.cleanup();
    },
  };
}
