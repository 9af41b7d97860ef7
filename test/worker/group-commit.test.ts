import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../src/app/group-commit.js';

/** A flush that records each batch it is given and answers every item with itself. */
function recordingFlush(): {
  batches: number[][];
  flush: (items: number[]) => Promise<Array<{ value: number }>>;
} {
  const batches: number[][] = [];
  return {
    batches,
    flush: async (items) => {
      batches.push(items);
      return items.map((n) => ({ value: n }));
    },
  };
}

describe('createGroupCommit', () => {
  it('answers each item from its batch and never flushes an empty batch, with batches side by side', async () => {
    const batches: number[][] = [];
    const group = createGroupCommit<number, number>({
      maxWeight: 10,
      parallel: 2,
      async flush(items) {
        batches.push(items);
        return items.map((n) => (n === 3 ? { error: new Error('three') } : { value: n * 10 }));
      },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => group.submit(n)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual([
      10,
      20,
      'rejected',
      40,
    ]);
    // The second batch loop wakes after the first answered: give it its turns before looking.
    for (let t = 0; t < 5; t += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('with gatherMs, waits for as many callers as recently came back, and starts once they are in', async () => {
    const { batches, flush } = recordingFlush();
    // Far longer than the callers take: the batch must start when the fourth is in, not at this.
    const group = createGroupCommit<number, number>({ maxWeight: 100, gatherMs: 60_000, flush });
    await Promise.all([1, 2, 3, 4].map((n) => group.submit(n)));
    // The callers come back a few milliseconds apart, as over sockets.
    const later = (n: number, ms: number) =>
      new Promise<number>((resolve) => setTimeout(() => resolve(group.submit(n)), ms));
    expect(await Promise.all([later(5, 1), later(6, 3), later(7, 5), later(8, 8)])).toEqual([5, 6, 7, 8]);
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
  });

  it('with gatherMs, answers a lone caller at once, and stops waiting for callers that do not come back', async () => {
    const { batches, flush } = recordingFlush();
    let idle = 0;
    const group = createGroupCommit<number, number>({
      maxWeight: 100,
      gatherMs: 20,
      onIdle: () => {
        idle += 1;
      },
      flush,
    });
    // Alone (no batch before it to expect company from): no wait at all, or this test would time out.
    const lone = createGroupCommit<number, number>({
      maxWeight: 100,
      gatherMs: 3_600_000,
      flush: recordingFlush().flush,
    });
    expect(await lone.submit(1)).toBe(1);
    // Four, then only one of them again: it is stored once the wait is over, and the loop goes idle.
    await Promise.all([1, 2, 3, 4].map((n) => group.submit(n)));
    expect(await group.submit(5)).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(batches).toEqual([[1, 2, 3, 4], [5]]);
    expect(idle).toBe(1);
  });
});
