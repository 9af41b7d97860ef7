import { statSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
