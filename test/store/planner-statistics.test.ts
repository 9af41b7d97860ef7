import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../src/app/ingest/ingest-alerts.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { STATISTICS_MIN_ROWS, STATISTICS_SETTLED_ROWS } from '../../src/store/dialects/sqlite-statistics.js';
import { openStore, type Store, type StoreOptions } from '../../src/store/store.js';
import { openCase } from '../cases/case-fixtures.js';
import { createTestContext } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';
import { waitFor } from '../support/waiting.js';

const statisticsExist = async (store: Store): Promise<boolean> => {
  const { rows } = await sql`select 1 from sqlite_master where name = 'sqlite_stat1'`.execute(store.db);
  return rows.length > 0;
};
const analysedTables = async (store: Store): Promise<string[]> => {
  if (!(await statisticsExist(store))) return [];
  const { rows } = await sql<{ tbl: string }>`select distinct tbl from sqlite_stat1`.execute(store.db);
  return rows.map((r) => r.tbl);
};
const forgetStatistics = async (store: Store): Promise<void> => {
  if (await statisticsExist(store)) await sql`delete from sqlite_stat1`.execute(store.db);
};
/** A table of its own with an index and `rows` rows (statistics are kept only for tables with indexes). */
const fill = async (store: Store, table: string, rows: number): Promise<void> => {
  await sql`create table if not exists ${sql.table(table)} (k integer, v text)`.execute(store.db);
  await sql`create index if not exists ${sql.id(`${table}_k`)} on ${sql.table(table)} (k)`.execute(store.db);
  await sql`delete from ${sql.table(table)}`.execute(store.db);
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${rows})
    insert into ${sql.table(table)} select i % 5, 'v' || i from n`.execute(store.db);
};

// SQLite plans from guesses until ANALYZE has run, and nothing else ever runs it: the store does, soon after it
// opens (not while it opens: a short CLI command should not pay for it), before it migrates, and every few
// seconds for the tables whose size moved tenfold, once they hold STATISTICS_MIN_ROWS rows.
describe('SQLite planner statistics', () => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore('sqlite');
    for (let i = 0; i < 20; i += 1) await openCase(handle.store, { title: `case ${i}` }, 1_000 + i);
    await fill(handle.store, 'filler', STATISTICS_MIN_ROWS + 200);
  });
  afterAll(async () => handle.cleanup());

  it('are gathered soon after the store opens, not while it opens, and not for small tables', async () => {
    await forgetStatistics(handle.store);
    const reopened = await openStore({ ...handle.options, statisticsFirstRefreshMs: 50 });
    try {
      expect(await analysedTables(reopened)).toEqual([]);
      await waitFor('statistics for the filler table', async () =>
        (await analysedTables(reopened)).includes('filler'),
      );
      // 20 cases: no statistics, so SQLite plans as for a large table.
      expect(await analysedTables(reopened)).not.toContain('cases');
    } finally {
      await reopened.close();
    }
  });

  it('are not gathered by a migrate that finds nothing pending', async () => {
    const options = { ...handle.options, statisticsFirstRefreshMs: 3_600_000 };
    await forgetStatistics(handle.store);
    const upToDate = await openStore(options);
    try {
      await upToDate.migrate();
      expect(await analysedTables(upToDate)).toEqual([]);
    } finally {
      await upToDate.close();
    }
  });

  it('are gathered before the migrations of an upgrade run', async () => {
    // A file whose migrations are all pending but which holds rows already (a table of its own stands in for
    // the tables an older version left behind).
    const dir = mkdtempSync(join(tmpdir(), 'riposte-stat-'));
    const upgrading = await openStore({
      sqlitePath: join(dir, 'riposte.db'),
      statisticsFirstRefreshMs: 3_600_000,
    });
    try {
      await fill(upgrading, 'legacy', STATISTICS_MIN_ROWS + 50);
      expect(await analysedTables(upgrading)).toEqual([]);
      const { applied } = await upgrading.migrate();
      expect(applied.length).toBeGreaterThan(0);
      expect(await analysedTables(upgrading)).toContain('legacy');
    } finally {
      await upgrading.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite planner statistics as tables grow and shrink', () => {
  let dir: string;
  let store: Store;
  const open = async (options: Partial<StoreOptions> = {}): Promise<Store> =>
    openStore({ sqlitePath: join(dir, 'riposte.db'), statisticsFirstRefreshMs: 3_600_000, ...options });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'riposte-stat-'));
    store = await open();
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Rows of `table` when it was last analysed (0: never). */
  const analysedRows = async (table: string): Promise<number> => {
    if (!(await statisticsExist(store))) return 0;
    const { rows } = await sql<{ stat: string }>`select stat from sqlite_stat1
      where tbl = ${table} and idx is not null`.execute(store.db);
    return Number(rows[0]?.stat.split(' ')[0] ?? 0);
  };
  // An ingest step's de-duplication lookup: a list of fingerprint prefixes (16 for single POSTs sharing a
  // commit, up to 500 for a bulk step).
  const lookupPlan = async (keys = 16): Promise<string> => {
    const prefixes = sql.join(Array.from({ length: keys }, (_, i) => i.toString(16).padStart(16, '0')));
    const { rows } = await sql<{ detail: string }>`explain query plan
      select id from alerts where substr(fingerprint, 1, 16) in (${prefixes}) and last_seen >= 0`.execute(
      store.db,
    );
    return rows.map((r) => r.detail).join('; ');
  };
  const ingest = async (from: number, count: number): Promise<void> => {
    const items = Array.from({ length: count }, (_, k) => ({
      kind: 'json' as const,
      value: {
        title: `alert ${from + k}`,
        severity: 'low',
        src_ip: `45.33.${(from + k) >> 8}.${(from + k) & 255}`,
      },
    }));
    await ingestAlerts(createTestContext(store), { source: 'stats', items }, SYSTEM_ACTOR);
  };
  /** Statistics of a small alerts table, as an earlier version's first refresh took them. */
  const smallStatistics = async (): Promise<void> => {
    await ingest(0, 32);
    await sql`analyze alerts`.execute(store.db);
    expect(await analysedRows('alerts')).toBe(32);
    // With them SQLite scans the table rather than seek the prefixes, as long as they stay.
    expect(await lookupPlan()).toContain('SCAN alerts');
  };

  it('are not taken of a small table, so a short list of keys uses its index', async () => {
    await ingest(0, 32);
    await store.refreshStatistics();
    expect(await analysedRows('alerts')).toBe(0);
    expect(await lookupPlan()).toContain('USING INDEX alerts_fingerprint_prefix');
  });

  it('follow a table that outgrew them tenfold, and the lookup goes back to its index', async () => {
    await smallStatistics();
    await ingest(32, STATISTICS_MIN_ROWS);
    await store.refreshStatistics();
    expect(await analysedRows('alerts')).toBe(STATISTICS_MIN_ROWS + 32);
    expect(await lookupPlan()).toContain('USING INDEX alerts_fingerprint_prefix');
  });

  it('follow a young table each time it doubles, so a bulk lookup goes back to its index', async () => {
    await ingest(0, STATISTICS_MIN_ROWS + 32);
    await sql`analyze alerts`.execute(store.db);
    // Statistics of ~1,000 alerts: a scan rather than seek 500 prefixes.
    expect(await lookupPlan(500)).toContain('SCAN alerts');
    await ingest(STATISTICS_MIN_ROWS + 32, STATISTICS_MIN_ROWS);
    await store.refreshStatistics();
    expect(await analysedRows('alerts')).toBe(STATISTICS_MIN_ROWS + 32);
    // Not yet doubled: a table under ten times its statistics' size was left alone before this rule too.
    await ingest(2 * STATISTICS_MIN_ROWS + 32, 2 * STATISTICS_MIN_ROWS);
    await store.refreshStatistics();
    expect(await analysedRows('alerts')).toBe(4 * STATISTICS_MIN_ROWS + 32);
    expect(await lookupPlan(500)).toContain('USING INDEX alerts_fingerprint_prefix');
  });

  it('are taken again at each doubling only while young, then at tenfold swings', async () => {
    await fill(store, 'growing', STATISTICS_MIN_ROWS + 200);
    await store.refreshStatistics();
    expect(await analysedRows('growing')).toBe(STATISTICS_MIN_ROWS + 200);
    await fill(store, 'growing', 2 * STATISTICS_MIN_ROWS + 399);
    await store.refreshStatistics();
    expect(await analysedRows('growing')).toBe(STATISTICS_MIN_ROWS + 200);
    await fill(store, 'growing', 2 * STATISTICS_MIN_ROWS + 400);
    await store.refreshStatistics();
    expect(await analysedRows('growing')).toBe(2 * STATISTICS_MIN_ROWS + 400);

    // A partial index counts only its rows (600 of 3,000): the table's size is read from the table's own row
    // of statistics, so the table is not taken for doubled at every check. Marked statistics show whether
    // it was analysed again.
    await fill(store, 'partly_indexed', 3 * STATISTICS_MIN_ROWS);
    await sql`drop index partly_indexed_k`.execute(store.db);
    await sql`create index partly_indexed_small on partly_indexed (k) where k = 0`.execute(store.db);
    await sql`analyze partly_indexed`.execute(store.db);
    expect(await analysedRows('partly_indexed')).toBe((3 * STATISTICS_MIN_ROWS) / 5);
    await sql`update sqlite_stat1 set stat = stat || ' marked' where tbl = 'partly_indexed'`.execute(
      store.db,
    );
    await store.refreshStatistics();
    const { rows } = await sql<{ stat: string }>`select stat from sqlite_stat1
      where tbl = 'partly_indexed'`.execute(store.db);
    expect(rows.map((r) => r.stat).sort()).toEqual([
      expect.stringMatching(/^3000 marked$/),
      expect.stringMatching(/^600 .* marked$/),
    ]);

    await fill(store, 'settled', STATISTICS_SETTLED_ROWS);
    await store.refreshStatistics();
    expect(await analysedRows('settled')).toBe(STATISTICS_SETTLED_ROWS);
    await fill(store, 'settled', 3 * STATISTICS_SETTLED_ROWS);
    await store.refreshStatistics();
    expect(await analysedRows('settled')).toBe(STATISTICS_SETTLED_ROWS);
  });

  it('are checked every few seconds while the store is open', async () => {
    await smallStatistics();
    await store.close();
    store = await open({ statisticsFirstRefreshMs: 20, statisticsRefreshMs: 50 });
    // Past the first check (at 20 ms), which finds the statistics fitting: only a later one can see the growth.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await analysedRows('alerts')).toBe(32);
    await ingest(32, STATISTICS_MIN_ROWS);
    await waitFor(
      'statistics of the grown table',
      async () => (await analysedRows('alerts')) === STATISTICS_MIN_ROWS + 32,
      5_000,
    );
  });

  it('are not taken again for a small table whose size swings tenfold', async () => {
    await fill(store, 'queue_like', 2);
    await sql`analyze queue_like`.execute(store.db);
    const before = await analysedRows('queue_like');
    for (const rows of [25, 2, 30, 3]) {
      await fill(store, 'queue_like', rows);
      await store.refreshStatistics();
      expect(await analysedRows('queue_like')).toBe(before);
    }
  });
});
