import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimJobs,
  completeJob,
  enqueueJob,
  extendLease,
  failJob,
  queueStats,
  releaseJob,
  type ClaimedJob,
  type QueueDeps,
} from '../../src/store/queue/queue.repository.js';
import type { Store } from '../../src/store/store.js';
import { runClaimerProcess } from '../support/processes.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

describe.each(DIALECTS)('work queue on %s', (dialect) => {
  let handle: TestStoreHandle;
  let store: Store;
  let deps: QueueDeps;
  const claim = (queue: string, owner: string, now: number, limit = 10, leaseMs = 1_000) =>
    claimJobs(store.db, deps, { queue, owner, leaseMs, limit, now, newToken: randomUUID });

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    store = handle.store;
    deps = { dialect: store.dialect, newId: randomUUID };
  });
  afterAll(() => handle.cleanup());

  it('claims only due jobs, in due order', async () => {
    await enqueueJob(store.db, deps, { queue: 'due', kind: 'k', payload: { n: 2 }, runAt: 200 }, 0);
    await enqueueJob(store.db, deps, { queue: 'due', kind: 'k', payload: { n: 1 }, runAt: 100 }, 0);
    await enqueueJob(store.db, deps, { queue: 'due', kind: 'k', payload: { n: 3 }, runAt: 900 }, 0);
    const jobs = await claim('due', 'w1', 500);
    expect(jobs.map((j) => j.payload)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(jobs.every((j) => j.attempts === 1)).toBe(true);
  });

  it('does not hand out a leased job until its lease expires, then re-claims it', async () => {
    await enqueueJob(store.db, deps, { queue: 'lease', kind: 'k', payload: null }, 0);
    const [first] = await claim('lease', 'w1', 10, 10, 1_000);
    expect(first).toBeDefined();
    expect(await claim('lease', 'w2', 500)).toEqual([]);
    const [again] = await claim('lease', 'w2', 1_010);
    expect(again?.id).toBe(first?.id);
    expect(again?.attempts).toBe(2);
    // The first worker's lease is gone: it can no longer complete the job.
    expect(await completeJob(store.db, first as ClaimedJob)).toBe(false);
    expect(await completeJob(store.db, again as ClaimedJob)).toBe(true);
    expect(await claim('lease', 'w3', 5_000)).toEqual([]);
  });

  it('deduplicates by key', async () => {
    const a = await enqueueJob(
      store.db,
      deps,
      { queue: 'dedupe', kind: 'k', payload: 1, dedupeKey: 'run-1:step-2' },
      0,
    );
    const b = await enqueueJob(
      store.db,
      deps,
      { queue: 'dedupe', kind: 'k', payload: 2, dedupeKey: 'run-1:step-2' },
      0,
    );
    expect(a.created).toBe(true);
    expect(b).toEqual({ id: a.id, created: false });
    expect(await claim('dedupe', 'w', 1)).toHaveLength(1);
  });

  it('retries a failed job at its retry time and gives up after the last attempt', async () => {
    await enqueueJob(store.db, deps, { queue: 'retry', kind: 'k', payload: null, maxAttempts: 2 }, 0);
    const [a1] = await claim('retry', 'w', 0);
    expect(await failJob(store.db, a1 as ClaimedJob, 'boom', 100, 0)).toBe(true);
    expect(await claim('retry', 'w', 50)).toEqual([]);
    const [a2] = await claim('retry', 'w', 100);
    expect(a2?.attempts).toBe(2);
    expect(await failJob(store.db, a2 as ClaimedJob, 'boom again', 200, 100)).toBe(true);
    expect(await claim('retry', 'w', 10_000)).toEqual([]);
    expect(await queueStats(store.db, 'retry', 10_000)).toMatchObject({ failed: 1 });
  });

  it('hands back a released job at once and extends a held lease', async () => {
    await enqueueJob(store.db, deps, { queue: 'release', kind: 'k', payload: null }, 0);
    const [job] = await claim('release', 'w', 0, 1, 1_000);
    expect(await extendLease(store.db, job as ClaimedJob, 5_000, 10)).toBe(true);
    expect(await claim('release', 'w2', 2_000)).toEqual([]);
    expect(await releaseJob(store.db, job as ClaimedJob, 2_000)).toBe(true);
    const [back] = await claim('release', 'w2', 2_000);
    expect(back?.id).toBe(job?.id);
    expect(back?.attempts).toBe(1);
  });

  it('never hands one job to two concurrent worker processes, and loses none', async () => {
    const total = 300;
    await store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < total; i += 1)
        await enqueueJob(trx, deps, { queue: 'race', kind: 'k', payload: i }, 0);
    });
    const claimers = await Promise.all([0, 1, 2, 3].map(() => runClaimerProcess('race', handle.options, 4)));
    const all = claimers.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(total);
    // Work really was shared: more than one process got jobs.
    expect(claimers.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
    expect(await queueStats(store.db, 'race', Date.now())).toMatchObject({ ready: 0, failed: 0 });
  });
});
