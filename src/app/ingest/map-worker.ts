/**
 * The mapping worker thread's entry: takes one job at a time from the pool (see map-worker-pool.ts), maps it
 * with `prepareItems` and posts the prepared items back. It imports nothing of the store.
 */
import { parentPort } from 'node:worker_threads';
import {
  answerItems,
  inputReceived,
  prepareItems,
  type AnsweredItem,
  type PrepareOptions,
  type SentInput,
} from './prepare-items.js';

export interface MapJob {
  id: number;
  input: SentInput;
  options: PrepareOptions;
}

export interface MapAnswer {
  id: number;
  items: AnsweredItem[];
  /** The job's buffer of lines, moved back to carry the next batch (see `LinesToSend`). */
  bytes?: ArrayBuffer;
}

parentPort?.on('message', (job: MapJob) => {
  // prepareItems turns every bad item into a reason; anything thrown here is a bug, and the pool fails the
  // job when this thread dies of it.
  const input = inputReceived(job.input);
  const answer: MapAnswer = { id: job.id, items: answerItems(input, prepareItems(input, job.options)) };
  if ('bytes' in job.input) parentPort?.postMessage({ ...answer, bytes: job.input.bytes }, [job.input.bytes]);
  else parentPort?.postMessage(answer);
});
// A job that cannot be read cannot be answered: ending the thread lets the pool fail the job it holds and
// start another thread, where it would otherwise wait on an answer that never comes.
parentPort?.on('messageerror', () => process.exit(1));
