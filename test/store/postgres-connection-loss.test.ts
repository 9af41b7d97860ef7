import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';

// A pooled client whose server connection ended while a transaction held it (a failover, an admin's
// pg_terminate_backend) emitted 'error' with nothing listening between two statements: an uncaught exception
// that took the whole process down, every other request with it.
describe('PostgreSQL connection lost inside a transaction', () => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore('postgres');
  });
  afterEach(async () => {
    await handle.cleanup();
  });

  it('fails that transaction alone; the process and the store go on', async () => {
    const { db } = handle.store;
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const attempt = db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        // Ended from another connection, while this transaction runs no statement.
        await sql`select pg_terminate_backend(${rows[0]?.pid})`.execute(db);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await sql`select 1`.execute(trx);
      });
      await expect(attempt).rejects.toThrow(/terminat|Connection/i);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(uncaught).toEqual([]);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
