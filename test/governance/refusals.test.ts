import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalLinkKey } from '../../src/api/approvals/approvals.routes.js';
import type { ApiInstance } from '../../src/api/route-plugin.js';
import { createApiToken } from '../../src/app/identity/api-tokens.service.js';
import { bootstrapAdmin } from '../../src/app/identity/users.service.js';
import { CreateSourceInput, createIngestSource } from '../../src/app/ingest/ingest-sources.js';
import { createApprovalLinkToken } from '../../src/app/playbooks/approval-decisions.js';
import type { ActionExecutor } from '../../src/connectors/action-executor.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { ManualClock } from '../../src/domain/shared/clock.js';
import type { Role } from '../../src/governance/permissions.js';
import { SYSTEM_PRINCIPAL } from '../../src/governance/principal.js';
import { keyringLoader } from '../../src/governance/secrets/master-key-file.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRunQueueBindings } from '../../src/worker/runs/run-queue.js';
import { drainQueues } from '../engine/run-driver.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { buildGovernanceApi } from './governance-api.js';

const MASTER_KEY = 'k'.repeat(44);
const PLAYBOOK = `
id: isolate
name: Isolate host
steps:
  - { id: ask, kind: approval, message: "Isolate?", approvers: [approver], quorum: 2, deadline: 1h }
  - { id: isolate, kind: action, action: crowdstrike.contain_host, input: { hostname: h1 } }
`;

/**
 * Requests refused by a handler rather than by the authorisation hook (a token sending for a source outside its
 * scope, a tampered or spent approval link) are recorded in the audit log like any other refusal, once, and
 * change nothing else.
 */
describe.each(DIALECTS)('refused requests on %s', (dialect) => {
  let handle: TestStoreHandle;
  let app: ApiInstance;
  let ctx: Awaited<ReturnType<typeof buildGovernanceApi>>['ctx'];
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const actions: ActionExecutor = {
    describe: () => undefined,
    execute: async () => ({ output: { isolated: true } }),
  };

  const auditEntries = () => readAuditEntries(handle.store.db, 0, 100_000);
  const bearer = async (name: string, roles: Role[], sources?: string[]) => {
    const { token } = await createApiToken(ctx, SYSTEM_PRINCIPAL, { name, roles, sources });
    return { authorization: `Bearer ${token}` };
  };
  const count = async (table: 'alerts' | 'approval_decisions') =>
    Number(
      (
        await handle.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** Runs `request`, and returns its answer with the audit entries it added. */
  const withAudit = async (request: () => Promise<{ statusCode: number; json: () => unknown }>) => {
    const before = (await auditEntries()).length;
    const res = await request();
    return { res, added: (await auditEntries()).slice(before) };
  };

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    ({ app, ctx } = await buildGovernanceApi(handle.store, { clock, config: { masterKey: MASTER_KEY } }));
    await bootstrapAdmin(ctx, { password: 'correct horse battery staple' });
  });
  afterAll(async () => {
    await app.close();
    await handle.cleanup();
  });

  it('refuses a token sending for a source outside its scope with 403, records it once, and stores nothing', async () => {
    const headers = await bearer('splunk-only', ['ingest'], ['splunk']);
    const alert = { title: 'Suspicious login', severity: 'high', src_ip: '203.0.113.9' };
    const { res, added } = await withAudit(() =>
      app.inject({ method: 'POST', url: '/api/v1/alerts?source=crowdstrike', headers, payload: alert }),
    );
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'RIPOSTE_FORBIDDEN' });
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      action: 'auth.forbidden',
      outcome: 'denied',
      actor: { type: 'token', name: 'token:splunk-only' },
      target: { type: 'route', id: 'POST /api/v1/alerts' },
      details: { status: 403 },
    });
    expect(await count('alerts')).toBe(0);
    // Refused by the authorisation hook instead (no permission): also recorded exactly once.
    const users = await withAudit(() => app.inject({ url: '/api/v1/users', headers }));
    expect(users.res.statusCode).toBe(403);
    expect(users.added.map((e) => [e.action, e.target.id])).toEqual([
      ['auth.forbidden', 'GET /api/v1/users'],
    ]);
    // The same token for its own source goes through (a source that exists: deleted, it would stop it too).
    await createIngestSource(
      ctx,
      CreateSourceInput.parse({ name: 'splunk' }),
      SYSTEM_ACTOR,
      keyringLoader(ctx.config),
    );
    const own = await app.inject({
      method: 'POST',
      url: '/api/v1/alerts?source=splunk',
      headers,
      payload: alert,
    });
    expect(own.statusCode).toBe(200);
    expect(await count('alerts')).toBe(1);
  });

  it('refuses a tampered approval link with 403 and a spent one with 409, records both, and changes nothing', async () => {
    const admin = await bearer('admin', ['admin']);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/playbooks',
          headers: admin,
          payload: { source: PLAYBOOK, activate: true },
        })
      ).statusCode,
    ).toBe(201);
    const started = await app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/isolate/runs',
      headers: await bearer('analyst', ['analyst']),
      payload: {},
    });
    expect(started.statusCode).toBe(201);
    const { runId } = started.json<{ runId: string }>();
    await drainQueues(ctx, createRunQueueBindings(ctx, { actions, cases: createRecordingCaseOperations() }));
    const listed = await app.inject({ url: `/api/v1/approvals?run=${runId}`, headers: admin });
    const approvalId = listed.json<{ items: Array<{ id: string }> }>().items[0]?.id as string;
    expect(approvalId).toBeTruthy();

    const link = await createApprovalLinkToken(
      approvalLinkKey(MASTER_KEY),
      { approvalId, decision: 'approved', approver: { id: 'carol', name: 'carol', roles: ['approver'] } },
      clock.now(),
      600_000,
    );
    const redeem = (token: string) =>
      withAudit(() => app.inject({ method: 'POST', url: '/api/v1/approvals/link', payload: { token } }));

    // Turn the link into a rejection by editing its payload: the signature no longer matches.
    const [header, payload, signature] = link.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const edited = Buffer.from(JSON.stringify({ ...claims, dec: 'rejected' })).toString('base64url');
    const tampered = await redeem(`${header}.${edited}.${signature}`);
    expect(tampered.res.statusCode).toBe(403);
    expect(tampered.added).toHaveLength(1);
    expect(tampered.added[0]).toMatchObject({
      action: 'auth.forbidden',
      outcome: 'denied',
      actor: { id: 'anonymous' },
      target: { id: 'POST /api/v1/approvals/link' },
    });
    expect(await count('approval_decisions')).toBe(0);

    const good = await redeem(link);
    expect(good.res.statusCode).toBe(200);
    expect(good.added.map((e) => e.action)).toEqual(['approval.decided']);

    const replayed = await redeem(link);
    expect(replayed.res.statusCode).toBe(409);
    expect(replayed.added).toHaveLength(1);
    expect(replayed.added[0]).toMatchObject({
      action: 'request.conflict',
      outcome: 'denied',
      details: { status: 409 },
    });
    expect(await count('approval_decisions')).toBe(1);
    const approval = await app.inject({ url: `/api/v1/approvals?run=${runId}`, headers: admin });
    expect(approval.json()).toMatchObject({ items: [{ status: 'pending' }] });
  });

  it('records a wrong password once, as the failed sign-in it is', async () => {
    const { res, added } = await withAudit(() =>
      app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'admin', password: 'not the password at all' },
      }),
    );
    expect(res.statusCode).toBe(401);
    expect(added.map((e) => e.action)).toEqual(['auth.login_failed']);
  });
});
