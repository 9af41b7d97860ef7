/**
 * Connector inputs are strict at run time: a key the action does not declare fails the step (and so goes to
 * its on_error) with a message naming the key and the action, instead of being dropped without a word. A
 * playbook published before its connector stopped accepting a key (or without connector validation) is the
 * way such an input reaches a worker; publishing here skips that validation to stand for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishPlaybook } from '../../src/app/playbooks/playbook-catalog.js';
import { runRoutes } from '../../src/api/runs/runs.routes.js';
import { playbookRoutes } from '../../src/api/playbooks/playbooks.routes.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRunQueueBindings } from '../../src/worker/runs/run-queue.js';
import { asRole, buildTestApi, ManualClock, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { drainQueues } from '../engine/run-driver.js';
import { startSlackFake, type SlackFake } from './fakes/slack.fake.js';
import { createHarness, type Harness } from './support/connector-harness.js';

const BOT_TOKEN = 'xoxb-0000-1111-strictinputs';
const PLAYBOOK = `
id: notify-soc
name: Tell the SOC
steps:
  - id: post
    kind: action
    action: slack.post_message
    input: { chanel: "#soc", text: "hello" }
    on_error:
      - { id: fallback, kind: set, vars: { told: false } }
  - id: done
    kind: succeed
    output: "{{ vars.told }}"
`;

describe.each(DIALECTS)('strict connector inputs at run time on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  let h: Harness;
  let slack: SlackFake;
  const clock = new ManualClock(1_764_000_000_000);

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    api = await buildTestApi(
      handle.store,
      [
        { name: 'playbooks', plugin: playbookRoutes },
        { name: 'runs', plugin: runRoutes },
      ],
      { clock },
    );
    h = createHarness(handle.store);
    slack = await startSlackFake(BOT_TOKEN);
    await h.addInstance('slack-soc', 'slack', { baseUrl: slack.url, botToken: BOT_TOKEN }, true);
  });
  afterAll(async () => {
    await api.app.close();
    await h.close();
    await slack.close();
    await handle.cleanup();
  });

  it('fails the step naming the key and the action, runs on_error, and sends nothing', async () => {
    await publishPlaybook(api.ctx, { source: PLAYBOOK, actor: { type: 'user', id: 'u1', name: 'admin' } });
    const started = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/notify-soc/runs',
      headers: asRole('analyst'),
      payload: {},
    });
    expect(started.statusCode, started.body).toBe(201);
    const { runId } = started.json<{ runId: string }>();
    await drainQueues(
      api.ctx,
      createRunQueueBindings(api.ctx, { actions: h.runtime, cases: createRecordingCaseOperations() }),
    );
    const run = await api.app.inject({
      method: 'GET',
      url: `/api/v1/runs/${runId}`,
      headers: asRole('viewer'),
    });
    const body = run.json<{
      status: string;
      output: unknown;
      steps: Array<{ stepId: string; status: string; error: { code: string; message: string } | null }>;
    }>();
    expect(body.status).toBe('succeeded');
    expect(body.output).toBe(false);
    const post = body.steps.find((s) => s.stepId === 'post');
    expect(post?.status).toBe('failed');
    expect(post?.error?.code).toBe('CONNECTOR_INVALID_INPUT');
    expect(post?.error?.message).toContain('chanel: not an input of slack.post_message');
    expect(slack.requests).toHaveLength(0);
  });
});
