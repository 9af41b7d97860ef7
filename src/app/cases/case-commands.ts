import type { Transaction } from 'kysely';
import type { Case, CaseEvent, CaseStatus } from '../../domain/cases/case.js';
import { planTransition, type CaseResolution } from '../../domain/cases/case-lifecycle.js';
import type { Actor } from '../../domain/shared/actor.js';
import { RiposteError } from '../../domain/shared/errors.js';
import type { Severity } from '../../domain/shared/severity.js';
import { normalizeObservable } from '../../domain/observables/normalize-observable.js';
import {
  ObservableType as ObservableTypes,
  type ObservableType,
} from '../../domain/observables/observable.js';
import { upsertObservables } from '../../store/alerts/observable.repository.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { addCaseObservables, findCaseById } from '../../store/cases/case.repository.js';
import { replaceCaseTags } from '../../store/cases/case-tags.repository.js';
import { scheduleSlaChecks } from '../../store/cases/sla-schedule.repository.js';
import type { Database } from '../../store/schema.js';
import {
  loadCaseForChange,
  loadLifecycleEvents,
  recordCaseChange,
  type CaseCommandDeps,
} from './case-command-support.js';

export type { CaseCommandDeps } from './case-command-support.js';
export { addCaseTask, applyTaskTemplate, updateCaseTask } from './case-task-commands.js';
export { mergeCases, moveAlert } from './case-merge-commands.js';

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
  input: { caseId: string; to: CaseStatus; resolution?: CaseResolution; reason?: string; actor: Actor },
  now: number,
): Promise<CaseCommandResult> {
  const kase = await loadCaseForChange(trx, deps, input.caseId);
  const plan = planTransition(kase.status, input.to, input.resolution ?? null);
  await trx
    .updateTable('cases')
    .set({
      status: plan.to,
      resolution: plan.resolution,
      closed_at: plan.to === 'closed' ? now : null,
    })
    .where('id', '=', kase.id)
    .execute();
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
  if (plan.reopened) {
    const events = await loadLifecycleEvents(trx, kase.id);
    await scheduleSlaChecks(trx, deps, { caseId: kase.id, severity: kase.severity, events }, now);
  }
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

const PATCH_COLUMNS = {
  title: 'title',
  description: 'description',
  severity: 'severity',
  priority: 'priority',
  assignee: 'assignee',
  caseType: 'case_type',
} as const;

/** Changes a case's fields; the timeline records each field's old and new value. Unchanged fields are skipped. */
export async function updateCase(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: { caseId: string; patch: CasePatch; actor: Actor },
  now: number,
): Promise<CaseCommandResult> {
  const kase = await loadCaseForChange(trx, deps, input.caseId);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const set: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(PATCH_COLUMNS) as [keyof typeof PATCH_COLUMNS, string][]) {
    const to = input.patch[key];
    if (to === undefined || to === kase[key]) continue;
    changes[key] = { from: kase[key], to };
    set[column] = to;
  }
  if (input.patch.tags) {
    const tags = [...new Set(input.patch.tags)];
    if (JSON.stringify(tags) !== JSON.stringify(kase.tags)) {
      changes.tags = { from: kase.tags, to: tags };
      set.tags = JSON.stringify(tags);
      await replaceCaseTags(trx, kase.id, tags);
    }
  }
  if (Object.keys(changes).length === 0) return { case: kase, event: null };
  await trx.updateTable('cases').set(set).where('id', '=', kase.id).execute();
  const event = await recordCaseChange(
    trx,
    deps,
    { caseId: kase.id, type: 'case_updated', actor: input.actor, data: { changes }, action: 'case.updated' },
    now,
  );
  if (changes.severity) {
    const events = await loadLifecycleEvents(trx, kase.id);
    await scheduleSlaChecks(
      trx,
      deps,
      { caseId: kase.id, severity: input.patch.severity as Severity, events },
      now,
    );
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

const isObservableType = (value: string): value is ObservableType =>
  (ObservableTypes as readonly string[]).includes(value);

export const Verdict = ['malicious', 'suspicious', 'benign', 'unknown'] as const;
export type Verdict = (typeof Verdict)[number];

/**
 * Gives an observable a verdict and says who gave it (a person, a TI feed, a playbook). The value is checked
 * against its type; the observable (created when new) gets the verdict, every verdict goes to the history, and
 * with a case the verdict goes on that case's timeline and the observable is attached to it.
 */
export async function setObservableVerdict(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: {
    caseId?: string;
    /** `type` is checked here too, so callers with untyped input (playbooks) get the same clear 422. */
    observable: { type: ObservableType | string; value: string };
    verdict: Verdict;
    source: string;
    actor: Actor;
  },
  now: number,
): Promise<{ observableId: string; event: CaseEvent | null }> {
  const { type } = input.observable;
  if (!isObservableType(type)) {
    throw new RiposteError('RIPOSTE_UNPROCESSABLE', `${JSON.stringify(type)} is not an observable type`, {
      details: [{ path: 'observable.type', message: `one of ${ObservableTypes.join(', ')}` }],
    });
  }
  if (!(Verdict as readonly string[]).includes(input.verdict)) {
    throw new RiposteError('RIPOSTE_UNPROCESSABLE', `${JSON.stringify(input.verdict)} is not a verdict`, {
      details: [{ path: 'verdict', message: `one of ${Verdict.join(', ')}` }],
    });
  }
  const normal = normalizeObservable(type, input.observable.value);
  if (!normal || normal.type !== type) {
    throw new RiposteError(
      'RIPOSTE_UNPROCESSABLE',
      `${JSON.stringify(input.observable.value)} is not a valid ${input.observable.type}`,
      { details: [{ path: 'observable.value', message: `not a ${input.observable.type}` }] },
    );
  }
  if (input.caseId) await loadCaseForChange(trx, deps, input.caseId);
  // Upserting gives a hand-flagged observable a row too, so it can be attached to the case and sighted later.
  const ids = await upsertObservables(trx, deps, [normal], now);
  const observableId = ids.get(`${normal.type}:${normal.value}`) as string;
  await trx
    .updateTable('observables')
    .set({ verdict: input.verdict, verdict_source: input.source })
    .where('id', '=', observableId)
    .execute();
  await trx
    .insertInto('observable_verdicts')
    .values({
      id: deps.newId(),
      observable_type: normal.type,
      observable_value: normal.value,
      verdict: input.verdict,
      source: input.source,
      case_id: input.caseId ?? null,
      actor_id: input.actor.id,
      at: now,
    })
    .execute();
  const data = { type: normal.type, value: normal.value, verdict: input.verdict, source: input.source };
  if (!input.caseId) {
    await appendAuditOnly(trx, deps, input.actor, data, now);
    return { observableId, event: null };
  }
  await addCaseObservables(trx, input.caseId, [observableId], 'manual', now);
  const event = await recordCaseChange(
    trx,
    deps,
    {
      caseId: input.caseId,
      type: 'observable_verdict_set',
      actor: input.actor,
      data,
      action: 'observable.verdict_set',
    },
    now,
  );
  return { observableId, event };
}

async function appendAuditOnly(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  actor: Actor,
  data: { type: string; value: string; verdict: string; source: string },
  now: number,
): Promise<void> {
  await appendAudit(
    trx,
    deps,
    {
      actor,
      action: 'observable.verdict_set',
      target: { type: 'observable', id: `${data.type}:${data.value}` },
      details: data,
    },
    now,
  );
}
