import type { Transaction } from 'kysely';
import type { Case, CaseEvent, CaseStatus } from '../../domain/cases/case.js';
import { planTransition, type CaseResolution } from '../../domain/cases/case-lifecycle.js';
import type { Actor } from '../../domain/shared/actor.js';
import { RiposteError } from '../../domain/shared/errors.js';
import type { Severity } from '../../domain/shared/severity.js';
import {
  findCaseById,
  setCaseStatus,
  updateCaseFields,
  type CaseFieldsPatch,
} from '../../store/cases/case.repository.js';
import { replaceCaseTags } from '../../store/cases/case-tags.repository.js';
import { scheduleSlaChecks } from '../../store/cases/sla-schedule.repository.js';
import type { Database } from '../../store/schema.js';
import { loadCaseForChange, recordCaseChange, type CaseCommandDeps } from './case-command-support.js';

export type { CaseCommandDeps } from './case-command-support.js';
export { addCaseTask, applyTaskTemplate, updateCaseTask } from './case-task-commands.js';
export { mergeCases, moveAlert } from './case-merge-commands.js';
export { setObservableTags, setObservableVerdict, Verdict } from './case-observable-commands.js';

/** What a command changed: the case as it is now and the timeline event it wrote (none for a no-op). */
export interface CaseCommandResult {
  case: Case;
  event: CaseEvent | null;
}

const reload = async (trx: Transaction<Database>, id: string): Promise<Case> =>
  (await findCaseById(trx, id)) as Case;

/**
 * Moves a case along its lifecycle (NIST SP 800-61). Illegal moves are a 409 naming from and to; closing
 * needs a resolution. A reopen is recorded as such and restarts the resolve clock's timer.
 */
export async function changeCaseStatus(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: {
    caseId: string;
    to: CaseStatus;
    resolution?: CaseResolution;
    reason?: string;
    actor: Actor;
    /**
     * Automation sets this: several runs work one case (one per alert that joined it), so asking for the
     * status the case already has is done, not a 409. People still get the 409.
     */
    sameStatusIsDone?: boolean;
  },
  now: number,
): Promise<CaseCommandResult> {
  const kase = await loadCaseForChange(trx, deps, input.caseId);
  if (input.sameStatusIsDone && kase.status === input.to) return { case: kase, event: null };
  const plan = planTransition(kase.status, input.to, input.resolution ?? null);
  await setCaseStatus(trx, kase.id, {
    status: plan.to,
    resolution: plan.resolution,
    closedAt: plan.to === 'closed' ? now : null,
  });
  const event = await recordCaseChange(
    trx,
    deps,
    {
      caseId: kase.id,
      type: 'status_changed',
      actor: input.actor,
      data: {
        from: plan.from,
        to: plan.to,
        ...(plan.resolution ? { resolution: plan.resolution } : {}),
        ...(input.reason ? { reason: input.reason } : {}),
        ...(plan.reopened ? { reopened: true } : {}),
      },
      action: plan.reopened ? 'case.reopened' : 'case.status_changed',
    },
    now,
  );
  if (plan.reopened) await scheduleSlaChecks(trx, deps, { caseId: kase.id, severity: kase.severity }, now);
  return { case: await reload(trx, kase.id), event };
}

export interface CasePatch {
  title?: string;
  description?: string;
  severity?: Severity;
  priority?: number;
  assignee?: string | null;
  tags?: string[];
  caseType?: string | null;
}

const PATCH_FIELDS = ['title', 'description', 'severity', 'priority', 'assignee', 'caseType'] as const;

/** Changes a case's fields; the timeline records each field's old and new value. Unchanged fields are skipped. */
export async function updateCase(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: { caseId: string; patch: CasePatch; actor: Actor },
  now: number,
): Promise<CaseCommandResult> {
  const kase = await loadCaseForChange(trx, deps, input.caseId);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const set: CaseFieldsPatch = {};
  for (const key of PATCH_FIELDS) {
    const to = input.patch[key];
    if (to === undefined || to === kase[key]) continue;
    changes[key] = { from: kase[key], to };
    Object.assign(set, { [key]: to });
  }
  if (input.patch.tags) {
    const tags = [...new Set(input.patch.tags)];
    if (JSON.stringify(tags) !== JSON.stringify(kase.tags)) {
      changes.tags = { from: kase.tags, to: tags };
      set.tags = tags;
      await replaceCaseTags(trx, kase.id, tags);
    }
  }
  if (Object.keys(changes).length === 0) return { case: kase, event: null };
  await updateCaseFields(trx, kase.id, set);
  const event = await recordCaseChange(
    trx,
    deps,
    { caseId: kase.id, type: 'case_updated', actor: input.actor, data: { changes }, action: 'case.updated' },
    now,
  );
  if (changes.severity) {
    await scheduleSlaChecks(trx, deps, { caseId: kase.id, severity: input.patch.severity as Severity }, now);
  }
  return { case: await reload(trx, kase.id), event };
}

/** A Markdown comment on the timeline. The body is stored as written; the UI renders it safely. */
export async function addCaseComment(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: { caseId: string; body: string; actor: Actor },
  now: number,
): Promise<{ case: Case; event: CaseEvent }> {
  if (input.body.trim() === '') {
    throw new RiposteError('RIPOSTE_VALIDATION', 'a comment needs a body', {
      details: [{ path: 'body', message: 'empty' }],
    });
  }
  const kase = await loadCaseForChange(trx, deps, input.caseId);
  const event = await recordCaseChange(
    trx,
    deps,
    {
      caseId: kase.id,
      type: 'comment_added',
      actor: input.actor,
      data: { body: input.body },
      action: 'case.commented',
    },
    now,
  );
  return { case: kase, event };
}
