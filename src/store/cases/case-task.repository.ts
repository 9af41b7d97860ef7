import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';
import type { CaseTaskRow } from './case-management.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export const TaskState = ['open', 'in_progress', 'done', 'cancelled'] as const;
export type TaskState = (typeof TaskState)[number];

export interface CaseTask {
  id: string;
  caseId: string;
  title: string;
  description: string;
  assignee: string | null;
  dueAt: number | null;
  state: TaskState;
  template: string | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
}

export const taskRowToTask = (row: CaseTaskRow): CaseTask => ({
  id: row.id,
  caseId: row.case_id,
  title: row.title,
  description: row.description,
  assignee: row.assignee,
  dueAt: row.due_at === null ? null : Number(row.due_at),
  state: row.state as TaskState,
  template: row.template,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
  completedAt: row.completed_at === null ? null : Number(row.completed_at),
});

export async function insertCaseTask(db: Db, task: CaseTask): Promise<void> {
  await db
    .insertInto('case_tasks')
    .values({
      id: task.id,
      case_id: task.caseId,
      title: task.title,
      description: task.description,
      assignee: task.assignee,
      due_at: task.dueAt,
      state: task.state,
      template: task.template,
      created_at: task.createdAt,
      updated_at: task.updatedAt,
      completed_at: task.completedAt,
    })
    .execute();
}

export async function saveCaseTask(db: Db, task: CaseTask): Promise<void> {
  await db
    .updateTable('case_tasks')
    .set({
      title: task.title,
      description: task.description,
      assignee: task.assignee,
      due_at: task.dueAt,
      state: task.state,
      updated_at: task.updatedAt,
      completed_at: task.completedAt,
    })
    .where('id', '=', task.id)
    .execute();
}

export async function findCaseTask(db: Db, caseId: string, taskId: string): Promise<CaseTask | undefined> {
  const row = await db
    .selectFrom('case_tasks')
    .selectAll()
    .where('case_id', '=', caseId)
    .where('id', '=', taskId)
    .executeTakeFirst();
  return row ? taskRowToTask(row) : undefined;
}

export async function listCaseTasks(db: Db, caseId: string): Promise<CaseTask[]> {
  const rows = await db
    .selectFrom('case_tasks')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('id')
    .execute();
  return rows.map(taskRowToTask);
}

/** Moves a case's tasks to another case, except those whose title the other case already has. Returns how many moved. */
export async function moveCaseTasks(db: Db, fromCaseId: string, toCaseId: string): Promise<number> {
  const taken = (
    await db.selectFrom('case_tasks').select('title').where('case_id', '=', toCaseId).execute()
  ).map((t) => t.title);
  let q = db.updateTable('case_tasks').set({ case_id: toCaseId }).where('case_id', '=', fromCaseId);
  if (taken.length) q = q.where('title', 'not in', taken);
  return Number((await q.executeTakeFirst()).numUpdatedRows);
}
