/**
 * The mapping worker thread's entry: takes one job at a time from the pool (see map-worker-pool.ts), maps it
 * with `prepareItems` and posts the prepared items back. It imports nothing of the store.
 */
import { parentPort } from 'node:worker_threads';
import { prepareItems, type PrepareInput, type PrepareOptions } from './prepare-items.js';

export interface MapJob {
  id: number;
  input: PrepareInput;
  options: PrepareOptions;
}

parentPort?.on('message', (job: MapJob) => {
  // prepareItems turns every bad item into a reason; anything thrown here is a bug, and the pool fails the
  // job when this thread dies of it.
  parentPort?.postMessage({ id: job.id, items: prepareItems(job.input, job.options) });
});
