import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../src/app/ingest/ingest-alerts.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { openStore, type Store } from '../../src/store/store.js';
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
      await sql`create table legacy (k integer, v text)`.execute(upgrading.db);
      await sql`create index legacy_k on legacy (k)`.execute(upgrading.db);
      for (let i = 0; i < 50; i += 1)
        await sql`insert into legacy values (${i % 5}, ${`v${i}`})`.execute(upgrading.db);
      expect(await analysedTables(upgrading)).toEqual([]);
      const { applied } = await upgrading.migrate();
      expect(applied.length).toBeGreaterThan(0);
      expect(await analysedTables(upgrading)).toContain('legacy');
    } finally {
      await upgrading.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follow a table as it grows, so a short list of keys goes on using its index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-stat-'));
    const store = await openStore({
      sqlitePath: join(dir, 'riposte.db'),
      statisticsFirstRefreshMs: 20,
      statisticsRefreshMs: 50,
    });
    /** Rows of `alerts` when its fingerprint index was last analysed (0: never). */
    const analysedRows = async (): Promise<number> => {
      if (!(await statisticsExist(store))) return 0;
      const { rows } = await sql<{ stat: string }>`select stat from sqlite_stat1
        where idx = 'alerts_fingerprint_prefix'`.execute(store.db);
      return Number(rows[0]?.stat.split(' ')[0] ?? 0);
    };
    // An ingest step's de-duplication lookup: a short list of fingerprint prefixes.
    const lookupPlan = async (): Promise<string> => {
      const prefixes = sql.join(Array.from({ length: 16 }, (_, i) => i.toString(16).padStart(16, '0')));
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
    try {
      await store.migrate();
      await ingest(0, 30);
      await waitFor('statistics of 30 alerts', async () => (await analysedRows()) === 30);
      // Taken this small, they would have SQLite scan every alert for the lookup until the next refresh.
      await ingest(30, 570);
      await waitFor('statistics of 600 alerts', async () => (await analysedRows()) === 600, 5_000);
      expect(await lookupPlan()).toContain('USING INDEX alerts_fingerprint_prefix');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
