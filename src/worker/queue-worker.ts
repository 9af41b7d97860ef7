import type { AppContext } from '../app/context.js';
import {
  claimJobs,
  completeJob,
  extendLease,
  failJob,
  releaseJob,
  type ClaimedJob,
} from '../store/queue/queue.repository.js';
import type { JobOutcome, QueueBinding } from '../app/job-handlers.js';

export interface QueueWorkerOptions {
  binding: QueueBinding;
  /** Identifies this worker in lease rows (host:pid:n). */
  owner: string;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
}

export interface QueueWorker {
  start(): Promise<void>;
  /** Stops claiming, waits up to `graceMs` for jobs in flight, then hands back the leases of the rest. */
  stop(graceMs: number): Promise<void>;
  /** Jobs finished by this worker (any outcome), for tests and metrics. */
  readonly processed: number;
}

/** Retry delay for a handler that threw: exponential from one second, capped at five minutes, with jitter. */
export const backoffMs = (attempt: number, jitter: number): number =>
  Math.round(Math.min(300_000, 1_000 * 2 ** Math.max(0, attempt - 1)) * (0.8 + 0.4 * jitter));

/**
 * Claims jobs of one queue with a lease and runs their handlers. Wakes on the store's notifier and polls as a
 * fallback, so a missed notification only costs `pollMs`. A lease is extended while its handler runs, so
 * only a dead worker's jobs are re-claimed.
 */
export function createQueueWorker(ctx: AppContext, options: QueueWorkerOptions): QueueWorker {
  const { store, clock, log } = ctx;
  const deps = { dialect: store.dialect, newId: ctx.newId };
  const inFlight = new Map<string, { job: ClaimedJob; abort: AbortController; done: Promise<void> }>();
  let running = false;
  let processed = 0;
  let wake: (() => void) | undefined;
  // A wake-up that arrives while the loop is busy claiming must not be lost, or the loop sleeps a whole poll.
  let wakePending = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let loop: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;

  const signalWake = () => {
    const w = wake;
    wake = undefined;
    if (w) w();
    else wakePending = true;
  };

  /** Wakes the loop when a retry this worker scheduled falls due, rather than a poll later. */
  const wakeAt = (at: number) => {
    const delay = Math.max(0, at - clock.now());
    if (delay >= options.pollMs) return;
    clearTimeout(retryTimer);
    // Timers may fire a little early by the wall clock; a few ms late finds the job due.
    retryTimer = setTimeout(signalWake, delay + 5);
  };

  const settle = async (job: ClaimedJob, outcome: JobOutcome): Promise<void> => {
    if (outcome.type === 'completed') return;
    const now = clock.now();
    const kept =
      outcome.type === 'done'
        ? await completeJob(store.db, job)
        : await failJob(store.db, job, outcome.error, outcome.type === 'retry' ? outcome.at : null, now);
    if (!kept)
      log.warn(
        { jobId: job.id, kind: job.kind },
        'lease was lost before the job was settled; another worker has it',
      );
    if (outcome.type === 'retry' && kept) wakeAt(outcome.at);
    if (outcome.type === 'failed')
      log.error({ jobId: job.id, kind: job.kind, error: outcome.error }, 'job failed for good');
  };

  const run = async (job: ClaimedJob, abort: AbortController): Promise<void> => {
    const handler = options.binding.handlers[job.kind];
    // Made when first used: most jobs never log, and a child logger per job cost ~1% of a run's CPU.
    let childLog: typeof log | undefined;
    const jobLog = (): typeof log =>
      (childLog ??= log.child({ jobId: job.id, kind: job.kind, attempt: job.attempts }));
    // Heartbeat: keep the lease while the handler works.
    const heartbeat = setInterval(
      () => {
        void extendLease(store.db, job, clock.now() + options.leaseMs, clock.now()).then(
          (held) => {
            if (!held) abort.abort(new Error('lease lost'));
          },
          (err: unknown) => jobLog().warn({ err }, 'lease heartbeat failed'),
        );
      },
      Math.max(100, Math.floor(options.leaseMs / 3)),
    );
    try {
      let outcome: JobOutcome;
      if (!handler) {
        outcome = { type: 'failed', error: `no handler for job kind ${job.kind} on queue ${job.queue}` };
      } else {
        try {
          outcome = await handler(job, {
            ...ctx,
            signal: abort.signal,
            get log() {
              return jobLog();
            },
          });
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          jobLog().warn({ err }, 'job handler threw; retrying with backoff');
          outcome = {
            type: 'retry',
            at: clock.now() + backoffMs(job.attempts, Math.random()),
            error: message,
          };
        }
      }
      // A job handed back at shutdown stays handed back.
      if (!abort.signal.aborted) await settle(job, outcome);
    } catch (err) {
      jobLog().error(
        { err },
        'could not record the outcome of a job; its lease will expire and it will run again',
      );
    } finally {
      clearInterval(heartbeat);
      processed += 1;
      inFlight.delete(job.id);
      signalWake();
    }
  };

  const claimLoop = async (): Promise<void> => {
    while (running) {
      const free = options.concurrency - inFlight.size;
      let claimed: ClaimedJob[] = [];
      if (free > 0) {
        try {
          claimed = await claimJobs(store.db, deps, {
            queue: options.binding.queue,
            owner: options.owner,
            leaseMs: options.leaseMs,
            limit: free,
            now: clock.now(),
            newToken: ctx.newId,
          });
        } catch (err) {
          log.error({ err, queue: options.binding.queue }, 'claiming jobs failed; will try again');
        }
      }
      for (const job of claimed) {
        const abort = new AbortController();
        const entry = { job, abort, done: Promise.resolve() };
        inFlight.set(job.id, entry);
        entry.done = run(job, abort);
      }
      if (claimed.length > 0 && claimed.length === free) continue;
      if (wakePending) {
        wakePending = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };

  return {
    get processed() {
      return processed;
    },
    async start() {
      if (running) return;
      running = true;
      unlisten = await store.notifier.listen(`queue:${options.binding.queue}`, signalWake);
      loop = claimLoop();
    },
    async stop(graceMs) {
      if (!running) return;
      running = false;
      clearTimeout(retryTimer);
      signalWake();
      await unlisten?.();
      await loop;
      const pending = [...inFlight.values()];
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(pending.map((p) => p.done)),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      for (const { job, abort } of inFlight.values()) {
        abort.abort(new Error('worker shutting down'));
        await releaseJob(store.db, job, clock.now()).catch((err: unknown) =>
          log.warn({ err, jobId: job.id }, 'could not hand back a lease'),
        );
      }
    },
  };
}
