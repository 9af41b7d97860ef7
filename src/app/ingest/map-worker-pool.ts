import { Worker } from 'node:worker_threads';
import type { MapJob } from './map-worker.js';
import type { PrepareInput, PrepareOptions, PreparedItem } from './prepare-items.js';

/**
 * A few threads that parse and map ingest batches (prepareItems) while the main thread stores earlier ones.
 * Threads start on the first job, take one job at a time (so a thread that dies fails only the job it held),
 * and do not keep the process alive while idle.
 */
export interface MapWorkerPool {
  /** Maps a batch off the main thread; rejects with `MapWorkerError` if the thread dies holding it. */
  prepare(input: PrepareInput, options: PrepareOptions): Promise<PreparedItem[]>;
  /** Stops every thread; jobs not yet answered are rejected. */
  close(): Promise<void>;
}

export class MapWorkerError extends Error {
  override name = 'MapWorkerError';
}

export interface MapWorkerPoolOptions {
  /** Threads (at most); 1 on a 2-core machine (see the README's ingest notes). */
  size: number;
  /** The worker's entry module; tests give a faulty one. Defaults to map-worker beside this module. */
  entry?: URL;
}

interface Job {
  message: MapJob;
  resolve(items: PreparedItem[]): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

const defaultEntry = (): URL =>
  new URL(import.meta.url.endsWith('.ts') ? './map-worker.ts' : './map-worker.js', import.meta.url);

/**
 * Compiled, the entry is plain JavaScript. Run from source (tsx, vitest), the thread first registers tsx's
 * loader, as the parent process did, then imports the TypeScript entry through it.
 */
function spawn(entry: URL): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry);
  // The ES module build of tsx's API (require.resolve would give its CommonJS build).
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}));`;
  return new Worker(code, { eval: true });
}

export function createMapWorkerPool(options: MapWorkerPoolOptions): MapWorkerPool {
  const entry = options.entry ?? defaultEntry();
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  const lost = (slot: Slot, why: string): void => {
    const at = slots.indexOf(slot);
    if (at < 0) return;
    slots.splice(at, 1);
    const job = slot.job;
    slot.job = undefined;
    job?.reject(new MapWorkerError(`the ingest mapping thread stopped while mapping a batch (${why})`));
    dispatch();
  };

  const start = (): Slot => {
    const slot: Slot = { worker: spawn(entry), job: undefined };
    slot.worker.on('message', (answer: { id: number; items: PreparedItem[] }) => {
      const job = slot.job;
      if (!job || job.message.id !== answer.id) return;
      slot.job = undefined;
      slot.worker.unref();
      job.resolve(answer.items);
      dispatch();
    });
    slot.worker.on('error', (err) => lost(slot, err.message));
    slot.worker.on('exit', (code) => lost(slot, `exit code ${code}`));
    slots.push(slot);
    return slot;
  };

  const dispatch = (): void => {
    while (!closed && queue.length > 0) {
      const slot = slots.find((s) => !s.job) ?? (slots.length < options.size ? start() : undefined);
      if (!slot) return;
      const job = queue.shift() as Job;
      slot.job = job;
      // Held while a job is out, so the process waits for its answer; idle threads are unreferenced.
      slot.worker.ref();
      slot.worker.postMessage(job.message);
    }
  };

  return {
    prepare(input, opts) {
      if (closed) return Promise.reject(new MapWorkerError('the ingest mapping threads are stopped'));
      return new Promise((resolve, reject) => {
        queue.push({ message: { id: nextId++, input, options: opts }, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0))
        job.reject(new MapWorkerError('the ingest mapping threads are stopped'));
      const all = slots.splice(0);
      for (const slot of all) {
        slot.job?.reject(new MapWorkerError('the ingest mapping threads are stopped'));
        slot.job = undefined;
      }
      await Promise.all(all.map((s) => s.worker.terminate()));
    },
  };
}
