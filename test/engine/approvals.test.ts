import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApprovalLinkToken } from '../../src/app/playbooks/approval-decisions.js';
import { approvalLinkKey, approvalRoutes } from '../../src/api/approvals/approvals.routes.js';
import { playbookRoutes } from '../../src/api/playbooks/playbooks.routes.js';
import { runRoutes } from '../../src/api/runs/runs.routes.js';
import { insertUser } from '../../src/store/identity/user.repository.js';
import { asRole, buildTestApi, ManualClock, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { drainRuns, recordingActions } from './run-driver.js';

const PLAYBOOK = `
id: isolate
name: Isolate host
inputs:
  host: { type: string, required: true }
steps:
  - { id: ask, kind: approval, message: "Isolate {{ inputs.host }}?", approvers: [approver], quorum: 2, deadline: 1h }
  - { id: isolate, kind: action, action: crowdstrike.contain_host, input: { hostname: "{{ inputs.host }}" } }
`;

describe.each(DIALECTS)('approvals through the API on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  const clock = new ManualClock(1_750_000_000_000);
  // entra.reset_password is destructive: the governance policy requires an approval before it runs.
  const { actions, requests } = recordingActions({ isolated: true }, ['entra.reset_password']);
  const drain = () => drainRuns(api.ctx, actions);
  const startRun = async (host: string): Promise<{ runId: string; approvalId: string }> => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/isolate/runs',
      headers: asRole('analyst'),
      payload: { inputs: { host } },
    });
    expect(res.statusCode).toBe(201);
    const { runId } = res.json<{ runId: string }>();
    await drain();
    const list = await api.app.inject({
      method: 'GET',
      url: `/api/v1/approvals?run=${runId}`,
      headers: asRole('viewer'),
    });
    const approvalId = list.json<{ items: Array<{ id: string; status: string; message: string }> }>().items[0]
      ?.id as string;
    return { runId, approvalId };
  };
  const decide = (
    approvalId: string,
    role: 'approver' | 'admin' | 'analyst',
    who: string,
    decision = 'approved',
  ) =>
    api.app.inject({
      method: 'POST',
      url: `/api/v1/approvals/${approvalId}/decision`,
      headers: { authorization: `Bearer test:${role}` },
      payload: { decision, comment: who },
    });

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    // Distinct approvers: the test authenticator names users after their roles, so vary the role lists.
    api = await buildTestApi(
      handle.store,
      [
        { name: 'playbooks', plugin: playbookRoutes },
        { name: 'runs', plugin: runRoutes },
        { name: 'approvals', plugin: approvalRoutes },
      ],
      { clock, config: { masterKey: 'k'.repeat(44) } },
    );
    const saved = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      headers: asRole('admin'),
      payload: { source: PLAYBOOK, activate: true },
    });
    expect(saved.statusCode).toBe(201);
  });
  afterAll(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  it('parks the run until a quorum of eligible approvers approves; the requester cannot approve', async () => {
    const { runId, approvalId } = await startRun('web-01');
    expect(approvalId).toBeDefined();
    expect(requests).toHaveLength(0);
    // Approvers see the exact call they would let happen, and who asked for it.
    const listed = await api.app.inject({
      method: 'GET',
      url: `/api/v1/approvals?run=${runId}`,
      headers: asRole('viewer'),
    });
    expect(listed.json<{ items: unknown[] }>().items[0]).toMatchObject({
      action: 'crowdstrike.contain_host',
      input: { hostname: 'web-01' },
      requestedBy: 'test-analyst',
    });
    // The analyst started the run; an analyst cannot decide approvals at all.
    expect((await decide(approvalId, 'analyst', 'self')).statusCode).toBe(403);
    const first = await decide(approvalId, 'approver', 'one');
    expect(first.json()).toMatchObject({ status: 'pending', approvals: 1, quorum: 2 });
    expect((await decide(approvalId, 'approver', 'again')).statusCode).toBe(409);
    const second = await api.app.inject({
      method: 'POST',
      url: `/api/v1/approvals/${approvalId}/decision`,
      headers: asRole('approver', 'viewer'),
      payload: { decision: 'approved' },
    });
    expect(second.json()).toMatchObject({ status: 'approved', approvals: 2 });
    await drain();
    expect(requests.map((r) => r.input)).toEqual([{ hostname: 'web-01' }]);
    const run = await api.app.inject({
      method: 'GET',
      url: `/api/v1/runs/${runId}`,
      headers: asRole('viewer'),
    });
    expect(run.json()).toMatchObject({
      status: 'succeeded',
      steps: [{ stepId: 'isolate', status: 'succeeded' }],
    });
  });

  it('fails the run when an approver rejects', async () => {
    const { runId, approvalId } = await startRun('db-01');
    expect((await decide(approvalId, 'approver', 'no', 'rejected')).json()).toMatchObject({
      status: 'rejected',
    });
    await drain();
    const run = await api.app.inject({
      method: 'GET',
      url: `/api/v1/runs/${runId}`,
      headers: asRole('viewer'),
    });
    expect(run.json()).toMatchObject({ status: 'failed', errorCode: 'APPROVAL_REJECTED' });
  });

  it('rejects at the deadline when nobody decides', async () => {
    const { runId } = await startRun('mail-01');
    clock.advance(60 * 60_000);
    await drain();
    const run = await api.app.inject({
      method: 'GET',
      url: `/api/v1/runs/${runId}`,
      headers: asRole('viewer'),
    });
    expect(run.json()).toMatchObject({ status: 'failed', errorCode: 'APPROVAL_EXPIRED' });
  });

  it('accepts a signed one-click link once, and refuses an expired one', async () => {
    const { approvalId } = await startRun('app-01');
    const key = approvalLinkKey('k'.repeat(44));
    const link = (who: string, ttl: number) =>
      createApprovalLinkToken(
        key,
        { approvalId, decision: 'approved', approver: { id: who, name: who, roles: ['approver'] } },
        clock.now(),
        ttl,
      );
    const redeem = async (token: string) =>
      api.app.inject({ method: 'POST', url: '/api/v1/approvals/link', payload: { token } });
    const expired = await link('late', 1_000);
    const good = await link('carol', 600_000);
    clock.advance(5_000);
    expect((await redeem(expired)).statusCode).toBe(403);
    expect((await redeem(good)).json()).toMatchObject({ approvals: 1 });
    expect((await redeem(good)).statusCode).toBe(409);
    const forged = `${good.slice(0, -4)}AAAA`;
    expect((await redeem(forged)).statusCode).toBe(403);
    // A link whose decision is refused (its holder started the run) is not spent by the refusal.
    const own = await link('test-analyst', 600_000);
    const refused = await redeem(own);
    expect(refused.statusCode).toBe(403);
    expect((await redeem(own)).statusCode).toBe(403);
  });

  it('signs one-click links for an approver: the GET only shows, the form POST decides, tampering is refused', async () => {
    const { runId, approvalId } = await startRun('mail-01');
    const now = clock.now();
    await insertUser(
      handle.store.db,
      { id: 'u-dana', username: 'dana', displayName: 'Dana', passwordHash: null, roles: ['approver'] },
      now,
    );
    await insertUser(
      handle.store.db,
      { id: 'u-vic', username: 'vic', displayName: 'Vic', passwordHash: null, roles: ['viewer'] },
      now,
    );
    const issue = (username: string, role: 'admin' | 'approver' = 'admin') =>
      api.app.inject({
        method: 'POST',
        url: `/api/v1/approvals/${approvalId}/links`,
        headers: asRole(role),
        payload: { username, ttl: '1h' },
      });
    expect((await issue('dana', 'approver')).statusCode).toBe(403);
    expect((await issue('vic')).statusCode).toBe(422);
    expect((await issue('nobody')).statusCode).toBe(404);
    const issued = await issue('dana');
    expect(issued.statusCode).toBe(201);
    const links = issued.json<{ approve: string; reject: string; expiresAt: number }>();
    expect(links.expiresAt).toBeGreaterThan(now);
    const path = (url: string) => url.slice(url.indexOf('/api/v1/'));
    const token = new URL(links.approve, 'http://x').searchParams.get('token') ?? '';

    const shown = await api.app.inject({ method: 'GET', url: path(links.approve) });
    expect(shown.statusCode).toBe(200);
    expect(shown.headers['content-type']).toContain('text/html');
    expect(shown.body).toContain('Isolate mail-01?');
    expect(shown.body).toContain('crowdstrike.contain_host');
    expect(shown.body).toContain('<form method="post"');
    // Showing the page decided nothing.
    const pending = await api.app.inject({
      method: 'GET',
      url: `/api/v1/approvals?run=${runId}`,
      headers: asRole('viewer'),
    });
    expect(pending.json<{ items: Array<{ status: string }> }>().items[0]?.status).toBe('pending');

    const forged = `${token.slice(0, -4)}AAAA`;
    const bad = await api.app.inject({
      method: 'GET',
      url: `/api/v1/approvals/link?token=${encodeURIComponent(forged)}`,
    });
    expect(bad.statusCode).toBe(403);
    expect(bad.headers['content-type']).toContain('application/problem+json');

    const posted = await api.app.inject({
      method: 'POST',
      url: '/api/v1/approvals/link',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token }).toString(),
    });
    expect(posted.statusCode).toBe(200);
    expect(posted.body).toContain('Your decision is recorded');
    expect(posted.body).toContain('1 of 2 approvals');
    const again = await api.app.inject({
      method: 'POST',
      url: '/api/v1/approvals/link',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token }).toString(),
    });
    expect(again.statusCode).toBe(409);
  });

  it('holds a destructive action for the approval the policy requires, then runs it with its planned key', async () => {
    await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      headers: asRole('admin'),
      payload: {
        source:
          'id: wipe\nname: Wipe\nsteps:\n  - { id: wipe, kind: action, action: entra.reset_password, input: { user: h9 } }\n',
        activate: true,
      },
    });
    const started = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/wipe/runs',
      headers: asRole('analyst'),
      payload: {},
    });
    const { runId } = started.json<{ runId: string }>();
    await drain();
    expect(requests.filter((r) => r.action === 'entra.reset_password')).toHaveLength(0);
    const list = await api.app.inject({
      method: 'GET',
      url: `/api/v1/approvals?run=${runId}`,
      headers: asRole('viewer'),
    });
    const pending = list.json<{
      items: Array<{ id: string; message: string; quorum: number; status: string }>;
    }>().items[0];
    expect(pending).toMatchObject({
      quorum: 1,
      status: 'pending',
      message: expect.stringContaining('destructive'),
      action: 'entra.reset_password',
      input: { user: 'h9' },
    });
    expect((await decide(pending?.id as string, 'approver', 'ok')).json()).toMatchObject({
      status: 'approved',
    });
    await drain();
    const wiped = requests.filter((r) => r.action === 'entra.reset_password');
    expect(wiped.map((r) => r.idempotencyKey)).toEqual([`${runId}:wipe:1`]);
  });

  it('cancels a parked run through the API', async () => {
    const { runId } = await startRun('x-01');
    const res = await api.app.inject({
      method: 'POST',
      url: `/api/v1/runs/${runId}/cancel`,
      headers: asRole('responder'),
      payload: { reason: 'false positive' },
    });
    expect(res.statusCode).toBe(202);
    await drain();
    const run = await api.app.inject({
      method: 'GET',
      url: `/api/v1/runs/${runId}`,
      headers: asRole('viewer'),
    });
    expect(run.json()).toMatchObject({ status: 'cancelled' });
    const again = await api.app.inject({
      method: 'POST',
      url: `/api/v1/runs/${runId}/cancel`,
      headers: asRole('responder'),
    });
    expect(again.statusCode).toBe(409);
  });
});
