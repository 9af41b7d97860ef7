import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropPostgresSchema } from '../../src/store/dialects/postgres.js';
import { openStore, type Store, type StoreOptions } from '../../src/store/store.js';

/** Every store test runs on each of these. */
/**
 * A PostgreSQL schema of its own for one test store. The creating process and the time are in the name: the
 * sweep in global-setup drops a schema only when its process is gone and it is over an hour old, so a run on
 * this machine whose processes another run cannot see (another PID namespace) keeps its schemas.
 */
export const testSchemaName = (): string =>
  `t_${process.pid}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof DIALECTS)[number];

/** The PostgreSQL the suite uses: this machine's, database `test`, unless told otherwise. */
export const TEST_PG_URL = process.env.RIPOSTE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStoreHandle {
  store: Store;
  /** Options that open the same store again (another connection, another process). */
  options: { databaseUrl?: string; databaseSchema?: string; sqlitePath: string };
  /** Closes the store and removes its schema or file. */
  cleanup(): Promise<void>;
}

/**
 * Opens a fresh, migrated store (to the latest migration, or to `upTo`) that no other test run can see: a
 * temporary SQLite file, or a PostgreSQL schema named after this process and a random suffix, dropped on
 * cleanup.
 */
export async function openTestStore(
  dialect: TestDialect,
  opening: Pick<StoreOptions, 'statisticsFirstRefreshMs' | 'statisticsRefreshMs'> & {
    /** Migrated only up to this migration: the schema an earlier version left (`store.migrate()` goes on). */
    upTo?: string;
  } = {},
): Promise<TestStoreHandle> {
  // `statistics`: when SQLite's planner-statistics refreshes run (see openStore).
  const { upTo, ...statistics } = opening;
  const migrating = upTo === undefined ? {} : { upTo };
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-test-'));
    const options = { sqlitePath: join(dir, 'riposte.db') };
    const store = await openStore({ ...options, ...statistics });
    await store.migrate(migrating);
    return {
      store,
      options,
      async cleanup() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = testSchemaName();
  const options = { databaseUrl: TEST_PG_URL, databaseSchema: schema, sqlitePath: '' };
  const store = await openStore(options);
  await store.migrate(migrating);
  return {
    store,
    options,
    async cleanup() {
      await store.close();
      await dropPostgresSchema(TEST_PG_URL, schema);
    },
  };
}

export const newTestId = (): string => randomUUID();
