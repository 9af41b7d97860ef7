import type { Transaction } from 'kysely';
import { redactSecrets } from '../../domain/expressions/secrets.js';
import { SYSTEM_ACTOR } from '../../domain/shared/actor.js';
import type { RunCommand, RunState } from '../../engine/run-state.js';
import {
  APPROVAL_NOTIFY_JOB,
  approvalNotifyJobs,
  approvalNotifyKey,
} from '../../app/playbooks/approval-notify.js';
import { appendRunCaseEvent, runActor, RunCaseEventType } from '../../app/playbooks/run-timeline.js';
import {
  enqueueAdvance,
  RUN_QUEUE,
  sendRunEvent,
  startRunInTrx,
  type RunDeps,
} from '../../app/playbooks/run-start.js';
import type { AuditEntryInput } from '../../governance/audit/audit-chain.js';
import { appendAudits } from '../../store/audit/audit.repository.js';
import { enqueueJob } from '../../store/queue/queue.repository.js';
import {
  findRunByStartKey,
  insertRunEvents,
  saveRunState,
  type RunLeaseChange,
} from '../../store/runs/run.repository.js';
import { upsertApprovalRequest, closeApprovalsOfRun } from '../../store/runs/approval.repository.js';
import type { RunRow } from '../../store/runs/run.table.js';
import type { Database } from '../../store/schema.js';
import type { CommitTick } from '../../app/playbooks/run-commits.js';

/** Thrown when the run changed under us: the transaction rolls back and the job runs again. */
export class RunConflictError extends Error {
  constructor(runId: string) {
    super(`run ${runId} changed while a step was being committed`);
    this.name = 'RunConflictError';
  }
}

/**
 * Commits a decision: the run's new state (only if nobody else wrote since `row.seq`), the commands' rows
 * (timers, approvals, sub-runs, step events), audit entries, and the job that continues the run.
 */
export async function commitDecision(
  trx: Transaction<Database>,
  deps: RunDeps,
  row: RunRow,
  state: RunState,
  commands: RunCommand[],
  now: number,
  options: {
    executingInline?: boolean;
    lease?: RunLeaseChange;
    /** Entries the caller records with this commit (the action a step took), before the decision's own. */
    audit?: AuditEntryInput[];
    /** A shared transaction's pool: step events and audit entries go there, written once for all its units. */
    tick?: CommitTick;
  } = {},
): Promise<{ enqueued: boolean }> {
  // Whether this commit added jobs (timers, sub-runs, events for other runs): workers elsewhere want a wake-up.
  let enqueued = false;
  const saved = await saveRunState(
    trx,
    {
      id: row.id,
      expectedSeq: row.seq,
      seq: state.seq,
      status: state.status,
      // The row's status is the one stored at its seq (every state write stores its status with it).
      previousStatus: row.status,
      state,
      errorCode: state.error?.code ?? null,
      finishedAt: state.finishedAt ?? null,
      lease: options.lease,
    },
    now,
  );
  if (!saved) throw new RunConflictError(row.id);
  options.tick?.runs.set(row.id, state);
  const events: Parameters<typeof insertRunEvents>[1] = [];
  const audit: AuditEntryInput[] = [...(options.audit ?? [])];
  for (const c of commands) {
    switch (c.type) {
      case 'record':
        events.push({
          id: deps.newId(),
          runId: row.id,
          type: c.event.type,
          stepId: c.event.stepId,
          stepPath: c.event.stepPath,
          data: redactSecrets({ ...c.event }),
          at: now,
        });
        break;
      case 'schedule_timer':
        enqueued = true;
        await enqueueJob(
          trx,
          deps,
          {
            queue: RUN_QUEUE,
            kind: 'run.timer',
            payload: { runId: row.id, timerId: c.timerId },
            runAt: c.at,
            dedupeKey: `timer:${row.id}:${c.timerId}`,
            maxAttempts: 1_000,
          },
          now,
        );
        break;
      case 'request_approval': {
        const approvalId = await upsertApprovalRequest(
          trx,
          { id: deps.newId(), runId: row.id, requestedBy: row.requested_by, command: c },
          now,
        );
        // Announced once, when first asked: an escalation asks other roles, not the people the step named.
        if (c.notify && !c.escalation) {
          enqueued = true;
          for (const job of approvalNotifyJobs({ runId: row.id, approvalId, stepPath: c.stepPath }, c.notify))
            await enqueueJob(
              trx,
              deps,
              {
                queue: RUN_QUEUE,
                kind: APPROVAL_NOTIFY_JOB,
                payload: job,
                dedupeKey: approvalNotifyKey(job),
                maxAttempts: 5,
              },
              now,
            );
        }
        await appendRunCaseEvent(
          trx,
          deps,
          {
            caseId: row.case_id,
            type: RunCaseEventType.approvalRequested,
            actor: runActor(row.id, row.playbook_id),
            data: {
              runId: row.id,
              approvalId,
              step: c.stepPath,
              message: c.message,
              approvers: c.approvers,
              quorum: c.quorum,
              deadlineAt: c.deadlineAt ?? null,
              escalation: c.escalation,
            },
          },
          now,
        );
        audit.push({
          actor: SYSTEM_ACTOR,
          action: 'approval.requested',
          target: { type: 'run', id: row.id },
          details: {
            key: c.key,
            step: c.stepId,
            approvers: c.approvers,
            quorum: c.quorum,
            escalation: c.escalation,
          },
        });
        break;
      }
      case 'start_subrun':
        enqueued = true;
        try {
          await startRunInTrx(
            trx,
            deps,
            {
              playbookId: c.playbook,
              triggerType: 'subrun',
              trigger: { alert: state.trigger.alert, case: state.trigger.case, inputs: c.inputs },
              caseId: row.case_id,
              alertId: row.alert_id,
              parentRunId: row.id,
              startKey: c.key,
              dryRun: row.dry_run === 1,
              requestedBy: SYSTEM_ACTOR,
            },
            now,
          );
        } catch (err) {
          // A sub-run that cannot start fails its step in the parent, not the worker.
          const message = err instanceof Error ? err.message : String(err);
          await sendRunEvent(
            trx,
            deps,
            row.id,
            {
              type: 'subrun_finished',
              key: c.key,
              status: 'failed',
              error: { code: 'SUBRUN_NOT_STARTED', message },
            },
            now,
          );
        }
        break;
      case 'cancel_subrun': {
        const child = await findRunByStartKey(trx, c.key);
        if (child) {
          enqueued = true;
          await sendRunEvent(trx, deps, child.id, { type: 'cancel', reason: 'parent step ended' }, now);
        }
        break;
      }
      case 'complete_run':
        // A run that never asked for an approval has none to close (one statement less a run).
        if (state.approvals !== false) await closeApprovalsOfRun(trx, row.id, now);
        await appendRunCaseEvent(
          trx,
          deps,
          {
            caseId: row.case_id,
            type: RunCaseEventType.runFinished,
            actor: runActor(row.id, row.playbook_id),
            data: {
              runId: row.id,
              playbook: row.playbook_id,
              version: row.version,
              status: c.status,
              error: c.error ?? null,
              durationMs: now - row.started_at,
            },
          },
          now,
        );
        audit.push({
          actor: SYSTEM_ACTOR,
          action: 'run.finished',
          target: { type: 'run', id: row.id },
          outcome: c.status === 'succeeded' ? 'success' : 'failure',
          details: {
            status: c.status,
            error: c.error ?? null,
            playbook: row.playbook_id,
            version: row.version,
          },
        });
        if (row.parent_run_id && row.start_key) {
          enqueued = true;
          await sendRunEvent(
            trx,
            deps,
            row.parent_run_id,
            {
              type: 'subrun_finished',
              key: row.start_key,
              status: c.status === 'succeeded' ? 'succeeded' : 'failed',
              output: c.output,
              error: c.error,
            },
            now,
          );
        }
        break;
      default:
        break;
    }
  }
  if (options.tick) options.tick.events.push(...events);
  else await insertRunEvents(trx, events, now);
  if (options.tick) options.tick.audit.push(...audit);
  else await appendAudits(trx, { dialect: deps.dialect }, audit, now);
  // A worker about to execute the pending effect itself needs no second job for it (that job would only
  // find the run leased, or nothing left to do); its own job is settled only after it returns.
  if (state.pending.length > 0 && state.status === 'running' && !options.executingInline) {
    enqueued = true;
    await enqueueAdvance(trx, deps, row.id, `advance:${row.id}:${state.seq}`, now);
  }
  return { enqueued };
}
