import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimJobs, completeJob, enqueueJobs } from '../../src/store/queue/queue.repository.js';
import { openStore, type Store } from '../../src/store/store.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';

// SQLite's lock is per database file: several connections in ONE process (tests, a CLI next to a server in a
// test, several stores) must wait for each other without blocking the event loop that would release the lock.
describe('several SQLite connections in one process', () => {
  let handle: TestStoreHandle;
  let others: Store[];
  beforeAll(async () => {
    handle = await openTestStore('sqlite');
    others = await Promise.all([0, 1, 2].map(() => openStore(handle.options)));
  });
  afterAll(async () => {
    await Promise.all(others.map((s) => s.close()));
    await handle.cleanup();
  });

  it('share the work queue with transactions held open across awaits, losing and doubling nothing', async () => {
    const deps = { dialect: handle.store.dialect, newId: randomUUID };
    await enqueueJobs(
      handle.store.db,
      deps,
      Array.from({ length: 150 }, (_, n) => ({ queue: 'c', kind: 'k', payload: n })),
      0,
    );
    const seen: string[] = [];
    const worker = async (store: Store) => {
      for (;;) {
        // A transaction that yields to the event loop while it holds the write lock.
        const jobs = await store.db.transaction().execute(async (trx) => {
          await new Promise((r) => setTimeout(r, 1));
          return claimJobs(trx, deps, {
            queue: 'c',
            owner: 'w',
            leaseMs: 60_000,
            limit: 3,
            now: 1,
            newToken: randomUUID,
          });
        });
        if (jobs.length === 0) return;
        for (const job of jobs) {
          seen.push(job.id);
          expect(await completeJob(store.db, job)).toBe(true);
        }
      }
    };
    await Promise.all([handle.store, ...others].map(worker));
    expect(seen).toHaveLength(150);
    expect(new Set(seen).size).toBe(150);
  });
});
