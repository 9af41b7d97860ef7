import type { Role } from '../permissions.js';
import type { Principal } from '../principal.js';

/** How much harm an action can do; declared by each connector action. */
export type RiskClass = 'read' | 'contain' | 'destructive';

/** How much the target asset matters; from the asset inventory or the alert. */
export type AssetCriticality = 'low' | 'medium' | 'high' | 'critical';

/** What a playbook's `approval` settings on a step ask for. They can add approval, never remove it. */
export interface StepApprovalSettings {
  /** Ask for approval even where the policy would not. `false` cannot waive the policy. */
  required?: boolean;
  /** Approvals needed; the policy's minimum still applies. */
  quorum?: number;
  /** Who may approve; defaults to approvers and admins. */
  approverRoles?: readonly Role[];
  /** How long the run waits for a decision before the approval expires. */
  timeoutMs?: number;
}

export interface ApprovalRequirementInput {
  risk: RiskClass;
  assetCriticality?: AssetCriticality;
  /** Action names an admin marked this playbook as trusted to run without approval. */
  playbookTrustedFor?: readonly string[];
  /** The action, e.g. `okta.disable_user`. */
  actionName: string;
  stepApproval?: StepApprovalSettings;
}

export interface ApprovalRequirement {
  required: boolean;
  quorum: number;
  approverRoles: Role[];
  /** Why, in words fit for the run timeline and the audit log. */
  reason: string;
  /** How long to wait for the decision. */
  timeoutMs: number;
}

export const DEFAULT_APPROVER_ROLES: readonly Role[] = ['approver', 'admin'];
/** Four hours: long enough for an on-call approver to answer, short enough that containment stays relevant. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 4 * 60 * 60 * 1000;
/** Audit action every break-glass approval is recorded under, so reviews can find them all. */
export const BREAK_GLASS_AUDIT_ACTION = 'approval.break_glass';
/** A break-glass justification shorter than this is refused: "ok" explains nothing to an auditor. */
export const BREAK_GLASS_MIN_REASON = 10;

/**
 * Decides whether an action needs approval, by its risk class, the asset's criticality and the playbook.
 * - `destructive` always needs approval unless an admin marked the playbook trusted for that action.
 * - `contain` on a `high` or `critical` asset needs approval.
 * - Any non-read action on a `critical` asset needs two approvals; trust does not waive that, because trust is
 *   granted per action, not per asset.
 * - A step may ask for approval (and a higher quorum) where the policy does not; it can never ask for less.
 */
export function decideApprovalRequirement(input: ApprovalRequirementInput): ApprovalRequirement {
  const { risk, assetCriticality, actionName, stepApproval } = input;
  const trusted = input.playbookTrustedFor?.includes(actionName) ?? false;
  const critical = assetCriticality === 'critical';
  const reasons: string[] = [];
  let policyQuorum = 0;

  if (risk === 'destructive') {
    if (trusted) reasons.push(`playbook is trusted by an admin for ${actionName}`);
    else {
      reasons.push(`${actionName} is destructive`);
      policyQuorum = 1;
    }
  }
  if (risk === 'contain' && (assetCriticality === 'high' || critical)) {
    reasons.push(`${actionName} contains a ${assetCriticality} asset`);
    policyQuorum = Math.max(policyQuorum, 1);
  }
  if (risk !== 'read' && critical) {
    if (risk === 'destructive') reasons.push('the asset is critical');
    policyQuorum = 2;
  }
  if (stepApproval?.required === true && policyQuorum === 0) {
    reasons.push('the playbook step asks for approval');
    policyQuorum = 1;
  }

  const required = policyQuorum > 0;
  const quorum = required ? Math.max(policyQuorum, Math.floor(stepApproval?.quorum ?? 0)) : 0;
  const stepRoles = stepApproval?.approverRoles;
  const approverRoles = [...(stepRoles && stepRoles.length > 0 ? stepRoles : DEFAULT_APPROVER_ROLES)];
  if (!required && reasons.length === 0) reasons.push(`${risk} action needs no approval`);
  return {
    required,
    quorum,
    approverRoles,
    reason: reasons.join('; '),
    timeoutMs: stepApproval?.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS,
  };
}

export interface ApproverCheckInput {
  approver: Principal;
  /** Who started the run (or asked for the action). */
  requesterId: string;
  /** Who authored the playbook version being run. */
  authorId?: string;
  alreadyApprovedBy: readonly string[];
  approverRoles: readonly Role[];
  /** An admin overriding the rules in an emergency; always recorded under BREAK_GLASS_AUDIT_ACTION. */
  breakGlass?: { reason: string };
}

/** Why an approver was refused; `double_vote` is a conflict (409), the rest are forbidden (403). */
export type ApproverRefusal =
  | 'not_a_person'
  | 'missing_role'
  | 'requester'
  | 'author'
  | 'double_vote'
  | 'break_glass_not_admin'
  | 'break_glass_no_reason';

export type ApproverCheck =
  { ok: true; breakGlass: boolean } | { ok: false; code: ApproverRefusal; reason: string };

/**
 * Separation of duties: whoever started the run or wrote the playbook cannot approve it, nobody votes twice,
 * and the automation never approves itself. Break-glass lets an admin approve alone (quorum met, separation of
 * duties waived) with a written justification; the caller must record it loudly.
 */
export function checkApprover(input: ApproverCheckInput): ApproverCheck {
  const { approver } = input;
  if (approver.kind === 'system') {
    return refuse('not_a_person', 'the automation cannot approve its own actions');
  }
  if (input.alreadyApprovedBy.includes(approver.id)) {
    return refuse('double_vote', `${approver.name} has already approved this`);
  }
  if (input.breakGlass) {
    if (!approver.roles.includes('admin')) {
      return refuse('break_glass_not_admin', 'only an admin may break glass');
    }
    if (input.breakGlass.reason.trim().length < BREAK_GLASS_MIN_REASON) {
      return refuse(
        'break_glass_no_reason',
        `break-glass needs a justification of at least ${BREAK_GLASS_MIN_REASON} characters`,
      );
    }
    return { ok: true, breakGlass: true };
  }
  if (!approver.roles.some((role) => input.approverRoles.includes(role))) {
    return refuse(
      'missing_role',
      `${approver.name} needs one of the roles ${input.approverRoles.join(', ')}`,
    );
  }
  if (approver.id === input.requesterId) {
    return refuse('requester', 'the one who started this run cannot approve it');
  }
  if (input.authorId !== undefined && approver.id === input.authorId) {
    return refuse('author', 'the author of this playbook cannot approve its actions');
  }
  return { ok: true, breakGlass: false };
}

/** True once enough distinct approvals are in, or an admin broke glass. */
export function isQuorumMet(quorum: number, approvals: number, breakGlass = false): boolean {
  return breakGlass || approvals >= quorum;
}

const refuse = (code: ApproverRefusal, reason: string): ApproverCheck => ({ ok: false, code, reason });
