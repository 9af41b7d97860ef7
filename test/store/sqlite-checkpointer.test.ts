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
