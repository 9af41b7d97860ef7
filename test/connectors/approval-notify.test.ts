/**
 * The approval step's `notify` on a manual clock: when links expire, what happens when they cannot be made
 * or the chat refuses the message (recorded on the step, the approval still decidable), and that a request
 * decided before its message went out is not announced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalRoutes } from '../../src/api/approvals/approvals.routes.js';
import { playbookRoutes } from '../../src/api/playbooks/playbooks.routes.js';
import { runRoutes } from '../../src/api/runs/runs.routes.js';
import { insertUser } from '../../src/store/identity/user.repository.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRunQueueBindings } from '../../src/worker/runs/run-queue.js';
import { asRole, buildTestApi, ManualClock, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { drainQueues } from '../engine/run-driver.js';
import { startTeamsFake, type TeamsFake } from './fakes/teams.fake.js';
import { createHarness, type Harness } from './support/connector-harness.js';

const PUBLIC_URL = 'https://riposte.example';

const playbook = (id: string, notify: string) => `
id: ${id}
name: Ask in Teams
steps:
  - id: ask
    kind: approval
    message: "Contain the laptop?"
    approvers: [approver]
    deadline: 1h
    notify:
      - ${notify}
  - { id: done, kind: succeed }
`;

interface StepView {
  stepId: string;
  name: string;
  status: string;
  error: { code: string; message: string } | null;
}

describe.each(DIALECTS)('approval notices on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  let bare: TestApi;
  let h: Harness;
  let teams: TeamsFake;
  const clock = new ManualClock(1_764_000_000_000);

  const drain = (on: TestApi) =>
    drainQueues(
      on.ctx,
      createRunQueueBindings(on.ctx, { actions: h.runtime, cases: createRecordingCaseOperations() }),
    );

  /** Publishes the playbook and starts a run; nothing runs until the test drains the queues. */
  const start = async (on: TestApi, id: string, notify: string): Promise<{ runId: string }> => {
    const saved = await on.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      headers: asRole('admin'),
      payload: { source: playbook(id, notify), activate: true },
    });
    expect(saved.statusCode, saved.body).toBe(201);
    const res = await on.app.inject({
      method: 'POST',
      url: `/api/v1/playbooks/${id}/runs`,
      headers: asRole('analyst'),
      payload: {},
    });
    expect(res.statusCode, res.body).toBe(201);
    return { runId: res.json<{ runId: string }>().runId };
  };

  const stepsOf = async (runId: string): Promise<StepView[]> =>
    (await api.app.inject({ method: 'GET', url: `/api/v1/runs/${runId}`, headers: asRole('viewer') })).json<{
      steps: StepView[];
    }>().steps;

  const approvalOf = async (runId: string) =>
    (
      await api.app.inject({
        method: 'GET',
        url: `/api/v1/approvals?run=${runId}`,
        headers: asRole('viewer'),
      })
    ).json<{ items: Array<{ id: string; status: string }> }>().items[0];

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    const routes = [
      { name: 'playbooks', plugin: playbookRoutes },
      { name: 'runs', plugin: runRoutes },
      { name: 'approvals', plugin: approvalRoutes },
    ];
    api = await buildTestApi(handle.store, routes, { clock, config: { publicUrl: PUBLIC_URL } });
    bare = await buildTestApi(handle.store, routes, { clock });
    h = createHarness(handle.store, { start: clock.now() });
    teams = await startTeamsFake();
    await h.addInstance(
      'soc-teams',
      'teams',
      { baseUrl: teams.url, webhookUrl: `${teams.url}${teams.webhookPath}` },
      true,
    );
    await insertUser(
      handle.store.db,
      { id: 'u-ana', username: 'ana', displayName: 'Ana', passwordHash: null, roles: ['approver'] },
      clock.now(),
    );
  });
  afterAll(async () => {
    await api.app.close();
    await bare.app.close();
    await h.close();
    await teams.close();
    await handle.cleanup();
  });

  it('signs links that stop working after link_ttl, while the approval stays pending', async () => {
    const { runId } = await start(
      api,
      'ask-ttl',
      '{ action: teams.request_approval, to: [ana], link_ttl: 10m }',
    );
    await drain(api);
    const card = teams.cards.at(-1) as { actions: Array<{ url: string }> };
    const url = card.actions[0]?.url ?? '';
    expect(url.startsWith(`${PUBLIC_URL}/api/v1/approvals/link?token=`)).toBe(true);
    const path = url.slice(PUBLIC_URL.length);
    expect((await api.app.inject({ method: 'GET', url: path })).statusCode).toBe(200);
    clock.advance(11 * 60_000);
    const late = await api.app.inject({ method: 'GET', url: path });
    expect(late.statusCode).toBe(403);
    expect(late.json<{ message: string }>().message).toContain('exp');
    expect((await approvalOf(runId))?.status).toBe('pending');
  });

  it('records a notice it cannot send (no public URL, a refused webhook) and leaves the approval decidable', async () => {
    const { runId } = await start(bare, 'ask-no-url', '{ action: teams.request_approval, to: [ana] }');
    const before = teams.cards.length;
    await drain(bare);
    expect(teams.cards.length).toBe(before);
    const noUrl = (await stepsOf(runId)).find((s) => s.name === 'teams.request_approval');
    expect(noUrl).toMatchObject({
      stepId: 'ask',
      status: 'failed',
      error: { code: 'APPROVAL_LINKS_UNAVAILABLE' },
    });

    await h.addInstance('broken-teams', 'teams', {
      baseUrl: teams.url,
      webhookUrl: `${teams.url}${teams.webhookPath.replace(/sig=[^&]+/, 'sig=wrong')}`,
    });
    const refused = await start(
      api,
      'ask-refused',
      '{ action: teams.request_approval, instance: broken-teams, to: [ana] }',
    );
    await drain(api);
    const step = (await stepsOf(refused.runId)).find((s) => s.name === 'teams.request_approval');
    expect(step?.status).toBe('failed');
    expect(step?.error?.code).toBe('CONNECTOR_AUTH_FAILED');
    const approval = await approvalOf(refused.runId);
    const decided = await api.app.inject({
      method: 'POST',
      url: `/api/v1/approvals/${approval?.id ?? ''}/decision`,
      headers: asRole('approver'),
      payload: { decision: 'approved' },
    });
    expect(decided.json()).toMatchObject({ status: 'approved' });
    await drain(api);
    const run = await api.app.inject({
      method: 'GET',
      url: `/api/v1/runs/${refused.runId}`,
      headers: asRole('viewer'),
    });
    expect(run.json<{ status: string }>().status).toBe('succeeded');
  });

  it('does not announce a request decided before its message went out', async () => {
    const { runId } = await start(api, 'ask-late', '{ action: teams.request_approval, to: [ana] }');
    // The run parks; its notice is held back (a busy chat, a slow worker) until after the decision.
    const bindings = createRunQueueBindings(api.ctx, {
      actions: h.runtime,
      cases: createRecordingCaseOperations(),
    });
    const held = bindings.map((b) => ({
      ...b,
      handlers: Object.fromEntries(
        Object.entries(b.handlers).map(([kind, handler]) => [
          kind,
          kind === 'approval.notify'
            ? async () => ({ type: 'retry' as const, at: clock.now() + 60_000, error: 'held' })
            : handler,
        ]),
      ),
    }));
    await drainQueues(api.ctx, held);
    const approval = await approvalOf(runId);
    const decided = await api.app.inject({
      method: 'POST',
      url: `/api/v1/approvals/${approval?.id ?? ''}/decision`,
      headers: asRole('approver'),
      payload: { decision: 'rejected' },
    });
    expect(decided.json()).toMatchObject({ status: 'rejected' });
    const before = teams.cards.length;
    clock.advance(61_000);
    await drain(api);
    expect(teams.cards.length).toBe(before);
    expect((await stepsOf(runId)).some((s) => s.name === 'teams.request_approval')).toBe(false);
  });
});
