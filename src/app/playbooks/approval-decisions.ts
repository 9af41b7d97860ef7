import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Kysely, Transaction } from 'kysely';
import { RiposteError, notFound } from '../../domain/shared/errors.js';
import {
  BREAK_GLASS_AUDIT_ACTION,
  checkApprover,
  isQuorumMet,
} from '../../governance/approvals/approval-policy.js';
import { isRole, rolesAllow, type Role } from '../../governance/permissions.js';
import { actorOf, type Principal } from '../../governance/principal.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { findUserRowByUsername, userRowToUser } from '../../store/identity/user.repository.js';
import { findPlaybookVersion } from '../../store/playbooks/playbook.repository.js';
import {
  ApprovalStatus,
  findApprovalById,
  insertApprovalDecision,
  listApprovalDecisions,
  setApprovalStatus,
  useApprovalLink,
} from '../../store/runs/approval.repository.js';
import { findRunById } from '../../store/runs/run.repository.js';
import type { ApprovalRow } from '../../store/runs/run.table.js';
import type { Database } from '../../store/schema.js';
import type { AppContext } from '../context.js';
import { sendRunEvent } from './run-start.js';
import { appendRunCaseEvent, RunCaseEventType } from './run-timeline.js';

export interface DecideApprovalInput {
  approvalId: string;
  approver: Principal;
  decision: 'approved' | 'rejected';
  comment?: string;
  breakGlass?: { reason: string };
  /** A one-click link's id: spent in the decision's transaction, so a refused decision leaves it usable. */
  spendLink?: string;
}

export interface DecideApprovalResult {
  status: ApprovalStatus;
  approvals: number;
  quorum: number;
}

/**
 * Records one person's decision on a parked approval step. Separation of duties and quorum come from the
 * governance policy; a rejection by any eligible approver rejects, quorum approvals approve. The run is
 * resumed through its inbox in the same transaction.
 */
export async function decideApproval(
  ctx: AppContext,
  input: DecideApprovalInput,
): Promise<DecideApprovalResult> {
  const now = ctx.clock.now();
  const deps = { dialect: ctx.store.dialect, newId: ctx.newId };
  const result = await ctx.store.db.transaction().execute(async (trx) => {
    if (
      input.spendLink !== undefined &&
      !(await useApprovalLink(trx, input.spendLink, input.approvalId, now))
    )
      throw new RiposteError('RIPOSTE_CONFLICT', 'this approval link was already used');
    const approval = await findApprovalById(trx, input.approvalId, ctx.store.dialect);
    if (!approval) throw notFound('approval', input.approvalId);
    if (approval.status !== ApprovalStatus.pending)
      throw new RiposteError('RIPOSTE_CONFLICT', `approval ${approval.id} is already ${approval.status}`);
    const { run, decisions, ...who } = await approverContext(trx, approval);
    const approvedBy = decisions.filter((d) => d.decision === 'approved').map((d) => d.actor_id);
    const check = checkApprover({ ...who, approver: input.approver, breakGlass: input.breakGlass });
    if (!check.ok)
      throw new RiposteError(
        check.code === 'double_vote' ? 'RIPOSTE_CONFLICT' : 'RIPOSTE_FORBIDDEN',
        check.reason,
      );
    await insertApprovalDecision(
      trx,
      {
        approvalId: approval.id,
        actorId: input.approver.id,
        actorName: input.approver.name,
        decision: input.decision,
        comment: input.comment,
      },
      now,
    );
    const approvals = approvedBy.length + (input.decision === 'approved' ? 1 : 0);
    let status: ApprovalStatus = ApprovalStatus.pending;
    if (input.decision === 'rejected') status = ApprovalStatus.rejected;
    else if (isQuorumMet(approval.quorum, approvals, check.breakGlass)) status = ApprovalStatus.approved;
    if (status !== ApprovalStatus.pending) {
      await setApprovalStatus(trx, approval.id, status, now);
      await sendRunEvent(
        trx,
        deps,
        approval.run_id,
        {
          type: 'approval_decided',
          key: approval.key,
          decision: status === 'approved' ? 'approved' : 'rejected',
          by: input.approver.name,
          comment: input.comment,
        },
        now,
      );
    }
    await appendAudit(
      trx,
      deps,
      {
        actor: actorOf(input.approver),
        action: check.breakGlass ? BREAK_GLASS_AUDIT_ACTION : 'approval.decided',
        target: { type: 'approval', id: approval.id },
        details: {
          run: approval.run_id,
          step: approval.step_id,
          decision: input.decision,
          status,
          comment: input.comment ?? null,
          reason: input.breakGlass?.reason ?? null,
        },
      },
      now,
    );
    await appendRunCaseEvent(
      trx,
      deps,
      {
        caseId: run?.case_id,
        type: RunCaseEventType.approvalDecided,
        actor: actorOf(input.approver),
        data: {
          runId: approval.run_id,
          approvalId: approval.id,
          step: approval.step_id,
          decision: input.decision,
          status,
          approvals,
          quorum: approval.quorum,
          comment: input.comment ?? null,
          breakGlass: check.breakGlass,
        },
      },
      now,
    );
    return { status, approvals, quorum: approval.quorum };
  });
  await ctx.store.notifier.notify('queue:runs').catch(() => undefined);
  return result;
}

type Db = Kysely<Database> | Transaction<Database>;

/** What the approval policy weighs about a request: who asked, who wrote the playbook, who voted, which roles. */
async function approverContext(db: Db, approval: ApprovalRow) {
  const run = await findRunById(db, approval.run_id);
  const version = run && (await findPlaybookVersion(db, run.playbook_id, run.version));
  const decisions = await listApprovalDecisions(db, approval.id);
  return {
    run,
    decisions,
    requesterId: approval.requested_by,
    authorId: version?.created_by,
    alreadyApprovedBy: decisions.map((d) => d.actor_id),
    approverRoles: (JSON.parse(approval.approvers) as string[]).filter(isRole) as Role[],
  };
}

export interface ApprovalLinkClaims {
  approvalId: string;
  decision: 'approved' | 'rejected';
  approver: { id: string; name: string; roles: Role[] };
}

/**
 * A signed one-click link for chat or e-mail: HS256, bound to one approval, one decision and one person,
 * expiring, and usable once.
 */
export async function createApprovalLinkToken(
  key: Uint8Array,
  claims: ApprovalLinkClaims,
  now: number,
  ttlMs: number,
): Promise<string> {
  return new SignJWT({
    aid: claims.approvalId,
    dec: claims.decision,
    name: claims.approver.name,
    roles: claims.approver.roles,
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.approver.id)
    .setJti(randomUUID())
    .setIssuedAt(Math.floor(now / 1_000))
    .setExpirationTime(Math.floor((now + ttlMs) / 1_000))
    .setAudience('riposte:approval')
    .sign(key);
}

/** A link's claims when its signature, audience and expiry hold; a 403 otherwise. */
async function verifyLink(ctx: AppContext, key: Uint8Array, token: string): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      audience: 'riposte:approval',
      currentDate: new Date(ctx.clock.now()),
    });
    return payload;
  } catch (err) {
    throw new RiposteError(
      'RIPOSTE_FORBIDDEN',
      `approval link refused: ${err instanceof Error ? err.message : 'invalid'}`,
    );
  }
}

/** Verifies a link, spends it, and records its decision. */
export async function redeemApprovalLink(
  ctx: AppContext,
  key: Uint8Array,
  token: string,
): Promise<DecideApprovalResult> {
  const payload = await verifyLink(ctx, key, token);
  const approvalId = String(payload.aid ?? '');
  const decision = payload.dec === 'rejected' ? 'rejected' : 'approved';
  const jti = String(payload.jti ?? '');
  const roles = (Array.isArray(payload.roles) ? payload.roles : []).map(String).filter(isRole) as Role[];
  return decideApproval(ctx, {
    approvalId,
    decision,
    approver: {
      kind: 'user',
      id: String(payload.sub ?? ''),
      name: String(payload.name ?? payload.sub ?? ''),
      roles,
    },
    comment: 'via one-click link',
    spendLink: jti,
  });
}

/**
 * The key one-click approval links are signed with: derived from the master key, so every process of one
 * installation agrees. Without a configured master key it is random per process (links die with it).
 */
export function approvalLinkKey(masterKey: string | undefined): Uint8Array {
  // One random fallback per process, so the API that verifies a link and the worker that posted it agree.
  return createHmac('sha256', masterKey ?? (processLinkSecret ??= randomBytes(32)))
    .update('riposte approval links v1')
    .digest();
}
let processLinkSecret: Buffer | undefined;

/** Where a one-click link points: a page that shows the request and asks for one confirming click. */
export const APPROVAL_LINK_PATH = '/api/v1/approvals/link';

export interface ApprovalLinks {
  approve: string;
  reject: string;
  expiresAt: number;
}

/**
 * Signs an approve link and a reject link of one pending approval for one person, for a chat message or an
 * e-mail. Links are only issued to enabled users who may decide approvals; whether this person may decide
 * this request (requester, author, role, quorum) is checked again when the link is used.
 */
export async function issueApprovalLinks(
  ctx: AppContext,
  key: Uint8Array,
  input: { approvalId: string; username: string; ttlMs: number },
): Promise<ApprovalLinks> {
  const approval = await findApprovalById(ctx.store.db, input.approvalId);
  if (!approval) throw notFound('approval', input.approvalId);
  if (approval.status !== ApprovalStatus.pending)
    throw new RiposteError('RIPOSTE_CONFLICT', `approval ${approval.id} is already ${approval.status}`);
  const row = await findUserRowByUsername(ctx.store.db, input.username);
  const user = row && userRowToUser(row);
  if (!user || user.disabled) throw notFound('user', input.username);
  if (!rolesAllow(user.roles, 'approvals:decide'))
    throw new RiposteError(
      'RIPOSTE_UNPROCESSABLE',
      `${user.username} may not decide approvals (roles: ${user.roles.join(', ') || 'none'})`,
    );
  const approver = { id: user.id, name: user.username, roles: user.roles };
  // A link the policy would refuse on use (the requester, the author, a missing role) is refused now.
  const context = await approverContext(ctx.store.db, approval);
  const check = checkApprover({
    approver: { kind: 'user', ...approver },
    requesterId: context.requesterId,
    authorId: context.authorId,
    alreadyApprovedBy: context.alreadyApprovedBy,
    approverRoles: context.approverRoles,
  });
  if (!check.ok)
    throw new RiposteError('RIPOSTE_UNPROCESSABLE', `no links for ${user.username}: ${check.reason}`);
  const now = ctx.clock.now();
  const base = `${(ctx.config.publicUrl ?? '').replace(/\/$/, '')}${APPROVAL_LINK_PATH}?token=`;
  const sign = (decision: 'approved' | 'rejected') =>
    createApprovalLinkToken(key, { approvalId: approval.id, decision, approver }, now, input.ttlMs);
  return {
    approve: `${base}${await sign('approved')}`,
    reject: `${base}${await sign('rejected')}`,
    expiresAt: Math.floor((now + input.ttlMs) / 1_000) * 1_000,
  };
}

/** What a link's confirmation page shows, read from a verified token without spending it. */
export async function previewApprovalLink(
  ctx: AppContext,
  key: Uint8Array,
  token: string,
): Promise<{
  decision: 'approved' | 'rejected';
  approver: string;
  approval: { id: string; message: string; action: string | null; status: string };
}> {
  const payload = await verifyLink(ctx, key, token);
  const approval = await findApprovalById(ctx.store.db, String(payload.aid ?? ''));
  if (!approval) throw notFound('approval', String(payload.aid ?? ''));
  return {
    decision: payload.dec === 'rejected' ? 'rejected' : 'approved',
    approver: String(payload.name ?? payload.sub ?? ''),
    approval: {
      id: approval.id,
      message: approval.message,
      action: approval.action,
      status: approval.status,
    },
  };
}
