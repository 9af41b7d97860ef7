import { statSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWalWriter, sqliteFiles, startTestCheckpointer } from '../support/sqlite-files.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';
import { waitFor } from '../support/waiting.js';

// Commits never copy the WAL back themselves (that stalled the event loop); a thread of the store does.
describe('SQLite checkpoints off the event loop', () => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore('sqlite');
  });
  afterAll(async () => handle.cleanup());

  it('copies a growing WAL into the database file without a commit doing it', async () => {
    const { db } = handle.store;
    const path = handle.options.sqlitePath;
    const [mode] = (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)).rows;
    expect(mode?.wal_autocheckpoint).toBe(0);
    await sql`create table filler (id integer primary key, body text not null)`.execute(db);
    const before = statSync(path).size;
    const body = 'x'.repeat(4_000);
    for (let batch = 0; batch < 8; batch += 1)
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 200; i += 1) await sql`insert into filler (body) values (${body})`.execute(trx);
      });
    // About 6.4 MB went into the WAL; the file holds it once the thread has checkpointed.
    await waitFor('the checkpointer', async () =>
      statSync(path).size > before + 6_000_000 ? true : undefined,
    );
    const [{ n } = { n: 0 }] = (await sql<{ n: number }>`select count(*) as n from filler`.execute(db)).rows;
    expect(n).toBe(1_600);
  });
});

// A writer starts the WAL again from its head only when all of it is copied as the writer begins; a thread on
// a timer alone almost never finished between commits, and the WAL grew by every page ever written.
describe('SQLite checkpointer woken by commits', () => {
  it('copies right after each commit once the WAL is long, so the next commit starts it again', async () => {
    const files = sqliteFiles();
    const path = files.file();
    const db = openWalWriter(path);
    // The timer alone would copy once in ten minutes: only commits can keep this WAL short. Commits 40 ms
    // apart count as close together here.
    const checkpointer = startTestCheckpointer(path, {
      intervalMs: 600_000,
      restartAtFrames: 256,
      eagerGapMs: 1_000,
    });
    try {
      const insert = db.prepare('insert into rows (batch, body) values (?, ?)');
      const body = 'x'.repeat(4_000);
      const commit = db.transaction(() => {
        for (let i = 0; i < 250; i += 1) insert.run(0, body);
      });
      const commits = async (count: number): Promise<void> => {
        for (let n = 0; n < count; n += 1) {
          commit();
          checkpointer.committed();
          await new Promise((resolve) => setTimeout(resolve, 40));
        }
      };
      // ~1 MB a commit. The thread starts within a second (its first look at the WAL); by then the file holds
      // what the first commits wrote. From there it should barely grow: the next 30 commits write 30 MB, and
      // with the thread on its timer alone the file grew by 31.5 MB.
      await commits(30);
      const before = statSync(`${path}-wal`).size;
      await commits(30);
      expect(statSync(`${path}-wal`).size - before).toBeLessThan(16 * 1024 * 1024);
      expect(db.prepare('select count(*) as n from rows').get()).toEqual({ n: 15_000 });
    } finally {
      checkpointer.stop();
      db.close();
      files.cleanup();
    }
  });
});

// Bulk steps come tens of milliseconds apart and their copies lost the race anyway: copying after each one
// only copied the same hot pages again.
describe('SQLite checkpointer and commits far apart', () => {
  it('copies once an interval when commits come further apart than eagerGapMs, however long the WAL', async () => {
    const files = sqliteFiles();
    const path = files.file();
    const db = openWalWriter(path);
    const checkpointer = startTestCheckpointer(path, { intervalMs: 500, restartAtFrames: 1, eagerGapMs: 10 });
    try {
      const insert = db.prepare('insert into rows (batch, body) values (?, ?)');
      const body = 'x'.repeat(4_000);
      const commit = db.transaction(() => {
        for (let i = 0; i < 50; i += 1) insert.run(0, body);
      });
      const commits = async (count: number, apartMs: number): Promise<void> => {
        for (let n = 0; n < count; n += 1) {
          commit();
          checkpointer.committed();
          await new Promise((resolve) => setTimeout(resolve, apartMs));
        }
      };
      await waitFor('the checkpointer', async () => {
        await commits(1, 50);
        return checkpointer.copies() > 0 ? true : undefined;
      });
      // 30 commits over ~1.5 s: a copy after each would be ~30, one an interval ~3.
      const before = checkpointer.copies();
      await commits(30, 50);
      const copied = checkpointer.copies() - before;
      expect(copied).toBeGreaterThan(0);
      expect(copied).toBeLessThan(10);
    } finally {
      checkpointer.stop();
      db.close();
      files.cleanup();
    }
  });
});

// A bulk step begins a few milliseconds after the last one committed: a WAL the thread copies once an
// interval is never wholly copied at that moment, so SQLite never starts it again and it grows through the
// whole stream. `caughtUp`, awaited before each bulk step, gives the thread that moment.
describe('SQLite checkpointer and bulk writes', () => {
  const bulkCommits = async (
    options: { waitFirst: boolean },
    count: number,
  ): Promise<{ walGrowth: number; rows: unknown }> => {
    const files = sqliteFiles();
    const path = files.file();
    const db = openWalWriter(path);
    // Copies once an interval, as the store's thread does; no commits count as close together.
    const checkpointer = startTestCheckpointer(path, {
      intervalMs: 200,
      restartAtFrames: 64,
      eagerGapMs: 0,
    });
    try {
      const insert = db.prepare('insert into rows (batch, body) values (?, ?)');
      const body = 'x'.repeat(4_000);
      const commit = db.transaction((batch: number) => {
        for (let i = 0; i < 250; i += 1) insert.run(batch, body);
      });
      let batch = 0;
      const commits = async (n: number): Promise<void> => {
        for (let k = 0; k < n; k += 1) {
          if (options.waitFirst) await checkpointer.caughtUp(5_000);
          commit(batch++);
          checkpointer.committed();
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      // The thread starts at its first look at the WAL (within a second) and copies it once.
      await waitFor('the checkpointer', async () => {
        await commits(1);
        return checkpointer.copies() > 0 ? true : undefined;
      });
      // ~1 MB (~256 frames) a commit: the WAL is long after any commit (the thread says so at its next copy).
      await commits(4);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const before = statSync(`${path}-wal`).size;
      await commits(count);
      return {
        walGrowth: statSync(`${path}-wal`).size - before,
        rows: db.prepare('select count(*) as n from rows').get(),
      };
    } finally {
      checkpointer.stop();
      db.close();
      files.cleanup();
    }
  };

  it('copies a long WAL back before each bulk write that waits for it, so the write starts it again', async () => {
    const waited = await bulkCommits({ waitFirst: true }, 30);
    // 30 commits wrote ~30 MB; restarted before each, the file grows by what one or two commits hold.
    expect(waited.walGrowth).toBeLessThan(4 * 1024 * 1024);
    expect((waited.rows as { n: number }).n).toBeGreaterThanOrEqual(35 * 250);
  });

  it('leaves the WAL growing when bulk writes do not wait (what the wait is for)', async () => {
    const unwaited = await bulkCommits({ waitFirst: false }, 30);
    expect(unwaited.walGrowth).toBeGreaterThan(16 * 1024 * 1024);
  });

  it('answers at once while the WAL is short, and gives up after maxMs when the WAL cannot be copied', async () => {
    const files = sqliteFiles();
    const path = files.file();
    const db = openWalWriter(path);
    const checkpointer = startTestCheckpointer(path, {
      intervalMs: 600_000,
      restartAtFrames: 256,
      eagerGapMs: 0,
    });
    const reader = openWalWriter(path);
    try {
      const insert = db.prepare('insert into rows (batch, body) values (?, ?)');
      const body = 'x'.repeat(4_000);
      const commit = db.transaction(() => {
        for (let i = 0; i < 250; i += 1) insert.run(0, body);
      });
      // Short WAL, thread not even started: nothing to wait for.
      await checkpointer.caughtUp(600_000);
      await waitFor('the checkpointer', async () => {
        commit();
        checkpointer.committed();
        await new Promise((resolve) => setTimeout(resolve, 20));
        return checkpointer.copies() > 0 ? true : undefined;
      });
      // A reader holding an old snapshot keeps the thread from copying the frames after it.
      reader.exec('begin');
      reader.prepare('select count(*) from rows').get();
      for (let k = 0; k < 3; k += 1) {
        commit();
        checkpointer.committed();
      }
      // Made long (the thread's next copy says so), the WAL cannot be wholly copied: the wait ends at maxMs.
      await checkpointer.caughtUp(200);
      await waitFor('the thread to see a long WAL', async () => {
        await checkpointer.caughtUp(50);
        return checkpointer.copies() > 1 ? true : undefined;
      });
      // Bounded, or this test would time out (the reader is still open).
      await checkpointer.caughtUp(200);
      reader.exec('commit');
    } finally {
      checkpointer.stop();
      reader.close();
      db.close();
      files.cleanup();
    }
  });
});
