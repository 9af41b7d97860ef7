import type { Transaction } from 'kysely';
import { TASK_TEMPLATES, type CaseType } from '../../domain/cases/task-templates.js';
import type { Actor } from '../../domain/shared/actor.js';
import { notFound, RiposteError } from '../../domain/shared/errors.js';
import {
  findCaseTask,
  insertCaseTask,
  listCaseTasks,
  saveCaseTask,
  type CaseTask,
  type TaskState,
} from '../../store/cases/case-task.repository.js';
import type { Database } from '../../store/schema.js';
import { loadCaseForChange, recordCaseChange, type CaseCommandDeps } from './case-command-support.js';

export interface NewCaseTask {
  caseId: string;
  title: string;
  description?: string;
  assignee?: string | null;
  dueAt?: number | null;
  /** The template it came from, when a template added it. */
  template?: string | null;
  actor: Actor;
}

/** Adds a checklist task to a case (by hand, or by a playbook). */
export async function addCaseTask(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: NewCaseTask,
  now: number,
): Promise<CaseTask> {
  if (input.title.trim() === '') {
    throw new RiposteError('RIPOSTE_VALIDATION', 'a task needs a title', {
      details: [{ path: 'title', message: 'empty' }],
    });
  }
  await loadCaseForChange(trx, deps, input.caseId);
  const task: CaseTask = {
    id: deps.newId(),
    caseId: input.caseId,
    title: input.title,
    description: input.description ?? '',
    assignee: input.assignee ?? null,
    dueAt: input.dueAt ?? null,
    state: 'open',
    template: input.template ?? null,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
  };
  await insertCaseTask(trx, task);
  await recordCaseChange(
    trx,
    deps,
    {
      caseId: task.caseId,
      type: 'task_added',
      actor: input.actor,
      data: { taskId: task.id, title: task.title, ...(task.template ? { template: task.template } : {}) },
      action: 'case.task_added',
    },
    now,
  );
  return task;
}

export interface CaseTaskPatch {
  title?: string;
  description?: string;
  assignee?: string | null;
  dueAt?: number | null;
  state?: TaskState;
}

/** Changes a task (state, assignee, due time…); the timeline records what changed. */
export async function updateCaseTask(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: { caseId: string; taskId: string; patch: CaseTaskPatch; actor: Actor },
  now: number,
): Promise<CaseTask> {
  await loadCaseForChange(trx, deps, input.caseId);
  const task = await findCaseTask(trx, input.caseId, input.taskId);
  if (!task) throw notFound('task', input.taskId);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const next: CaseTask = { ...task };
  for (const key of ['title', 'description', 'assignee', 'dueAt', 'state'] as const) {
    const to = input.patch[key];
    if (to === undefined || to === task[key]) continue;
    changes[key] = { from: task[key], to };
    Object.assign(next, { [key]: to });
  }
  if (Object.keys(changes).length === 0) return task;
  next.updatedAt = now;
  if (changes.state) next.completedAt = next.state === 'done' ? now : null;
  await saveCaseTask(trx, next);
  await recordCaseChange(
    trx,
    deps,
    {
      caseId: task.caseId,
      type: 'task_updated',
      actor: input.actor,
      data: { taskId: task.id, title: next.title, changes },
      action: 'case.task_updated',
    },
    now,
  );
  return next;
}

/**
 * Adds a case type's checklist. Tasks the case already has from the same template (same title) are not added
 * twice, so a playbook that applies a template on every run stays idempotent.
 */
export async function applyTaskTemplate(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: { caseId: string; caseType: CaseType; actor: Actor },
  now: number,
): Promise<CaseTask[]> {
  const template = TASK_TEMPLATES[input.caseType];
  if (!template) {
    throw new RiposteError('RIPOSTE_VALIDATION', `no task template for case type ${input.caseType}`, {
      details: [{ path: 'caseType', message: `one of ${Object.keys(TASK_TEMPLATES).join(', ')}` }],
    });
  }
  const existing = new Set(
    (await listCaseTasks(trx, input.caseId)).filter((t) => t.template === input.caseType).map((t) => t.title),
  );
  const added: CaseTask[] = [];
  for (const item of template) {
    if (existing.has(item.title)) continue;
    added.push(
      await addCaseTask(
        trx,
        deps,
        {
          caseId: input.caseId,
          title: item.title,
          description: item.description,
          dueAt: item.dueInMs === undefined ? null : now + item.dueInMs,
          template: input.caseType,
          actor: input.actor,
        },
        now,
      ),
    );
  }
  return added;
}
