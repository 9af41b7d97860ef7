import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../src/app/context.js';
import { claimJobs, completeJob, failJob } from '../../src/store/queue/queue.repository.js';
import type { QueueBinding } from '../../src/app/job-handlers.js';
import type { ActionExecutor, ActionRequest } from '../../src/connectors/action-executor.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRunQueueBindings } from '../../src/worker/runs/run-queue.js';

/**
 * Runs due jobs of the given bindings in this process until none is due: the queue worker's loop without
 * timers or concurrency, so a test moves time by hand and sees each commit.
 */
export async function drainQueues(
  ctx: AppContext,
  bindings: QueueBinding[],
  maxJobs = 1_000,
): Promise<number> {
  let ran = 0;
  const signal = new AbortController().signal;
  for (;;) {
    let any = false;
    for (const binding of bindings) {
      const jobs = await claimJobs(
        ctx.store.db,
        { dialect: ctx.store.dialect, newId: randomUUID },
        {
          queue: binding.queue,
          owner: 'test',
          leaseMs: 60_000,
          limit: 1,
          now: ctx.clock.now(),
          newToken: randomUUID,
        },
      );
      for (const job of jobs) {
        any = true;
        ran += 1;
        if (ran > maxJobs) throw new Error('jobs keep coming: is a run looping?');
        const handler = binding.handlers[job.kind];
        if (!handler) throw new Error(`no handler for ${job.kind}`);
        const outcome = await handler(job, { ...ctx, signal });
        if (outcome.type === 'done') await completeJob(ctx.store.db, job);
        else if (outcome.type !== 'completed')
          await failJob(
            ctx.store.db,
            job,
            outcome.error,
            outcome.type === 'retry' ? outcome.at : null,
            ctx.clock.now(),
          );
      }
    }
    if (!any) return ran;
  }
}

/**
 * An executor that records each request and answers `output`. Actions named in `destructive` are declared
 * destructive, so the governance policy asks for an approval before they run; others are undeclared.
 */
export function recordingActions(
  output: unknown,
  destructive: readonly string[] = [],
): { actions: ActionExecutor; requests: ActionRequest[] } {
  const requests: ActionRequest[] = [];
  const actions: ActionExecutor = {
    describe: (a) =>
      destructive.includes(a)
        ? { name: a, risk: 'destructive', inputSchema: {}, outputSchema: {}, exampleOutput: {} }
        : undefined,
    async execute(r) {
      requests.push(r);
      return { output };
    },
  };
  return { actions, requests };
}

/** Drains the run and trigger queues with these actions and case operations that only record. */
export const drainRuns = (ctx: AppContext, actions: ActionExecutor): Promise<number> =>
  drainQueues(ctx, createRunQueueBindings(ctx, { actions, cases: createRecordingCaseOperations() }));
