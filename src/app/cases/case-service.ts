import type { Transaction } from 'kysely';
import type { Case } from '../../domain/cases/case.js';
import { allowedTransitions } from '../../domain/cases/case-lifecycle.js';
import { emptyMilestones } from '../../domain/cases/case-milestones.js';
import { computeSlaClocks, type SlaClock } from '../../domain/cases/case-sla.js';
import type { CaseType } from '../../domain/cases/task-templates.js';
import type { Actor } from '../../domain/shared/actor.js';
import { notFound } from '../../domain/shared/errors.js';
import type { Severity } from '../../domain/shared/severity.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { createCase, findCaseById, updateCaseFields } from '../../store/cases/case.repository.js';
import { findCaseMilestones } from '../../store/cases/case-milestones.repository.js';
import { loadSlaPolicy } from '../../store/cases/sla-policy.repository.js';
import type { Database } from '../../store/schema.js';
import type { AppContext } from '../context.js';
import type { CaseCommandDeps } from './case-command-support.js';
import { applyTaskTemplate } from './case-task-commands.js';

export const commandDepsOf = (ctx: AppContext): CaseCommandDeps => ({
  newId: ctx.newId,
  dialect: ctx.store.dialect,
});

/**
 * Runs one case command in its own transaction, then wakes the case's SSE listeners. The wake-up is after
 * the commit, so a listener that reads the timeline sees the new event.
 */
export async function runCaseCommand<T>(
  ctx: AppContext,
  caseIds: readonly string[],
  body: (trx: Transaction<Database>, deps: CaseCommandDeps, now: number) => Promise<T>,
): Promise<T> {
  const deps = commandDepsOf(ctx);
  const result = await ctx.store.db.transaction().execute((trx) => body(trx, deps, ctx.clock.now()));
  for (const id of caseIds) await ctx.store.notifier.notify(`case:${id}`).catch(() => undefined);
  return result;
}

export interface OpenCaseInput {
  title: string;
  description?: string;
  severity: Severity;
  priority?: number;
  assignee?: string | null;
  tags?: string[];
  caseType?: CaseType;
  actor: Actor;
}

/** Opens a case by hand (API, CLI): the case, its audit entry and, with a type, its checklist, in one transaction. */
export async function openCaseByHand(ctx: AppContext, input: OpenCaseInput): Promise<Case> {
  return runCaseCommand(ctx, [], async (trx, deps, now) => {
    const kase = await createCase(trx, deps, { ...input, origin: { by: 'hand' } }, now);
    await appendAudit(
      trx,
      deps,
      {
        actor: input.actor,
        action: 'case.created',
        target: { type: 'case', id: kase.id },
        details: { number: kase.number },
      },
      now,
    );
    if (!input.caseType) return kase;
    await updateCaseFields(trx, kase.id, { caseType: input.caseType });
    await applyTaskTemplate(
      trx,
      deps,
      { caseId: kase.id, caseType: input.caseType, actor: input.actor },
      now,
    );
    return (await findCaseById(trx, kase.id)) as Case;
  });
}

export interface CaseDetail extends Case {
  sla: SlaClock[];
  allowedTransitions: Case['status'][];
}

/** A case with its SLA clocks (from its timeline) and the moves it may make next. */
export async function getCaseDetail(ctx: AppContext, caseId: string): Promise<CaseDetail> {
  return ctx.store.db.transaction().execute(async (trx) => {
    const kase = await findCaseById(trx, caseId);
    if (!kase) throw notFound('case', caseId);
    const milestones = (await findCaseMilestones(trx, caseId)) ?? emptyMilestones();
    return {
      ...kase,
      sla: computeSlaClocks(milestones, await loadSlaPolicy(trx, kase.severity), ctx.clock.now()),
      allowedTransitions: kase.mergedInto ? [] : [...allowedTransitions(kase.status)],
    };
  });
}
