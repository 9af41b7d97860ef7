import { describe, expect, it } from 'vitest';
import type { Principal } from '../principal.js';
import {
  DEFAULT_APPROVAL_TIMEOUT_MS,
  checkApprover,
  decideApprovalRequirement,
  isQuorumMet,
} from './approval-policy.js';

const user = (id: string, roles: Principal['roles']): Principal => ({ kind: 'user', id, name: id, roles });

describe('decideApprovalRequirement', () => {
  it('needs no approval for a read action', () => {
    const r = decideApprovalRequirement({
      risk: 'read',
      actionName: 'vt.lookup',
      assetCriticality: 'critical',
    });
    expect(r).toMatchObject({ required: false, quorum: 0 });
    expect(r.timeoutMs).toBe(DEFAULT_APPROVAL_TIMEOUT_MS);
  });

  it('always needs approval for a destructive action', () => {
    const r = decideApprovalRequirement({ risk: 'destructive', actionName: 'okta.delete_user' });
    expect(r).toMatchObject({ required: true, quorum: 1, approverRoles: ['approver', 'admin'] });
    expect(r.reason).toContain('destructive');
  });

  it('cannot be waived by the step for a destructive action', () => {
    const r = decideApprovalRequirement({
      risk: 'destructive',
      actionName: 'okta.delete_user',
      stepApproval: { required: false, quorum: 0 },
    });
    expect(r.required).toBe(true);
    expect(r.quorum).toBe(1);
  });

  it('waives a destructive action the playbook is trusted for, and only that action', () => {
    const trusted = ['okta.delete_user'];
    expect(
      decideApprovalRequirement({
        risk: 'destructive',
        actionName: 'okta.delete_user',
        playbookTrustedFor: trusted,
      }).required,
    ).toBe(false);
    expect(
      decideApprovalRequirement({
        risk: 'destructive',
        actionName: 'edr.wipe_host',
        playbookTrustedFor: trusted,
      }).required,
    ).toBe(true);
  });

  it('still needs two approvals for a trusted action on a critical asset', () => {
    const r = decideApprovalRequirement({
      risk: 'destructive',
      actionName: 'okta.delete_user',
      playbookTrustedFor: ['okta.delete_user'],
      assetCriticality: 'critical',
    });
    expect(r).toMatchObject({ required: true, quorum: 2 });
  });

  it('needs approval to contain high and critical assets only', () => {
    const at = (assetCriticality: 'low' | 'medium' | 'high' | 'critical') =>
      decideApprovalRequirement({ risk: 'contain', actionName: 'edr.isolate', assetCriticality });
    expect(at('low').required).toBe(false);
    expect(at('medium').required).toBe(false);
    expect(at('high')).toMatchObject({ required: true, quorum: 1 });
    expect(at('critical')).toMatchObject({ required: true, quorum: 2 });
  });

  it('lets a step add approval, raise the quorum, choose roles and set the deadline', () => {
    const r = decideApprovalRequirement({
      risk: 'contain',
      actionName: 'fw.block_ip',
      stepApproval: { required: true, quorum: 3, approverRoles: ['responder'], timeoutMs: 60_000 },
    });
    expect(r).toMatchObject({ required: true, quorum: 3, approverRoles: ['responder'], timeoutMs: 60_000 });
  });

  it('does not let a step lower the policy quorum', () => {
    const r = decideApprovalRequirement({
      risk: 'destructive',
      actionName: 'x.y',
      assetCriticality: 'critical',
      stepApproval: { quorum: 1 },
    });
    expect(r.quorum).toBe(2);
  });
});

describe('checkApprover', () => {
  const base = {
    requesterId: 'alice',
    authorId: 'bob',
    alreadyApprovedBy: [],
    approverRoles: ['approver' as const],
  };

  it('accepts an approver with the role who neither started nor wrote it', () => {
    expect(checkApprover({ ...base, approver: user('carol', ['approver']) })).toEqual({
      ok: true,
      breakGlass: false,
    });
  });

  it('refuses the requester and the author', () => {
    expect(checkApprover({ ...base, approver: user('alice', ['approver']) })).toMatchObject({
      ok: false,
      code: 'requester',
    });
    expect(checkApprover({ ...base, approver: user('bob', ['approver']) })).toMatchObject({
      ok: false,
      code: 'author',
    });
  });

  it('refuses a second vote by the same approver', () => {
    expect(
      checkApprover({ ...base, alreadyApprovedBy: ['carol'], approver: user('carol', ['approver']) }),
    ).toMatchObject({ ok: false, code: 'double_vote' });
  });

  it('refuses someone without an approver role, and the automation', () => {
    expect(checkApprover({ ...base, approver: user('dave', ['responder']) })).toMatchObject({
      ok: false,
      code: 'missing_role',
    });
    expect(
      checkApprover({
        ...base,
        approver: { kind: 'system', id: 'system', name: 'riposte', roles: ['admin'] },
      }),
    ).toMatchObject({ ok: false, code: 'not_a_person' });
  });

  it('lets an admin break glass with a justification, even as the requester', () => {
    const r = checkApprover({
      ...base,
      approver: user('alice', ['admin']),
      breakGlass: { reason: 'ransomware spreading, approvers unreachable' },
    });
    expect(r).toEqual({ ok: true, breakGlass: true });
  });

  it('refuses break-glass by a non-admin or without a reason', () => {
    expect(
      checkApprover({
        ...base,
        approver: user('carol', ['approver']),
        breakGlass: { reason: 'urgent, trust me' },
      }),
    ).toMatchObject({ ok: false, code: 'break_glass_not_admin' });
    expect(
      checkApprover({ ...base, approver: user('root', ['admin']), breakGlass: { reason: ' ok ' } }),
    ).toMatchObject({ ok: false, code: 'break_glass_no_reason' });
  });

  it('counts the quorum', () => {
    expect(isQuorumMet(2, 1)).toBe(false);
    expect(isQuorumMet(2, 2)).toBe(true);
    expect(isQuorumMet(2, 1, true)).toBe(true);
  });
});
