import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob, queueStats } from '../../src/store/queue/queue.repository.js';
import type { JobHandler } from '../../src/app/job-handlers.js';
import { createQueueWorker } from '../../src/worker/queue-worker.js';
import { createTestContext } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const until = async (check: () => Promise<boolean> | boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
};

describe.each(DIALECTS)('queue worker on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(() => handle.cleanup());

  it('runs each job once, wakes on notification, and retries a handler that throws', async () => {
    const ctx = createTestContext(handle.store);
    const seen: number[] = [];
    let failures = 0;
    const handler: JobHandler = async (job) => {
      const n = (job.payload as { n: number }).n;
      if (n === 3 && failures === 0) {
        failures += 1;
        throw new Error('transient');
      }
      seen.push(n);
      return { type: 'done' };
    };
    const worker = createQueueWorker(ctx, {
      binding: { queue: 'work', handlers: { thing: handler } },
      owner: 'test',
      concurrency: 4,
      leaseMs: 5_000,
      // A long poll: only the notification can make this test pass quickly enough for `until`.
      pollMs: 60_000,
    });
    await worker.start();
    try {
      const deps = { dialect: handle.store.dialect, newId: ctx.newId };
      for (let n = 0; n < 10; n += 1)
        await enqueueJob(handle.store.db, deps, { queue: 'work', kind: 'thing', payload: { n } }, Date.now());
      await handle.store.notifier.notify('queue:work');
      await until(() => seen.length === 9, 'nine jobs');
      expect(seen.includes(3)).toBe(false);
      // The failed job runs again after its backoff (about a second), woken by the worker's own timer.
      await until(() => seen.length === 10, 'the retried job');
      expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await until(
        async () => (await queueStats(handle.store.db, 'work', Date.now())).ready === 0,
        'an empty queue',
      );
    } finally {
      await worker.stop(1_000);
    }
  });

  it('fails a job of unknown kind for good without stopping', async () => {
    const ctx = createTestContext(handle.store);
    const worker = createQueueWorker(ctx, {
      binding: { queue: 'unknown', handlers: {} },
      owner: 't',
      concurrency: 1,
      leaseMs: 5_000,
      pollMs: 20,
    });
    await worker.start();
    try {
      await enqueueJob(
        handle.store.db,
        { dialect: handle.store.dialect, newId: ctx.newId },
        { queue: 'unknown', kind: 'mystery', payload: null },
        Date.now(),
      );
      await until(
        async () => (await queueStats(handle.store.db, 'unknown', Date.now())).failed === 1,
        'the job to fail',
      );
    } finally {
      await worker.stop(1_000);
    }
  });

  it('hands back the leases of unfinished jobs when it stops', async () => {
    const ctx = createTestContext(handle.store);
    let started = 0;
    const slow: JobHandler = (_job, { signal }) =>
      new Promise((resolve) => {
        started += 1;
        signal.addEventListener('abort', () => resolve({ type: 'done' }));
      });
    const worker = createQueueWorker(ctx, {
      binding: { queue: 'slow', handlers: { slow } },
      owner: 't',
      concurrency: 2,
      leaseMs: 60_000,
      pollMs: 20,
    });
    await worker.start();
    const deps = { dialect: handle.store.dialect, newId: ctx.newId };
    await enqueueJob(handle.store.db, deps, { queue: 'slow', kind: 'slow', payload: 1 }, Date.now());
    await enqueueJob(handle.store.db, deps, { queue: 'slow', kind: 'slow', payload: 2 }, Date.now());
    await until(() => started === 2, 'both jobs to start');
    expect((await queueStats(handle.store.db, 'slow', Date.now())).leased).toBe(2);
    await worker.stop(50);
    const after = await queueStats(handle.store.db, 'slow', Date.now());
    // Both are claimable at once by the next worker, not after a 60 s lease.
    expect(after).toMatchObject({ ready: 2, leased: 0, due: 2 });
  });
});
