import type { Generated, Selectable } from 'kysely';

/** Job states: ready to claim (when due and not leased), finished for good with an error, or done. */
export const JobStatus = { ready: 'ready', failed: 'failed' } as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/**
 * One unit of durable work: a run step to execute, a timer to fire. A job is claimable when it is ready,
 * due, and has no lease in force; finished jobs are deleted, failed ones kept for inspection.
 */
export interface QueueJobTable {
  id: string;
  queue: string;
  kind: string;
  payload: string;
  /** Enqueueing the same key twice on one queue yields one job. */
  dedupe_key: string | null;
  status: JobStatus;
  run_at: number;
  attempts: Generated<number>;
  max_attempts: number;
  lease_owner: string | null;
  lease_token: string | null;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export type QueueJobRow = Selectable<QueueJobTable>;

export interface QueueTables {
  queue_jobs: QueueJobTable;
}
