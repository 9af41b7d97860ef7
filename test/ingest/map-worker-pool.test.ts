import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createMapWorkerPool,
  MapWorkerError,
  type MapWorkerPool,
  type MapWorkerPoolOptions,
} from '../../src/app/ingest/map-worker-pool.js';
import type { PrepareOptions, PreparedItem } from '../../src/app/ingest/prepare-items.js';

const faulty = new URL('./fixtures/faulty-map-worker.ts', import.meta.url);
const OPTIONS: PrepareOptions = { source: 'ids', fingerprintKeys: ['title'], now: Date.UTC(2026, 0, 1) };
const alert = (title: string): string => JSON.stringify({ title, severity: 'low' });
const batch = (title: string) => ({ lines: [{ line: 1, text: alert(title) }], format: 'json' as const });

/** What a promise came to within `ms`: its value, the error it rejected with, or 'pending'. */
async function within<T>(promise: Promise<T>, ms = 5_000): Promise<T | Error | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([promise.catch((err: unknown) => err as Error), pending]);
  } finally {
    clearTimeout(timer);
  }
}

const titleOf = (items: PreparedItem[] | Error | 'pending'): unknown =>
  Array.isArray(items) && items[0]?.ok
    ? (JSON.parse(items[0].normalizedText) as { title: string }).title
    : items;

describe('the mapping thread pool', () => {
  const pools: MapWorkerPool[] = [];
  const pool = (options: Partial<MapWorkerPoolOptions> = {}): MapWorkerPool => {
    const made = createMapWorkerPool({ size: 1, entry: faulty, ...options });
    pools.push(made);
    return made;
  };
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const p of pools.splice(0)) await p.close();
  });

  it('fails the batch of a thread that throws null, without throwing in this process, and goes on', async () => {
    // The thread's 'error' event carries null: reading its message threw out of the listener, uncaught.
    const threads = pool();
    const failed = await within(threads.prepare(batch('THROW_NULL'), OPTIONS));
    expect(failed).toBeInstanceOf(MapWorkerError);
    expect(String(failed)).toMatch(/stopped while mapping a batch \(it threw null\)/);
    expect(titleOf(await within(threads.prepare(batch('next'), OPTIONS)))).toBe('next');
  });

  it('fails the waiting batches when no thread can be started, throwing nothing out of a thread event', async () => {
    // `new Worker` throws (ERR_WORKER_INIT_FAILED when memory is short): here the entry cannot be read.
    let broken = false;
    const flaky = new Proxy(faulty, {
      get(target, key) {
        if (broken) throw new Error('ERR_WORKER_INIT_FAILED (simulated)');
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const threads = pool({ entry: flaky });
    // The thread dies holding the first batch; its replacement, started from the 'exit' event, cannot be.
    const first = threads.prepare(batch('EXIT_THREAD'), OPTIONS);
    broken = true;
    const second = threads.prepare(batch('waits for a thread'), OPTIONS);
    expect(String(await within(first))).toMatch(/stopped while mapping a batch \(exit code 3\)/);
    const waited = await within(second);
    expect(waited).toBeInstanceOf(MapWorkerError);
    expect(String(waited)).toMatch(/no ingest mapping thread could be started \(ERR_WORKER_INIT_FAILED/);
    // Asked with no thread to take it: rejected as a MapWorkerError (it threw the bare error), not kept.
    const asked = await within(threads.prepare(batch('no thread'), OPTIONS));
    expect(asked).toBeInstanceOf(MapWorkerError);
    // Once threads can start again, the next batch gets one, and only it is mapped: nothing stale was queued.
    broken = false;
    const answered = await within(threads.prepare(batch('later'), OPTIONS));
    expect(titleOf(answered)).toBe('later');
  });

  it('ends a thread that does not answer within the deadline, fails its batch, and maps the next on another', async () => {
    // The deadline counts a new thread's start (loading tsx, here): long enough for that on a busy machine.
    const threads = pool({ jobTimeoutMs: 3_000 });
    expect(titleOf(await within(threads.prepare(batch('first'), OPTIONS)))).toBe('first');
    const started = Date.now();
    const failed = await within(threads.prepare(batch('NO_ANSWER'), OPTIONS), 10_000);
    expect(failed).toBeInstanceOf(MapWorkerError);
    expect(String(failed)).toMatch(/no answer within 3000 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(titleOf(await within(threads.prepare(batch('next'), OPTIONS), 10_000))).toBe('next');
  });

  it('treats an answer this thread cannot read as a lost thread', async () => {
    const threads = pool();
    // The thread's answer failing to deserialize here: the worker emits 'messageerror' instead of 'message'.
    vi.spyOn(Worker.prototype, 'postMessage').mockImplementationOnce(function (this: Worker) {
      setImmediate(() => this.emit('messageerror', new Error('could not deserialize the answer')));
    });
    const failed = await within(threads.prepare(batch('first'), OPTIONS));
    expect(failed).toBeInstanceOf(MapWorkerError);
    expect(String(failed)).toMatch(/its answer could not be read: could not deserialize the answer/);
    expect(titleOf(await within(threads.prepare(batch('next'), OPTIONS)))).toBe('next');
  });

  it('ends a thread given a job it cannot read, which fails that job', async () => {
    const threads = pool({ entry: new URL('./fixtures/unreadable-job-map-worker.ts', import.meta.url) });
    const failed = await within(threads.prepare(batch('UNREADABLE'), OPTIONS));
    expect(failed).toBeInstanceOf(MapWorkerError);
    expect(String(failed)).toMatch(/exit code 1/);
    expect(titleOf(await within(threads.prepare(batch('next'), OPTIONS)))).toBe('next');
  });

  it("caps each thread's heap: a thread past it fails its batch, and the next gets a new thread", async () => {
    const heapLimitMb = async (threads: MapWorkerPool): Promise<number> => {
      const items = await threads.prepare(batch('HEAP_LIMIT'), OPTIONS);
      return Number(items[0]?.ok === false && items[0].reason);
    };
    // V8's limit is the old generation's cap plus the young generation's (16 MB here).
    expect(await heapLimitMb(pool({ maxOldGenerationSizeMb: 96 }))).toBeLessThanOrEqual(96 + 64);
    // The default is sized to the largest batch a stream sends: hundreds of MB, not the machine's share.
    expect(await heapLimitMb(pool())).toBeLessThan(1_024);
    const capped = pool({ maxOldGenerationSizeMb: 64 });
    const failed = await within(capped.prepare(batch('OUT_OF_MEMORY'), OPTIONS), 20_000);
    expect(failed).toBeInstanceOf(MapWorkerError);
    expect(String(failed)).toMatch(/memory limit/);
    expect(titleOf(await within(capped.prepare(batch('next'), OPTIONS)))).toBe('next');
  });
});
