import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { openCase } from '../cases/case-fixtures.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';

// SQLite plans from guesses until ANALYZE has run, and nothing else ever runs it: the store does, on open.
describe('SQLite planner statistics', () => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore('sqlite');
  });
  afterAll(async () => handle.cleanup());

  it('are gathered for tables that hold rows when the store opens', async () => {
    for (let i = 0; i < 20; i += 1) await openCase(handle.store, { title: `case ${i}` }, 1_000 + i);
    const reopened = await openStore(handle.options);
    try {
      const { rows } = await sql<{ tbl: string }>`select tbl from sqlite_stat1`.execute(reopened.db);
      expect(rows.map((r) => r.tbl)).toContain('cases');
    } finally {
      await reopened.close();
    }
  });
});
