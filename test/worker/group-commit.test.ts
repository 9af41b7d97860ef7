import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../src/app/group-commit.js';

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
});
