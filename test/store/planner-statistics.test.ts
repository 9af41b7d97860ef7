import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { openCase } from '../cases/case-fixtures.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';
import { waitFor } from '../support/waiting.js';

const statisticsExist = async (store: Store): Promise<boolean> => {
  const { rows } = await sql`select 1 from sqlite_master where name = 'sqlite_stat1'`.execute(store.db);
  return rows.length > 0;
};
const analysedTables = async (store: Store): Promise<string[]> => {
  if (!(await statisticsExist(store))) return [];
  const { rows } = await sql<{ tbl: string }>`select tbl from sqlite_stat1`.execute(store.db);
  return rows.map((r) => r.tbl);
};
const forgetStatistics = async (store: Store): Promise<void> => {
  if (await statisticsExist(store)) await sql`delete from sqlite_stat1`.execute(store.db);
};

// SQLite plans from guesses until ANALYZE has run, and nothing else ever runs it: the store does, soon after it
// opens (not while it opens: a short CLI command should not pay for it) and before it migrates.
describe('SQLite planner statistics', () => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore('sqlite');
    for (let i = 0; i < 20; i += 1) await openCase(handle.store, { title: `case ${i}` }, 1_000 + i);
  });
  afterAll(async () => handle.cleanup());

  it('are gathered soon after the store opens, not while it opens', async () => {
    await forgetStatistics(handle.store);
    const reopened = await openStore({ ...handle.options, statisticsFirstRefreshMs: 50 });
    try {
      expect(await analysedTables(reopened)).toEqual([]);
      await waitFor('statistics for the cases table', async () =>
        (await analysedTables(reopened)).includes('cases'),
      );
    } finally {
      await reopened.close();
    }
  });

  it('are gathered before pending migrations run, and not when none is pending', async () => {
    const options = { ...handle.options, statisticsFirstRefreshMs: 3_600_000 };
    await forgetStatistics(handle.store);
    const upToDate = await openStore(options);
    try {
      await upToDate.migrate();
      expect(await analysedTables(upToDate)).toEqual([]);
    } finally {
      await upToDate.close();
    }
    // The last migration drops an index: put the index back and mark the migration pending, as before an upgrade.
    await sql`create index alerts_time on alerts (time, id)`.execute(handle.store.db);
    await sql`delete from riposte_migrations where name = '0015_e_drop_alerts_time'`.execute(handle.store.db);
    const upgrading = await openStore(options);
    try {
      const { applied } = await upgrading.migrate();
      expect(applied).toEqual(['0015_e_drop_alerts_time']);
      expect(await analysedTables(upgrading)).toContain('cases');
    } finally {
      await upgrading.close();
    }
  });
});
