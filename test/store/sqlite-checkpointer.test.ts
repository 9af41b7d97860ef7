import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walFileBytes } from '../../src/store/dialects/sqlite-checkpointer.js';
import { WAL_KEPT_BYTES } from '../../src/store/dialects/sqlite.js';
import { openCheckpointedWriter, openWalWriter, type CheckpointedWriter } from '../support/sqlite-files.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';
import { waitFor } from '../support/waiting.js';

/** How many times the WAL was started again from its head (its header's checkpoint sequence number). */
function walRestarts(path: string): number {
  const header = Buffer.alloc(16);
  const fd = openSync(`${path}-wal`, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return header.readUInt32BE(12);
}

// Commits never copy the WAL back themselves (that stalled the event loop); a thread of the store does.
describe('SQLite checkpoints off the event loop', () => {
  let handle: TestStoreHandle;
  /** One transaction of `rows` rows of 4,000 bytes through the store (~1 MB at 250). */
  let commit: (rows: number) => Promise<void>;
  beforeAll(async () => {
    handle = await openTestStore('sqlite');
    const { db } = handle.store;
    await sql`create table filler (id integer primary key, body text not null)`.execute(db);
    const body = 'x'.repeat(4_000);
    commit = (rows) =>
      db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows; i += 1) await sql`insert into filler (body) values (${body})`.execute(trx);
      });
  });
  afterAll(async () => handle.cleanup());

  it('copies a growing WAL into the database file without a commit doing it', async () => {
    const { db } = handle.store;
    const path = handle.options.sqlitePath;
    const [mode] = (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)).rows;
    expect(mode?.wal_autocheckpoint).toBe(0);
    const before = statSync(path).size;
    for (let batch = 0; batch < 8; batch += 1) await commit(200);
    // About 6.4 MB went into the WAL; the file holds it once the thread has checkpointed.
    await waitFor('the checkpointer', async () =>
      statSync(path).size > before + 6_000_000 ? true : undefined,
    );
    const [{ n } = { n: 0 }] = (await sql<{ n: number }>`select count(*) as n from filler`.execute(db)).rows;
    expect(n).toBe(1_600);
  });

  // The commit that starts the WAL again cuts a file longer than journal_size_limit back to it, inside that
  // commit; the pages past it are then allocated afresh. Single POSTs take the WAL round 64-134 MiB: a limit
  // under that made every lap pay both.
  it('starts a WAL of 80 MiB again without cutting the file', async () => {
    const path = handle.options.sqlitePath;
    let largest = 0;
    while (largest < 80 * 1024 * 1024) {
      await commit(250);
      largest = Math.max(largest, walFileBytes(path));
    }
    const lapsBefore = walRestarts(path);
    // Once the thread has copied all of it (on its 200 ms interval), the next commit starts it from its head.
    await waitFor('the WAL to start again', async () => {
      await commit(1);
      return walRestarts(path) > lapsBefore;
    });
    expect(walFileBytes(path)).toBeGreaterThanOrEqual(largest);
    expect(WAL_KEPT_BYTES).toBeGreaterThan(largest);
  });
});

// A writer starts the WAL again from its head only when all of it is copied as the writer begins; a thread on
// a timer alone almost never finished between commits, and the WAL grew by every page ever written.
describe('SQLite checkpointer woken by commits', () => {
  it('copies right after each commit once the WAL is long, so the next commit starts it again', async () => {
    // The timer alone would copy once in ten minutes: only commits can keep this WAL short. Commits 40 ms
    // apart count as close together here.
    const writer = openCheckpointedWriter({
      intervalMs: 600_000,
      restartAtFrames: 256,
      eagerGapMs: 1_000,
      rowsPerCommit: 250,
    });
    try {
      const commits = (count: number): Promise<void> => writer.commits(count, { apartMs: 40 });
      // ~1 MB a commit. The thread starts within a second (its first look at the WAL); by then the file holds
      // what the first commits wrote. From there it should barely grow: the next 30 commits write 30 MB, and
      // with the thread on its timer alone the file grew by 31.5 MB.
      await commits(30);
      const before = writer.walBytes();
      await commits(30);
      expect(writer.walBytes() - before).toBeLessThan(16 * 1024 * 1024);
      expect(writer.rows()).toBe(15_000);
    } finally {
      writer.close();
    }
  });
});

// Bulk steps come tens of milliseconds apart and their copies lost the race anyway: copying after each one
// only copied the same hot pages again.
describe('SQLite checkpointer and commits far apart', () => {
  it('copies once an interval when commits come further apart than eagerGapMs, however long the WAL', async () => {
    const writer = openCheckpointedWriter({
      intervalMs: 500,
      restartAtFrames: 1,
      eagerGapMs: 10,
      rowsPerCommit: 50,
    });
    const { checkpointer } = writer;
    try {
      const commits = (count: number): Promise<void> => writer.commits(count, { apartMs: 50 });
      await waitFor('the checkpointer', async () => {
        await commits(1);
        return checkpointer.copies() > 0 ? true : undefined;
      });
      // 30 commits over ~1.5 s: a copy after each would be ~30, one an interval ~3.
      const before = checkpointer.copies();
      await commits(30);
      const copied = checkpointer.copies() - before;
      expect(copied).toBeGreaterThan(0);
      expect(copied).toBeLessThan(10);
    } finally {
      writer.close();
    }
  });
});

// A bulk step begins a few milliseconds after the last one committed: a WAL the thread copies once an
// interval is never wholly copied at that moment, so SQLite never starts it again and it grows through the
// whole stream. `caughtUp`, awaited before each bulk step, gives the thread that moment.
describe('SQLite checkpointer and bulk writes', () => {
  const pause = (ms: number): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, ms));
  /**
   * ~1 MB commits with no timer and no commits close together: the thread copies at its first look at the
   * WAL and when asked (`caughtUp`, `copyNow`), so the WAL of commits nobody asks about grows by every one.
   */
  const openQuietWriter = () =>
    openCheckpointedWriter({
      intervalMs: 600_000,
      restartAtFrames: 64,
      bulkWaitAtFrames: 64,
      eagerGapMs: 0,
      rowsPerCommit: 250,
    });
  /** Commits until the thread has started (within a second, at its first look at the WAL) and copied once. */
  const firstCopy = (writer: CheckpointedWriter) =>
    waitFor('the checkpointer', async () => {
      writer.commit();
      await pause(20);
      return writer.checkpointer.copies() > 0 ? true : undefined;
    });

  /** How much the WAL file grew over `count` bulk commits (~1 MB each, back to back), once it was long. */
  const walGrowth = async (options: { waitFirst: boolean }, count: number): Promise<number> => {
    const writer = openQuietWriter();
    try {
      await firstCopy(writer);
      const commits = (n: number): Promise<void> =>
        writer.commits(n, options.waitFirst ? { before: () => writer.checkpointer.caughtUp(5_000) } : {});
      // ~256 frames a commit: the WAL is long after any commit (the thread said so at that first copy).
      await commits(4);
      const before = writer.walBytes();
      const rowsBefore = writer.rows();
      await commits(count);
      expect(writer.rows() - rowsBefore).toBe(count * 250);
      return writer.walBytes() - before;
    } finally {
      writer.close();
    }
  };

  it('copies a long WAL back before each bulk write that waits for it, so the write starts it again', async () => {
    // 30 commits wrote ~30 MB; restarted before each, the file grows by what one or two commits hold.
    expect(await walGrowth({ waitFirst: true }, 30)).toBeLessThan(4 * 1024 * 1024);
  });

  it('leaves the WAL growing when bulk writes do not wait (what the wait is for)', async () => {
    expect(await walGrowth({ waitFirst: false }, 30)).toBeGreaterThan(20 * 1024 * 1024);
  });

  it('copies when a committed bulk write asks (copyNow), so the next write starts the WAL again', async () => {
    const writer = openQuietWriter();
    const { checkpointer } = writer;
    try {
      await firstCopy(writer);
      writer.commit();
      const copied = checkpointer.copies();
      await pause(200);
      expect(checkpointer.copies()).toBe(copied);
      checkpointer.copyNow();
      await waitFor('the copy asked for', async () => (checkpointer.copies() > copied ? true : undefined));
      // All of it copied: the next commit writes from the WAL's head, and the file does not grow.
      const before = writer.walBytes();
      writer.commit();
      expect(writer.walBytes()).toBe(before);
    } finally {
      writer.close();
    }
  });

  it('answers at once while the WAL is shorter than bulkWaitAtFrames, and gives up after maxMs when it cannot be copied', async () => {
    // The thread copies on its timer; waits start from 1,024 frames (about four commits).
    const writer = openCheckpointedWriter({
      intervalMs: 100,
      restartAtFrames: 256,
      bulkWaitAtFrames: 1_024,
      eagerGapMs: 0,
      rowsPerCommit: 250,
    });
    const { checkpointer } = writer;
    const reader = openWalWriter(writer.path);
    try {
      // No thread yet: nothing to wait for (a wait would time the test out).
      await checkpointer.caughtUp(600_000);
      await firstCopy(writer);
      // A commit on a WAL all copied starts it again: one commit long, as the thread's next copy says.
      await waitFor('a short WAL', async () => {
        writer.commit();
        await pause(150);
        return checkpointer.frames() < 1_024 ? true : undefined;
      });
      // A reader holding an old snapshot keeps the thread from copying the frames after it: the next commit
      // stays uncopied, in a WAL still short, so there is nothing to wait for (a wait would time out).
      reader.exec('begin');
      reader.prepare('select count(*) from rows').get();
      writer.commit();
      await pause(150);
      expect(checkpointer.frames()).toBeLessThan(1_024);
      await checkpointer.caughtUp(600_000);
      for (let k = 0; k < 4; k += 1) writer.commit();
      await waitFor('the thread to see a long WAL', async () => {
        await pause(50);
        return checkpointer.frames() >= 1_024 ? true : undefined;
      });
      // Bounded, or this test would time out (the reader is still open).
      await checkpointer.caughtUp(200);
      reader.exec('commit');
    } finally {
      reader.close();
      writer.close();
    }
  });
});
