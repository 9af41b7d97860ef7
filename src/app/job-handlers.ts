import type { AppContext } from './context.js';
import type { ClaimedJob } from '../store/queue/queue.repository.js';

/**
 * What a handler decides about a job it ran. `completed`: the handler already deleted the job (lease token
 * checked) in the transaction that finished its work, so the worker has nothing left to settle.
 */
export type JobOutcome =
  | { type: 'done' }
  | { type: 'completed' }
  | { type: 'retry'; at: number; error: string }
  | { type: 'failed'; error: string };

export interface JobHandlerContext extends AppContext {
  /** Aborted when the worker shuts down or the lease is lost: stop and let the job be re-claimed. */
  signal: AbortSignal;
}

/** Runs one kind of job. A handler that throws gets a retry with backoff; it never crashes the worker. */
export type JobHandler = (job: ClaimedJob, ctx: JobHandlerContext) => Promise<JobOutcome>;

/** Handlers for one queue, by job kind. */
export interface QueueBinding {
  queue: string;
  handlers: Record<string, JobHandler>;
}
