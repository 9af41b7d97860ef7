import { Worker } from 'node:worker_threads';
import type { MapAnswer, MapJob } from './map-worker.js';
import {
  fromAnswer,
  inputToSend,
  type PrepareInput,
  type PrepareOptions,
  type PreparedItem,
} from './prepare-items.js';

/**
 * A few threads that parse and map ingest batches (prepareItems) while the main thread stores earlier ones.
 * Threads start on the first job, take one job at a time (so a thread that dies fails only the job it held),
 * and do not keep the process alive while idle.
 */
export interface MapWorkerPool {
  /**
   * Maps a batch off the main thread. Every way of not getting an answer rejects with `MapWorkerError`: the
   * thread died holding it, could not be started, did not answer within the deadline, or the pool closed.
   * A caller that would rather store the batch than fail takes that error as its cue to map it itself.
   */
  prepare(input: PrepareInput, options: PrepareOptions): Promise<PreparedItem[]>;
  /** Stops every thread; jobs not yet answered are rejected. */
  close(): Promise<void>;
  /**
   * Which batches are worth sending (see `worthSending`); absent (a wrapper), the defaults. Lines longer
   * than `maxAverageLineChars` on average cost more to hand over than to map: a caller maps them itself.
   */
  readonly maxAverageLineChars?: number;
  /** Batches of more characters than this are mapped by the caller: the threads' heaps are sized to it. */
  readonly maxBatchChars?: number;
}

export class MapWorkerError extends Error {
  override name = 'MapWorkerError';
}

export interface MapWorkerPoolOptions {
  /** Threads (at most); 1 on a 2-core machine (see the README's ingest notes). */
  size: number;
  /** The worker's entry module; tests give a faulty one. Defaults to map-worker beside this module. */
  entry?: URL;
  /**
   * How long a thread may hold one batch (a new thread's start included) before it is ended (and replaced)
   * and the batch failed: a thread stuck in a mapper loop, or that never answers, would otherwise hold its
   * stream, and its HTTP request, until shutdown.
   */
  jobTimeoutMs?: number;
  /** See `MapWorkerPool`. */
  maxAverageLineChars?: number;
  maxBatchChars?: number;
  /**
   * Each thread's heap cap (V8's old generation): past it the thread dies with ERR_WORKER_OUT_OF_MEMORY and
   * fails its batch, instead of growing until the process is killed (one reached 4.2 GB). Defaults to what
   * a batch of `maxBatchChars` needs, with room to spare.
   */
  maxOldGenerationSizeMb?: number;
}

/** Generous: a batch of 500 ordinary alerts maps in well under a second. */
export const DEFAULT_JOB_TIMEOUT_MS = 60_000;

/**
 * Streams of 500 alerts of 16 KB went faster with a thread, of 32 KB slower and 64 KB slower still (the
 * hand-over copies each byte, where mapping here mostly reads it once with JSON.parse), and with 200 MB more
 * resident at 32 KB: past this, the thread saves nothing and costs memory.
 */
export const DEFAULT_MAX_AVERAGE_LINE_CHARS = 16 * 1024;

/** A batch of 10,000 (the largest batch size) alerts of 3 KB. */
export const DEFAULT_MAX_BATCH_CHARS = 32 * 1024 * 1024;

/**
 * Measured, a thread mapping a batch peaked at about three bytes of heap per byte of its text (its text, the
 * parsed payloads, the garbage of the batch before); a character takes two bytes at worst; and a margin.
 */
const heapFor = (maxBatchChars: number): number => 64 + Math.ceil((maxBatchChars * 8) / 2 ** 20);

/** Whether a batch of `lines` lines of `chars` characters in all is worth mapping on `pool`'s threads. */
export const worthSending = (pool: MapWorkerPool, lines: number, chars: number): boolean =>
  chars <= (pool.maxBatchChars ?? DEFAULT_MAX_BATCH_CHARS) &&
  chars <= lines * (pool.maxAverageLineChars ?? DEFAULT_MAX_AVERAGE_LINE_CHARS);

interface Job {
  id: number;
  /** Kept until answered: the answer's raw texts are taken from its lines (see `fromAnswer`). */
  input: PrepareInput;
  options: PrepareOptions;
  resolve(items: PreparedItem[]): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  deadline: NodeJS.Timeout | undefined;
  /** The buffer the thread's last answer brought back, for its next batch's lines (see `LinesToSend`). */
  spare: ArrayBuffer | undefined;
}

const defaultEntry = (): URL =>
  new URL(import.meta.url.endsWith('.ts') ? './map-worker.ts' : './map-worker.js', import.meta.url);

/**
 * Compiled, the entry is plain JavaScript. Run from source (tsx, vitest), the thread first registers tsx's
 * loader, as the parent process did, then imports the TypeScript entry through it.
 */
function spawn(entry: URL, maxOldGenerationSizeMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { resourceLimits });
  // The ES module build of tsx's API (require.resolve would give its CommonJS build).
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}));`;
  return new Worker(code, { eval: true, resourceLimits });
}

/** What a thread died of, in words, whatever it threw (`throw null` included). */
function describe(err: unknown): string {
  try {
    return err instanceof Error ? err.message : `it threw ${String(err)}`;
  } catch {
    return 'a value that cannot be printed';
  }
}

export function createMapWorkerPool(options: MapWorkerPoolOptions): MapWorkerPool {
  const entry = options.entry ?? defaultEntry();
  const jobTimeoutMs = options.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
  const maxBatchChars = options.maxBatchChars ?? DEFAULT_MAX_BATCH_CHARS;
  const maxAverageLineChars = options.maxAverageLineChars ?? DEFAULT_MAX_AVERAGE_LINE_CHARS;
  const heapMb = options.maxOldGenerationSizeMb ?? heapFor(maxBatchChars);
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  // Every listener below runs from the thread's events: nothing in them may throw, or the process dies.
  const lost = (slot: Slot, why: string): void => {
    const at = slots.indexOf(slot);
    if (at < 0) return;
    slots.splice(at, 1);
    clearTimeout(slot.deadline);
    const job = slot.job;
    slot.job = undefined;
    // Already ended when it exited or failed; a thread that timed out or sent an unreadable answer is alive.
    slot.worker.terminate().catch(() => undefined);
    job?.reject(new MapWorkerError(`the ingest mapping thread stopped while mapping a batch (${why})`));
    dispatch();
  };

  const start = (): Slot => {
    const slot: Slot = {
      worker: spawn(entry, heapMb),
      job: undefined,
      deadline: undefined,
      spare: undefined,
    };
    slot.worker.on('message', (answer: MapAnswer | null) => {
      const job = slot.job;
      if (!job || answer?.id !== job.id) return;
      clearTimeout(slot.deadline);
      slot.job = undefined;
      slot.worker.unref();
      if (answer.bytes instanceof ArrayBuffer) slot.spare = answer.bytes;
      try {
        job.resolve(fromAnswer(job.input, answer.items));
      } catch (err) {
        job.reject(new MapWorkerError(`the ingest mapping thread's answer is not one (${describe(err)})`));
      }
      dispatch();
    });
    slot.worker.on('messageerror', (err) => lost(slot, `its answer could not be read: ${describe(err)}`));
    slot.worker.on('error', (err) => lost(slot, describe(err)));
    slot.worker.on('exit', (code) => lost(slot, `exit code ${code}`));
    // Held only while it holds a job (see dispatch): a thread given none, its batch not sendable, is idle.
    slot.worker.unref();
    slots.push(slot);
    return slot;
  };

  const fail = (jobs: Job[], why: string): void => {
    for (const job of jobs) job.reject(new MapWorkerError(why));
  };

  const dispatch = (): void => {
    while (!closed && queue.length > 0) {
      let slot = slots.find((s) => !s.job);
      if (!slot && slots.length < options.size) {
        try {
          slot = start();
        } catch (err) {
          // `new Worker` throws when the thread cannot be made (ERR_WORKER_INIT_FAILED with memory short).
          // With threads left, the queue waits for them; with none, nothing would ever take it.
          if (slots.length === 0)
            fail(queue.splice(0), `no ingest mapping thread could be started (${describe(err)})`);
          return;
        }
      }
      if (!slot) return;
      const job = queue.shift() as Job;
      const taken = slot;
      try {
        const input = inputToSend(job.input, taken.spare);
        taken.spare = undefined;
        const message: MapJob = { id: job.id, input, options: job.options };
        taken.worker.postMessage(message, 'bytes' in input ? [input.bytes] : []);
      } catch (err) {
        // A batch that cannot be copied to a thread (DataCloneError) fails alone; the thread is still free.
        fail([job], `the batch could not be handed to a mapping thread (${describe(err)})`);
        continue;
      }
      taken.job = job;
      // Held while a job is out, so the process waits for its answer; idle threads are unreferenced.
      taken.worker.ref();
      taken.deadline = setTimeout(
        () => lost(taken, `no answer within ${jobTimeoutMs} ms`),
        jobTimeoutMs,
      ).unref();
    }
  };

  return {
    maxBatchChars,
    maxAverageLineChars,
    prepare(input, opts) {
      if (closed) return Promise.reject(new MapWorkerError('the ingest mapping threads are stopped'));
      return new Promise((resolve, reject) => {
        queue.push({ id: nextId++, input, options: opts, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      fail(queue.splice(0), 'the ingest mapping threads are stopped');
      const all = slots.splice(0);
      for (const slot of all) {
        clearTimeout(slot.deadline);
        if (slot.job) fail([slot.job], 'the ingest mapping threads are stopped');
        slot.job = undefined;
      }
      await Promise.all(all.map((s) => s.worker.terminate()));
    },
  };
}
