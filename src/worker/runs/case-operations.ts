import type { Transaction } from 'kysely';
import type { Actor } from '../../domain/shared/actor.js';
import type { Database } from '../../store/schema.js';

/** A case step's operation as the run asks for it; `input` is the step's rendered input. */
export interface CaseOperationInput {
  caseId: string | undefined;
  input: Record<string, unknown>;
  actor: Actor;
}

/**
 * The port between runs and cases: each operation runs inside the transaction that records the step, so
 * the case change and the run's progress commit together (exactly once). Throwing fails the step.
 */
export interface CaseOperations {
  addTask(trx: Transaction<Database>, op: CaseOperationInput, now: number): Promise<unknown>;
  /** The checklist of a case type (phishing, malware, …), without adding a task the case already has. */
  applyTaskTemplate(trx: Transaction<Database>, op: CaseOperationInput, now: number): Promise<unknown>;
  addNote(trx: Transaction<Database>, op: CaseOperationInput, now: number): Promise<unknown>;
  setObservableVerdict(trx: Transaction<Database>, op: CaseOperationInput, now: number): Promise<unknown>;
  changeStatus(trx: Transaction<Database>, op: CaseOperationInput, now: number): Promise<unknown>;
}

export const CASE_OPERATION_BY_STEP_OP = {
  add_task: 'addTask',
  apply_template: 'applyTaskTemplate',
  add_note: 'addNote',
  set_verdict: 'setObservableVerdict',
  set_status: 'changeStatus',
} as const satisfies Record<string, keyof CaseOperations>;

export interface RecordedCaseOperation {
  op: keyof CaseOperations;
  caseId: string | undefined;
  input: Record<string, unknown>;
}

/**
 * Case operations kept in memory, for dry runs, playbook tests and engine tests: records each call and
 * tracks a case status, without touching case tables.
 */
export function createRecordingCaseOperations(initialStatus = 'new'): CaseOperations & {
  calls: RecordedCaseOperation[];
  status: string;
} {
  const calls: RecordedCaseOperation[] = [];
  const self = {
    calls,
    status: initialStatus,
    addTask: async (_trx: unknown, op: CaseOperationInput) => record('addTask', op),
    applyTaskTemplate: async (_trx: unknown, op: CaseOperationInput) => record('applyTaskTemplate', op),
    addNote: async (_trx: unknown, op: CaseOperationInput) => record('addNote', op),
    setObservableVerdict: async (_trx: unknown, op: CaseOperationInput) => record('setObservableVerdict', op),
    changeStatus: async (_trx: unknown, op: CaseOperationInput) => {
      self.status = String(op.input.status ?? self.status);
      return record('changeStatus', op);
    },
  };
  function record(op: keyof CaseOperations, c: CaseOperationInput): { ok: true } {
    calls.push({ op, caseId: c.caseId, input: c.input });
    return { ok: true };
  }
  return self;
}
