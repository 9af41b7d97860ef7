import { z } from 'zod';
import {
  addCaseComment,
  addCaseTask,
  applyTaskTemplate,
  changeCaseStatus,
  setObservableVerdict,
  Verdict,
} from '../../app/cases/case-commands.js';
import { CaseResolution } from '../../domain/cases/case-lifecycle.js';
import { CaseType } from '../../domain/cases/task-templates.js';
import { CaseStatus } from '../../domain/cases/case.js';
import { ObservableType } from '../../domain/observables/observable.js';
import { invalid, RiposteError } from '../../domain/shared/errors.js';
import type { StoreDialect } from '../../store/dialects/store-dialect.js';
import type { CaseOperationInput, CaseOperations } from './case-operations.js';

const TemplateInput = z.object({ case_type: z.enum(CaseType) });
const TaskInput = z.object({
  title: z.string().min(1),
  description: z.string().optional(),
  assignee: z.string().optional(),
  due_at: z.number().optional(),
});
const NoteInput = z.object({ body: z.string().min(1) });
const VerdictInput = z.object({
  type: z.enum(ObservableType),
  value: z.string().min(1),
  verdict: z.enum(Verdict),
  source: z.string().optional(),
});
const StatusInput = z.object({
  status: z.enum(Object.values(CaseStatus) as [string, ...string[]]),
  resolution: z.enum(CaseResolution).optional(),
  reason: z.string().optional(),
});

function parse<T>(schema: z.ZodType<T>, op: CaseOperationInput, what: string): T {
  const r = schema.safeParse(op.input);
  if (!r.success)
    throw invalid(
      `case step ${what} has bad input`,
      r.error.issues.map((i) => ({ path: `input.${i.path.join('.')}`, message: i.message })),
    );
  return r.data;
}

function caseIdOf(op: CaseOperationInput, what: string): string {
  if (!op.caseId)
    throw new RiposteError('RIPOSTE_UNPROCESSABLE', `case step ${what} needs a run with a case`);
  return op.caseId;
}

/** The real case operations: the cases capability's commands, inside the run's step transaction. */
export function createCaseOperations(deps: { newId: () => string; dialect: StoreDialect }): CaseOperations {
  return {
    async addTask(trx, op, now) {
      const i = parse(TaskInput, op, 'add_task');
      const r = await addCaseTask(
        trx,
        deps,
        {
          caseId: caseIdOf(op, 'add_task'),
          title: i.title,
          description: i.description,
          assignee: i.assignee,
          dueAt: i.due_at,
          actor: op.actor,
        },
        now,
      );
      return { taskId: r.id };
    },
    async applyTaskTemplate(trx, op, now) {
      const i = parse(TemplateInput, op, 'apply_template');
      const tasks = await applyTaskTemplate(
        trx,
        deps,
        { caseId: caseIdOf(op, 'apply_template'), caseType: i.case_type, actor: op.actor },
        now,
      );
      return { taskIds: tasks.map((t) => t.id) };
    },
    async addNote(trx, op, now) {
      const i = parse(NoteInput, op, 'add_note');
      const r = await addCaseComment(
        trx,
        deps,
        { caseId: caseIdOf(op, 'add_note'), body: i.body, actor: op.actor },
        now,
      );
      return { eventId: r.event.id };
    },
    async setObservableVerdict(trx, op, now) {
      const i = parse(VerdictInput, op, 'set_verdict');
      const r = await setObservableVerdict(
        trx,
        deps,
        {
          caseId: op.caseId,
          observable: { type: i.type, value: i.value },
          verdict: i.verdict,
          source: i.source ?? op.actor.name,
          actor: op.actor,
        },
        now,
      );
      return { observableId: r.observableId };
    },
    async changeStatus(trx, op, now) {
      const i = parse(StatusInput, op, 'set_status');
      const r = await changeCaseStatus(
        trx,
        deps,
        {
          caseId: caseIdOf(op, 'set_status'),
          to: i.status as CaseStatus,
          resolution: i.resolution,
          reason: i.reason,
          actor: op.actor,
          sameStatusIsDone: true,
        },
        now,
      );
      return { status: r.case.status, changed: r.event !== null };
    },
  };
}
