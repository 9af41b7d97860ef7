import { ConnectorError, type ActionExecutor } from '../../connectors/action-executor.js';
import { redactSecrets, revealSecrets, scrubSecretValues } from '../../domain/expressions/secrets.js';
import { SYSTEM_ACTOR } from '../../domain/shared/actor.js';
import type { ApprovalNotice, EffectFailure, RunState } from '../../engine/run-state.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { ApprovalStatus, findApprovalById } from '../../store/runs/approval.repository.js';
import { findRunById, insertStepAttempt } from '../../store/runs/run.repository.js';
import type { ApprovalRow, RunRow } from '../../store/runs/run.table.js';
import type { AppContext } from '../context.js';
import type { JobOutcome } from '../job-handlers.js';
import { issueApprovalLinks } from './approval-decisions.js';
import { appendRunCaseEvent, runActor, RunCaseEventType } from './run-timeline.js';

/** The run queue's job kind that posts one approval announcement. */
export const APPROVAL_NOTIFY_JOB = 'approval.notify';

/**
 * One message announcing a parked approval: one per `notify` target, and for link buttons one per person,
 * so each is sent, retried and recorded on its own.
 */
export interface ApprovalNotifyJob {
  runId: string;
  approvalId: string;
  stepPath: string;
  /** The target's position in the step's `notify` list. */
  index: number;
  /** The Riposte user whose signed links the message carries (link buttons only). */
  to?: string;
  notice: ApprovalNotice;
}

/** The jobs announcing one approval, in the order the step lists them. */
export function approvalNotifyJobs(
  base: Pick<ApprovalNotifyJob, 'runId' | 'approvalId' | 'stepPath'>,
  notices: readonly ApprovalNotice[],
): ApprovalNotifyJob[] {
  return notices.flatMap((notice, index) =>
    notice.to ? notice.to.map((to) => ({ ...base, index, to, notice })) : [{ ...base, index, notice }],
  );
}

/** Dedupe key of a notify job: a decision re-committed after a conflict enqueues nothing twice. */
export const approvalNotifyKey = (job: ApprovalNotifyJob): string =>
  `notify:${job.approvalId}:${job.index}${job.to === undefined ? '' : `:${job.to}`}`;

export interface ApprovalNotifyDeps {
  actions: ActionExecutor;
  /** Real secret values by name, read only right before the call (as for action steps). */
  secrets: (name: string) => string | undefined;
  /** The key one-click links are signed with: the one the API verifies them with. */
  linkKey: Uint8Array;
  actionTimeoutMs: number;
}

/** How long links live when the step says nothing: until the deadline, else four hours; never past 7 days. */
const DEFAULT_LINK_TTL_MS = 4 * 3_600_000;
const MAX_LINK_TTL_MS = 7 * 86_400_000;
const MIN_LINK_TTL_MS = 60_000;
const RETRY_BACKOFF_MS = 5_000;

class NoticeRefused extends Error {
  constructor(readonly failure: EffectFailure) {
    super(failure.message);
  }
}

// The signed links are credentials: the run's records say a link was sent, never which.
const SIGNED_LINK = '[signed link]';

/**
 * Posts one approval announcement through its connector action, as a recorded action of the approval step
 * (a step attempt, the case timeline, the audit chain). For link buttons the person's approve and reject
 * links are signed now, for this approval only, expiring with the approval's deadline (or `link_ttl`); the
 * decision they lead to still goes through the approval policy (requester, author, roles, quorum, one vote
 * each) and spends the link in its transaction. A retryable failure is retried with backoff; any other is
 * recorded and the approval stays decidable in the UI, API and CLI.
 */
export async function sendApprovalNotice(
  ctx: AppContext,
  deps: ApprovalNotifyDeps,
  job: ApprovalNotifyJob,
  attempt: { attempts: number; maxAttempts: number },
  signal: AbortSignal,
): Promise<JobOutcome> {
  const approval = await findApprovalById(ctx.store.db, job.approvalId);
  // Decided (or the run ended) before the message went out: there is nothing left to ask.
  if (!approval || approval.status !== ApprovalStatus.pending) return { type: 'done' };
  const run = await findRunById(ctx.store.db, approval.run_id);
  if (!run) return { type: 'done' };
  const idempotencyKey = `${approval.key}:${approvalNotifyKey(job)}`;
  const startedAt = ctx.clock.now();
  const recorded: Record<string, unknown> = {
    ...(redactSecrets(job.notice.input) as Record<string, unknown>),
    approvalId: approval.id,
  };
  let outcome: { output: unknown } | { error: EffectFailure };
  try {
    const input = await promptInput(ctx, deps, job, approval);
    if (input.approveUrl !== undefined) {
      Object.assign(recorded, { approveUrl: SIGNED_LINK, rejectUrl: SIGNED_LINK, approver: job.to });
    }
    const result = await deps.actions.execute(
      {
        action: job.notice.action,
        instance: job.notice.instance,
        input,
        idempotencyKey,
        dryRun: run.dry_run === 1,
        context: {
          runId: run.id,
          stepId: approval.step_id,
          playbookId: run.playbook_id,
          caseId: run.case_id ?? undefined,
          alertId: run.alert_id ?? undefined,
        },
      },
      AbortSignal.any([signal, AbortSignal.timeout(deps.actionTimeoutMs)]),
    );
    outcome = { output: result.output ?? null };
  } catch (err) {
    // Shutting down or the lease is lost: the job is claimed again and sends the message then.
    if (signal.aborted) throw err;
    const { secretNames } = JSON.parse(run.state) as Pick<RunState, 'secretNames'>;
    const secretValues = secretNames.map(deps.secrets).filter((v): v is string => v !== undefined);
    outcome = { error: failureOf(err, secretValues) };
    if (outcome.error.retryable && attempt.attempts < attempt.maxAttempts) {
      const wait = outcome.error.retryAfterMs ?? RETRY_BACKOFF_MS * 2 ** (attempt.attempts - 1);
      return { type: 'retry', at: ctx.clock.now() + wait, error: outcome.error.message };
    }
  }
  await recordNotice(ctx, { job, approval, run, idempotencyKey, startedAt, input: recorded, outcome });
  return { type: 'done' };
}

/** The action's input: the playbook's, with the approval filled in as the action's prompt declares. */
async function promptInput(
  ctx: AppContext,
  deps: ApprovalNotifyDeps,
  job: ApprovalNotifyJob,
  approval: ApprovalRow,
): Promise<Record<string, unknown>> {
  const prompt = deps.actions.describe(job.notice.action)?.approvalPrompt;
  if (!prompt)
    throw new NoticeRefused({
      code: 'CONNECTOR_INVALID_INPUT',
      message: `${job.notice.action} cannot carry an approval request`,
    });
  const given = revealSecrets(job.notice.input, deps.secrets) as Record<string, unknown>;
  const input = { [prompt.message]: approval.message, ...given, approvalId: approval.id };
  if (prompt.via === 'callback') return input;
  if (!job.to)
    throw new NoticeRefused({
      code: 'CONNECTOR_INVALID_INPUT',
      message: `${job.notice.action} carries signed links: the notify target needs to`,
    });
  if (!ctx.config.publicUrl)
    throw new NoticeRefused({
      code: 'APPROVAL_LINKS_UNAVAILABLE',
      message: 'set publicUrl (RIPOSTE_PUBLIC_URL): approval links in chat must point at this Riposte',
    });
  const untilDeadline = approval.deadline_at === null ? undefined : approval.deadline_at - ctx.clock.now();
  const ttlMs = Math.min(
    Math.max(job.notice.linkTtlMs ?? untilDeadline ?? DEFAULT_LINK_TTL_MS, MIN_LINK_TTL_MS),
    MAX_LINK_TTL_MS,
  );
  const links = await issueApprovalLinks(ctx, deps.linkKey, {
    approvalId: approval.id,
    username: job.to,
    ttlMs,
  });
  return { ...input, approveUrl: links.approve, rejectUrl: links.reject, approver: job.to };
}

function failureOf(err: unknown, secretValues: string[]): EffectFailure {
  if (err instanceof NoticeRefused) return { ...err.failure, retryable: false };
  // Values of the run's secrets never reach a record.
  const message = scrubSecretValues(err instanceof Error ? err.message : String(err), secretValues);
  if (err instanceof ConnectorError)
    return { code: err.code, message, retryable: err.retryable, retryAfterMs: err.retryAfterMs };
  const code = (err as { code?: unknown }).code;
  // A refusal of the links (unknown user, the requester, a missing role) is final, like a bad input.
  return { code: typeof code === 'string' ? code : 'ACTION_ERROR', message, retryable: false };
}

async function recordNotice(
  ctx: AppContext,
  r: {
    job: ApprovalNotifyJob;
    approval: ApprovalRow;
    run: RunRow;
    idempotencyKey: string;
    startedAt: number;
    input: Record<string, unknown>;
    outcome: { output: unknown } | { error: EffectFailure };
  },
): Promise<void> {
  const deps = { dialect: ctx.store.dialect, newId: ctx.newId };
  const now = ctx.clock.now();
  const ok = 'output' in r.outcome;
  const error =
    'error' in r.outcome ? { code: r.outcome.error.code, message: r.outcome.error.message } : null;
  await ctx.store.db.transaction().execute(async (trx) => {
    await insertStepAttempt(
      trx,
      {
        id: ctx.newId(),
        runId: r.run.id,
        stepId: r.approval.step_id,
        stepPath: r.job.stepPath,
        attempt: 1,
        kind: 'action',
        name: r.job.notice.action,
        idempotencyKey: r.idempotencyKey,
        status: ok ? 'succeeded' : 'failed',
        input: r.input,
        output: 'output' in r.outcome ? r.outcome.output : undefined,
        error: error ?? undefined,
        startedAt: r.startedAt,
      },
      ctx.newId,
      now,
    );
    await appendRunCaseEvent(
      trx,
      deps,
      {
        caseId: r.run.case_id,
        type: RunCaseEventType.actionTaken,
        actor: runActor(r.run.id, r.run.playbook_id),
        data: {
          runId: r.run.id,
          action: r.job.notice.action,
          step: r.job.stepPath,
          attempt: 1,
          status: ok ? 'succeeded' : 'failed',
          input: r.input,
          error,
          dryRun: r.run.dry_run === 1,
          approvalId: r.approval.id,
        },
      },
      now,
    );
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      {
        actor: SYSTEM_ACTOR,
        action: 'run.action',
        target: { type: 'run', id: r.run.id },
        outcome: ok ? 'success' : 'failure',
        details: {
          action: r.job.notice.action,
          step: r.job.stepPath,
          attempt: 1,
          idempotencyKey: r.idempotencyKey,
          input: r.input,
          error,
        },
      },
      now,
    );
  });
  if (r.run.case_id) await ctx.store.notifier.notify(`case:${r.run.case_id}`).catch(() => undefined);
}
