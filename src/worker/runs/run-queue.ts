import type { AppContext } from '../../app/context.js';
import { PlaybookCache } from '../../app/playbooks/playbook-catalog.js';
import { approvalLinkKey } from '../../app/playbooks/approval-decisions.js';
import {
  APPROVAL_NOTIFY_JOB,
  sendApprovalNotice,
  type ApprovalNotifyJob,
} from '../../app/playbooks/approval-notify.js';
import { RUN_QUEUE } from '../../app/playbooks/run-start.js';
import type { ActionExecutor } from '../../connectors/action-executor.js';
import type { ClaimedJob } from '../../store/queue/queue.repository.js';
import { listPlaybookTrust } from '../../store/playbooks/playbook-trust.repository.js';
import type { JobHandler, QueueBinding } from '../../app/job-handlers.js';
import type { CaseOperations } from './case-operations.js';
import { BlobCache } from './run-blobs.js';
import { runCommitterOf } from '../../app/playbooks/run-commits.js';
import { RunConflictError } from './run-commands.js';
import { advanceRun, type RuntimeDeps } from './run-runtime.js';
import { createTriggerHandlers, TRIGGER_QUEUE } from './run-triggers.js';

export interface RunQueueOptions {
  runLeaseMs?: number;
  actionTimeoutMs?: number;
  secrets?: (name: string) => string | undefined;
}

const payloadOf = (payload: unknown): { runId: string; timerId?: string } => {
  const p = payload as { runId?: unknown; timerId?: unknown };
  if (typeof p?.runId !== 'string') throw new Error('run job without a runId');
  return { runId: p.runId, timerId: typeof p.timerId === 'string' ? p.timerId : undefined };
};

/** Builds the runtime's dependencies from the app context; exported for tests and the bench. */
export function createRuntimeDeps(
  ctx: AppContext,
  deps: { actions: ActionExecutor; cases: CaseOperations },
  options: RunQueueOptions = {},
): RuntimeDeps {
  return {
    store: ctx.store,
    dialect: ctx.store.dialect,
    newId: ctx.newId,
    now: () => ctx.clock.now(),
    playbooks: new PlaybookCache(),
    actions: deps.actions,
    cases: deps.cases,
    secrets: options.secrets ?? (() => undefined),
    runLeaseMs: options.runLeaseMs ?? 60_000,
    actionTimeoutMs: options.actionTimeoutMs ?? 30_000,
    trustedActions: async (playbookId) =>
      (await listPlaybookTrust(ctx.store.db, playbookId)).map((grant) => grant.action),
    blobs: new BlobCache(),
    commits: runCommitterOf(ctx),
  };
}

/**
 * The run queue's handlers (advance a run; fire a run's timer; announce a parked approval) and the trigger
 * queue's (alert created, case event, schedule tick, webhook), for the composition root to hand to workers.
 */
export function createRunQueueBindings(
  ctx: AppContext,
  deps: { actions: ActionExecutor; cases: CaseOperations },
  options: RunQueueOptions = {},
): QueueBinding[] {
  const runtime = createRuntimeDeps(ctx, deps, options);
  const notify = {
    actions: deps.actions,
    secrets: runtime.secrets,
    linkKey: approvalLinkKey(ctx.config.masterKey),
    actionTimeoutMs: runtime.actionTimeoutMs,
  };
  const wrap =
    (
      body: (
        runId: string,
        timerId: string | undefined,
        signal: AbortSignal,
        job: ClaimedJob,
      ) => Promise<{ busyUntil?: number; completed?: boolean; enqueued?: boolean }>,
    ): JobHandler =>
    async (job, jctx) => {
      const { runId, timerId } = payloadOf(job.payload);
      let completed = false;
      let enqueued = false;
      try {
        const r = await body(runId, timerId, jctx.signal, job);
        if (r.busyUntil !== undefined)
          return { type: 'retry', at: r.busyUntil, error: 'run held by another worker' };
        completed = r.completed === true;
        enqueued = r.enqueued === true;
      } catch (err) {
        if (err instanceof RunConflictError)
          return { type: 'retry', at: ctx.clock.now() + 50, error: err.message };
        throw err;
      }
      // Only jobs this one added need a wake-up elsewhere: this worker looks for more as it settles.
      if (enqueued) await ctx.store.notifier.notify(`queue:${RUN_QUEUE}`).catch(() => undefined);
      return { type: completed ? 'completed' : 'done' };
    };
  return [
    {
      queue: RUN_QUEUE,
      handlers: {
        'run.advance': wrap((runId, _t, signal, job) => advanceRun(runtime, runId, signal, [], job)),
        'run.timer': wrap((runId, timerId, signal, job) =>
          advanceRun(runtime, runId, signal, timerId ? [{ type: 'timer_fired', timerId }] : [], job),
        ),
        [APPROVAL_NOTIFY_JOB]: (job, jctx) =>
          sendApprovalNotice(ctx, notify, job.payload as ApprovalNotifyJob, job, jctx.signal),
      },
    },
    { queue: TRIGGER_QUEUE, handlers: createTriggerHandlers(ctx, runtime) },
  ];
}
