import type { Kysely, Transaction } from 'kysely';
import { redactSecrets } from '../../domain/expressions/secrets.js';
import type { Database } from '../schema.js';
import type { ApprovalRow } from './run.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export const ApprovalStatus = {
  pending: 'pending',
  approved: 'approved',
  rejected: 'rejected',
  closed: 'closed',
} as const;
export type ApprovalStatus = (typeof ApprovalStatus)[keyof typeof ApprovalStatus];

export interface ApprovalRequestInput {
  id: string;
  runId: string;
  requestedBy: string;
  command: {
    key: string;
    stepId: string;
    message: string;
    approvers: string[];
    quorum: number;
    deadlineAt?: number;
    escalation: boolean;
    action?: { name: string; input?: Record<string, unknown> };
  };
}

/**
 * Records an approval request; an escalation updates the same request (same key) with its new approvers.
 * Returns the request's id.
 */
export async function upsertApprovalRequest(
  trx: Db,
  input: ApprovalRequestInput,
  now: number,
): Promise<string> {
  const c = input.command;
  const existing = await trx.selectFrom('approvals').select('id').where('key', '=', c.key).executeTakeFirst();
  if (existing) {
    await trx
      .updateTable('approvals')
      .set({
        approvers: JSON.stringify(c.approvers),
        deadline_at: c.deadlineAt ?? null,
        escalated: c.escalation ? 1 : 0,
      })
      .where('id', '=', existing.id)
      .execute();
    return existing.id;
  }
  await trx
    .insertInto('approvals')
    .values({
      id: input.id,
      key: c.key,
      run_id: input.runId,
      step_id: c.stepId,
      message: c.message,
      approvers: JSON.stringify(c.approvers),
      quorum: c.quorum,
      status: ApprovalStatus.pending,
      requested_by: input.requestedBy,
      escalated: c.escalation ? 1 : 0,
      deadline_at: c.deadlineAt ?? null,
      created_at: now,
      decided_at: null,
      action: c.action?.name ?? null,
      action_input: c.action?.input ? JSON.stringify(redactSecrets(c.action.input)) : null,
    })
    .execute();
  return input.id;
}

export async function findApprovalById(
  db: Db,
  id: string,
  lock?: { supportsRowLocks: boolean },
): Promise<ApprovalRow | undefined> {
  let q = db.selectFrom('approvals').selectAll().where('id', '=', id);
  if (lock?.supportsRowLocks) q = q.forUpdate();
  return q.executeTakeFirst();
}

export const listApprovals = (
  db: Db,
  filter: { status?: string; runId?: string; limit: number },
): Promise<ApprovalRow[]> => {
  let q = db.selectFrom('approvals').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.runId) q = q.where('run_id', '=', filter.runId);
  return q.execute();
};

export async function insertApprovalDecision(
  trx: Db,
  d: {
    approvalId: string;
    actorId: string;
    actorName: string;
    decision: 'approved' | 'rejected';
    comment?: string;
  },
  now: number,
): Promise<void> {
  await trx
    .insertInto('approval_decisions')
    .values({
      approval_id: d.approvalId,
      actor_id: d.actorId,
      actor_name: d.actorName,
      decision: d.decision,
      comment: d.comment ?? null,
      at: now,
    })
    .execute();
}

export const listApprovalDecisions = (db: Db, approvalId: string) =>
  db
    .selectFrom('approval_decisions')
    .selectAll()
    .where('approval_id', '=', approvalId)
    .orderBy('at')
    .execute();

export async function setApprovalStatus(
  trx: Db,
  id: string,
  status: ApprovalStatus,
  now: number,
): Promise<void> {
  await trx.updateTable('approvals').set({ status, decided_at: now }).where('id', '=', id).execute();
}

/** A finished run's open requests are closed: nobody can decide them any more. */
export async function closeApprovalsOfRun(trx: Db, runId: string, now: number): Promise<void> {
  await trx
    .updateTable('approvals')
    .set({ status: ApprovalStatus.closed, decided_at: now })
    .where('run_id', '=', runId)
    .where('status', '=', ApprovalStatus.pending)
    .execute();
}

/** Marks a one-click link used; false when it was used before. */
export async function useApprovalLink(
  trx: Db,
  jti: string,
  approvalId: string,
  now: number,
): Promise<boolean> {
  const r = await trx
    .insertInto('approval_link_uses')
    .values({ jti, approval_id: approvalId, used_at: now })
    .onConflict((oc) => oc.column('jti').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}
