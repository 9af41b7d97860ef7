import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalRoutes } from '../../src/api/approvals/approvals.routes.js';
import { playbookRoutes } from '../../src/api/playbooks/playbooks.routes.js';
import { runRoutes } from '../../src/api/runs/runs.routes.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { drainRuns, recordingActions } from './run-driver.js';

const PLAYBOOK = `
id: reset
name: Reset a password
steps:
  - { id: reset, kind: action, action: entra.reset_password, input: { user: jdoe@example.com } }
`;

describe.each(DIALECTS)('playbook trust for destructive actions on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  const { actions, requests } = recordingActions({ reset: true }, ['entra.reset_password']);
  const drain = () => drainRuns(api.ctx, actions);
  const run = async (): Promise<string> => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/reset/runs',
      headers: asRole('analyst'),
      payload: {},
    });
    expect(res.statusCode).toBe(201);
    await drain();
    return res.json<{ runId: string }>().runId;
  };
  const status = async (runId: string) =>
    (await api.app.inject({ method: 'GET', url: `/api/v1/runs/${runId}`, headers: asRole('viewer') })).json<{
      status: string;
    }>().status;

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    api = await buildTestApi(handle.store, [
      { name: 'playbooks', plugin: playbookRoutes },
      { name: 'runs', plugin: runRoutes },
      { name: 'approvals', plugin: approvalRoutes },
    ]);
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

  it('holds a destructive action until an admin trusts the playbook with it, and records who did', async () => {
    const held = await run();
    expect(await status(held)).toBe('waiting');
    expect(requests).toHaveLength(0);

    // Only admins may trust; an unknown action is refused; nothing changes on refusal.
    const byAuthor = await api.app.inject({
      method: 'PUT',
      url: '/api/v1/playbooks/reset/trust',
      headers: asRole('playbook_author', 'approver'),
      payload: { actions: ['entra.reset_password'] },
    });
    expect(byAuthor.statusCode).toBe(403);
    const unknown = await api.app.inject({
      method: 'PUT',
      url: '/api/v1/playbooks/reset/trust',
      headers: asRole('admin'),
      payload: { actions: ['edr.nothing'] },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('edr.nothing');
    const trusted = await api.app.inject({
      method: 'PUT',
      url: '/api/v1/playbooks/reset/trust',
      headers: asRole('admin'),
      payload: { actions: ['entra.reset_password'] },
    });
    expect(trusted.statusCode).toBe(200);
    expect(trusted.json()).toMatchObject({
      items: [{ action: 'entra.reset_password', grantedBy: 'test admin' }],
    });

    // A new run goes straight through; the held one still waits for its approver.
    const straight = await run();
    expect(await status(straight)).toBe('succeeded');
    expect(requests.map((r) => r.context.runId)).toEqual([straight]);
    expect(await status(held)).toBe('waiting');

    const audit = await api.ctx.store.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('action', '=', 'playbook.trust_changed')
      .execute();
    expect(audit).toHaveLength(1);
    expect(String(audit[0]?.details)).toContain('entra.reset_password');
    // The same grant again changes no trust, and is not recorded as a change.
    const again = await api.app.inject({
      method: 'PUT',
      url: '/api/v1/playbooks/reset/trust',
      headers: asRole('admin'),
      payload: { actions: ['entra.reset_password'] },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(trusted.json());
    expect(
      await api.ctx.store.db
        .selectFrom('audit_log')
        .select('seq')
        .where('action', '=', 'playbook.trust_changed')
        .execute(),
    ).toHaveLength(1);

    // Taking trust back restores the approval.
    await api.app.inject({
      method: 'PUT',
      url: '/api/v1/playbooks/reset/trust',
      headers: asRole('admin'),
      payload: { actions: [] },
    });
    expect(await status(await run())).toBe('waiting');
    const list = await api.app.inject({
      method: 'GET',
      url: '/api/v1/playbooks/reset/trust',
      headers: asRole('viewer'),
    });
    expect(list.json()).toEqual({ items: [] });
  });
});
