import type { Transaction } from 'kysely';
import type { Case } from '../../domain/cases/case.js';
import { planMergeClosure } from '../../domain/cases/case-lifecycle.js';
import type { Actor } from '../../domain/shared/actor.js';
import { notFound, RiposteError } from '../../domain/shared/errors.js';
import { recountCaseRuleDays } from '../../store/alerts/alert-daily-counts.repository.js';
import {
  findAlertById,
  listAlertObservableIds,
  moveCaseAlerts,
  setAlertCase,
} from '../../store/alerts/alert.repository.js';
import {
  addCaseObservables,
  findCaseById,
  listCaseObservableLinks,
  repointMergedCases,
  setCaseStatus,
  updateCaseFields,
} from '../../store/cases/case.repository.js';
import { refreshCaseObservableSeen } from '../../store/cases/case-observable-seen.repository.js';
import { moveCaseEvidence } from '../../store/cases/case-evidence.repository.js';
import { moveCaseTasks } from '../../store/cases/case-task.repository.js';
import { replaceCaseTags } from '../../store/cases/case-tags.repository.js';
import type { Database } from '../../store/schema.js';
import { loadCaseForChange, recordCaseChange, type CaseCommandDeps } from './case-command-support.js';

export interface MergeResult {
  survivor: Case;
  merged: Case;
  moved: { alerts: number; observables: number; tasks: number; evidence: number };
}

/**
 * Merges one case into another: alerts, observables, tasks, evidence and tags move to the survivor without
 * duplicates; the merged case closes as a duplicate and points to the survivor. Timeline events stay where
 * they were written (their order and ids are history); the survivor's timeline reads both.
 */
export async function mergeCases(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: { survivorId: string; mergedId: string; actor: Actor },
  now: number,
): Promise<MergeResult> {
  if (input.survivorId === input.mergedId) {
    throw new RiposteError('RIPOSTE_UNPROCESSABLE', 'a case cannot be merged into itself', {
      details: [{ path: 'mergedId', message: 'same as the survivor' }],
    });
  }
  // Lock in id order so two opposite merges cannot deadlock on PostgreSQL.
  const [firstId, secondId] = [input.survivorId, input.mergedId].sort() as [string, string];
  const first = await loadCaseForChange(trx, deps, firstId);
  const second = await loadCaseForChange(trx, deps, secondId);
  const survivor = first.id === input.survivorId ? first : second;
  const merged = first.id === input.mergedId ? first : second;
  const plan = planMergeClosure(merged.status);

  const alerts = await moveCaseAlerts(trx, merged.id, survivor.id);
  await recountCaseRuleDays(trx, [survivor.id, merged.id]);

  const links = await listCaseObservableLinks(trx, merged.id);
  const already = new Set((await listCaseObservableLinks(trx, survivor.id)).map((l) => l.observableId));
  const newLinks = links.filter((l) => !already.has(l.observableId));
  for (const origin of new Set(newLinks.map((l) => l.origin))) {
    const ids = newLinks.filter((l) => l.origin === origin).map((l) => l.observableId);
    await addCaseObservables(trx, survivor.id, ids, origin, now);
  }
  // The survivor now holds the merged case's alerts, and sees their observables as they were seen.
  await refreshCaseObservableSeen(trx, [survivor.id, merged.id]);

  const tasks = await moveCaseTasks(trx, merged.id, survivor.id);
  const evidence = await moveCaseEvidence(trx, merged.id, survivor.id);

  const tags = [...new Set([...survivor.tags, ...merged.tags])];
  if (tags.length !== survivor.tags.length) {
    await updateCaseFields(trx, survivor.id, { tags });
    await replaceCaseTags(trx, survivor.id, tags);
  }
  // Cases merged into the merged one now belong to the survivor too, so its timeline reads one level deep.
  await repointMergedCases(trx, merged.id, survivor.id);
  await setCaseStatus(trx, merged.id, {
    status: plan.to,
    resolution: plan.resolution,
    closedAt: now,
    mergedInto: survivor.id,
  });

  const moved = {
    alerts,
    observables: newLinks.length,
    tasks,
    evidence,
  };
  await recordCaseChange(
    trx,
    deps,
    {
      caseId: merged.id,
      type: 'status_changed',
      actor: input.actor,
      data: { from: plan.from, to: plan.to, resolution: plan.resolution, mergedInto: survivor.id },
      action: 'case.status_changed',
    },
    now,
  );
  await recordCaseChange(
    trx,
    deps,
    {
      caseId: survivor.id,
      type: 'case_merged',
      actor: input.actor,
      data: { mergedId: merged.id, mergedNumber: merged.number, moved },
      action: 'case.merged',
    },
    now,
  );
  return {
    survivor: (await findCaseById(trx, survivor.id)) as Case,
    merged: (await findCaseById(trx, merged.id)) as Case,
    moved,
  };
}

/** Moves an alert (and its observables) to another case; both timelines record it. */
export async function moveAlert(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: { alertId: string; toCaseId: string; actor: Actor },
  now: number,
): Promise<{ fromCaseId: string | null; toCaseId: string }> {
  const alert = await findAlertById(trx, input.alertId);
  if (!alert) throw notFound('alert', input.alertId);
  if (alert.caseId === input.toCaseId) {
    throw new RiposteError('RIPOSTE_CONFLICT', `alert ${input.alertId} is already in case ${input.toCaseId}`);
  }
  const target = await loadCaseForChange(trx, deps, input.toCaseId);
  const from = alert.caseId ? await findCaseById(trx, alert.caseId) : undefined;
  await setAlertCase(trx, alert.id, target.id);
  await recountCaseRuleDays(trx, alert.caseId ? [alert.caseId, target.id] : [target.id]);
  await addCaseObservables(trx, target.id, await listAlertObservableIds(trx, alert.id), 'alert', now);
  await refreshCaseObservableSeen(trx, alert.caseId ? [alert.caseId, target.id] : [target.id]);
  if (from) {
    await recordCaseChange(
      trx,
      deps,
      {
        caseId: from.id,
        type: 'alert_removed',
        actor: input.actor,
        data: { alertId: alert.id, title: alert.title, toCaseId: target.id },
        action: 'case.alert_moved',
      },
      now,
    );
  }
  await recordCaseChange(
    trx,
    deps,
    {
      caseId: target.id,
      type: 'alert_added',
      actor: input.actor,
      data: { alertId: alert.id, title: alert.title, reason: 'moved', fromCaseId: from?.id ?? null },
      action: 'case.alert_moved',
    },
    now,
  );
  return { fromCaseId: from?.id ?? null, toCaseId: target.id };
}
