import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, TEST_PG_URL, type TestStoreHandle } from '../support/stores.js';

// Many stores share one PostgreSQL database (the suite's schemas; tenants of one server). Kysely's own
// introspector read every schema and failed with "schema … does not exist" when another one was dropped while
// it ran (75 of 300 calls under the churn below); its migrator introspects, so migrations failed at random.
describe('PostgreSQL introspection is scoped to the store schema', () => {
  let handle: TestStoreHandle;
  let other: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore('postgres');
    other = await openTestStore('postgres');
  });
  afterAll(async () => {
    await handle.cleanup();
    await other.cleanup();
  });

  it("lists this store's tables only, the migration tables when asked", async () => {
    const schema = handle.options.databaseSchema;
    const tables = await handle.store.db.introspection.getTables();
    expect(new Set(tables.map((t) => t.schema))).toEqual(new Set([schema]));
    const names = tables.map((t) => t.name);
    expect(names).toContain('alerts');
    expect(names).not.toContain('riposte_migrations');
    const alerts = tables.find((t) => t.name === 'alerts');
    expect(alerts?.columns.map((c) => c.name)).toEqual(expect.arrayContaining(['id', 'fingerprint', 'raw']));
    expect(alerts?.columns.find((c) => c.name === 'source_event_id')?.isNullable).toBe(true);
    const all = await handle.store.db.introspection.getTables({ withInternalKyselyTables: true });
    expect(all.map((t) => t.name)).toContain('riposte_migrations');
  });

  it('does not fail while other schemas are created and dropped', async () => {
    const churn = new pg.Client({ connectionString: TEST_PG_URL });
    await churn.connect();
    const prefix = `zz_churn_${process.pid}_`;
    let stop = false;
    const churning = (async () => {
      for (let i = 0; !stop; i += 1) {
        await churn.query(`create schema ${prefix}${i}; create table ${prefix}${i}.a (x serial, y text)`);
        await churn.query(`drop schema ${prefix}${i} cascade`);
      }
    })();
    try {
      for (let i = 0; i < 150; i += 1) await handle.store.db.introspection.getTables();
      // The migrator asks introspection whether its tables exist, on every run.
      expect((await handle.store.migrate()).applied).toEqual([]);
    } finally {
      stop = true;
      await churning;
      await churn.end();
    }
  });
});
