import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalRoutes } from '../../src/api/approvals/approvals.routes.js';
import { createConnectorRoutes } from '../../src/api/connectors/connectors.routes.js';
import { playbookRoutes } from '../../src/api/playbooks/playbooks.routes.js';
import { runRoutes } from '../../src/api/runs/runs.routes.js';
import { createConnectorRuntime } from '../../src/app/connectors/connector-runtime.js';
import type { ConnectorRuntime } from '../../src/connectors/framework/create-action-executor.js';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import {
  SLACK_APPROVE_ACTION,
  SLACK_APPROVAL_BLOCK,
  SLACK_REJECT_ACTION,
} from '../../src/connectors/vendors/slack/slack-approval.js';
import { signSlackRequest } from '../../src/connectors/vendors/slack/slack-signature.js';
import { insertUser } from '../../src/store/identity/user.repository.js';
import { asRole, buildTestApi, ManualClock, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { drainRuns, recordingActions } from '../engine/run-driver.js';
import { startSlackFake, type SlackFake } from './fakes/slack.fake.js';
import { testKeyring } from './support/connector-harness.js';

const SIGNING_SECRET = 'slack-signing-secret-0123456789';
const BOT_TOKEN = 'xoxb-0000-1111-abcdefghijkl';
const PLAYBOOK = `
id: block-ip
name: Block an address after approval
inputs:
  ip: { type: string, required: true }
steps:
  - { id: ask, kind: approval, message: "Block {{ inputs.ip }}?", approvers: [approver], quorum: 1, deadline: 1h }
  - { id: block, kind: action, action: cloudflare.block_ip, input: { ip: "{{ inputs.ip }}" } }
`;

interface PostedMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown;
}

/** The form body Slack posts for a click on one of the buttons `slack.request_approval` sends. */
function clickBody(
  approvalId: string,
  slackUser: string,
  approve: boolean,
  message: PostedMessage = { channel: 'C0SOC', ts: '1764000000.000200', text: '', blocks: [] },
): string {
  const payload = {
    type: 'block_actions',
    user: { id: slackUser, username: `${slackUser.toLowerCase()}-name` },
    team: { id: 'T0TEAM' },
    channel: { id: message.channel },
    message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks },
    response_url: 'https://hooks.slack.com/actions/T0TEAM/1/abc',
    actions: [
      {
        action_id: approve ? SLACK_APPROVE_ACTION : SLACK_REJECT_ACTION,
        block_id: SLACK_APPROVAL_BLOCK,
        value: approvalId,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

describe.each(DIALECTS)('Slack approval buttons call back into Riposte on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  let slack: SlackFake;
  let connectors: ConnectorRuntime;
  const clock = new ManualClock(1_764_000_000_000);
  const { actions, requests: executed } = recordingActions({ blocked: true });
  const drain = () => drainRuns(api.ctx, actions);

  const startRun = async (ip: string): Promise<string> => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/block-ip/runs',
      headers: asRole('analyst'),
      payload: { inputs: { ip } },
    });
    expect(res.statusCode).toBe(201);
    const { runId } = res.json<{ runId: string }>();
    await drain();
    const list = await api.app.inject({
      method: 'GET',
      url: `/api/v1/approvals?run=${runId}`,
      headers: asRole('viewer'),
    });
    return list.json<{ items: Array<{ id: string }> }>().items[0]?.id as string;
  };

  /** Posts the approval message as `slack.request_approval` does, and returns it as the fake holds it. */
  const postApproval = async (approvalId: string): Promise<PostedMessage> => {
    const { output } = await connectors.execute(
      {
        action: 'slack.request_approval',
        input: { channel: '#soc', text: 'Block 203.0.113.7?', approvalId },
        idempotencyKey: `post:${approvalId}`,
        dryRun: false,
        context: { runId: 'r', stepId: 'ask', playbookId: 'block-ip' },
      },
      AbortSignal.timeout(5_000),
    );
    const { ts } = output as { ts: string };
    const posted = slack.messages.find((m) => m.ts === ts);
    if (!posted) throw new Error('the fake did not keep the message');
    return structuredClone(posted);
  };

  const statusOf = async (approvalId: string): Promise<string | undefined> => {
    const list = await api.app.inject({ method: 'GET', url: '/api/v1/approvals', headers: asRole('viewer') });
    return list
      .json<{ items: Array<{ id: string; status: string }> }>()
      .items.find((a) => a.id === approvalId)?.status;
  };

  const click = (body: string, options: { instance?: string; secret?: string; timestamp?: number } = {}) => {
    const timestamp = String(Math.floor((options.timestamp ?? clock.now()) / 1000));
    return api.app.inject({
      method: 'POST',
      url: `/api/v1/connectors/${options.instance ?? 'slack-soc'}/slack/interactions`,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signSlackRequest(options.secret ?? SIGNING_SECRET, timestamp, body),
      },
      payload: body,
    });
  };

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    slack = await startSlackFake(BOT_TOKEN);
    const keyring = testKeyring();
    const registry = createBuiltinRegistry();
    api = await buildTestApi(
      handle.store,
      [
        { name: 'playbooks', plugin: playbookRoutes },
        { name: 'runs', plugin: runRoutes },
        { name: 'approvals', plugin: approvalRoutes },
        { name: 'connectors', plugin: createConnectorRoutes(() => ({ registry, keyring: () => keyring })) },
      ],
      { clock },
    );
    const saved = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      headers: asRole('admin'),
      payload: { source: PLAYBOOK, activate: true },
    });
    expect(saved.statusCode).toBe(201);
    for (const [id, username, roles] of [
      ['u-alice', 'alice', ['approver']],
      ['u-bob', 'bob', ['analyst']],
    ] as const) {
      await insertUser(
        handle.store.db,
        { id, username, displayName: username, passwordHash: null, roles },
        clock.now(),
      );
    }
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: asRole('admin'),
      payload: {
        name: 'slack-soc',
        connector: 'slack',
        config: {
          baseUrl: slack.url,
          botToken: BOT_TOKEN,
          signingSecret: SIGNING_SECRET,
          approvers: { U0ALICE: 'alice', U0BOB: 'bob' },
        },
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain(SIGNING_SECRET);
    // The process's connector runtime over the same store and keyring: what a playbook step would post with.
    connectors = createConnectorRuntime(api.ctx, { deps: { registry, keyring: () => keyring } });
  });
  afterAll(async () => {
    await connectors.close();
    await slack.close();
    await api.app.close();
    await handle.cleanup();
  });

  it('an Approve click by a mapped approver decides the approval as that user, and the run resumes', async () => {
    const approvalId = await startRun('203.0.113.7');
    expect(executed).toHaveLength(0);
    const message = await postApproval(approvalId);
    const res = await click(clickBody(approvalId, 'U0ALICE', true, message));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      approvalId,
      decision: 'approved',
      decidedBy: 'alice',
      status: 'approved',
      messageUpdated: true,
    });
    await drain();
    expect(executed.map((r) => r.input)).toEqual([{ ip: '203.0.113.7' }]);
    // The same click again (Slack retries a slow answer) cannot decide twice.
    expect((await click(clickBody(approvalId, 'U0ALICE', true, message))).statusCode).toBe(409);
  });

  it('replaces the clicked message with who decided what, without its buttons (chat.update)', async () => {
    const approvalId = await startRun('203.0.113.10');
    const message = await postApproval(approvalId);
    expect(JSON.stringify(message.blocks)).toContain(SLACK_APPROVE_ACTION);
    const updatesBefore = slack.requests.filter((r) => r.path === '/chat.update').length;
    expect((await click(clickBody(approvalId, 'U0ALICE', true, message))).statusCode).toBe(200);
    const updates = slack.requests.filter((r) => r.path === '/chat.update');
    expect(updates).toHaveLength(updatesBefore + 1);
    const update = updates.at(-1);
    // The documented request: POST with the bot token, JSON, the channel's id and the message's ts.
    expect(update?.method).toBe('POST');
    expect(update?.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    expect(update?.headers['content-type']).toContain('application/json');
    expect(update?.json).toMatchObject({ channel: message.channel, ts: message.ts });
    const after = slack.messages.find((m) => m.ts === message.ts);
    const blocks = JSON.stringify(after?.blocks);
    expect(blocks).not.toContain(SLACK_APPROVE_ACTION);
    expect(blocks).not.toContain(SLACK_REJECT_ACTION);
    expect(blocks).toContain('Block 203.0.113.7?');
    expect(blocks).toContain('Approved by <@U0ALICE> (Riposte user alice)');
    expect(after?.text).toContain('approved by alice');
  });

  it('a Reject click rejects, and the message says so', async () => {
    const approvalId = await startRun('203.0.113.8');
    const message = await postApproval(approvalId);
    const res = await click(clickBody(approvalId, 'U0ALICE', false, message));
    expect(res.json()).toMatchObject({ decision: 'rejected', status: 'rejected', messageUpdated: true });
    const blocks = JSON.stringify(slack.messages.find((m) => m.ts === message.ts)?.blocks);
    expect(blocks).toContain('Rejected by <@U0ALICE>');
    expect(blocks).not.toContain(SLACK_REJECT_ACTION);
  });

  it('keeps the decision when Slack refuses the update', async () => {
    const approvalId = await startRun('203.0.113.11');
    const message = await postApproval(approvalId);
    const gone = { ...message, ts: '1764000000.999999' };
    const res = await click(clickBody(approvalId, 'U0ALICE', true, gone));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'approved', messageUpdated: false });
    expect(await statusOf(approvalId)).toBe('approved');
  });

  it('refuses a forged, replayed, unmapped or unauthorised click and leaves the approval pending', async () => {
    const approvalId = await startRun('203.0.113.9');
    const forged = await click(clickBody(approvalId, 'U0ALICE', true), {
      secret: 'another-secret-000000000',
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.headers['content-type']).toContain('application/problem+json');
    expect(forged.body).not.toContain(SIGNING_SECRET);
    const replayed = await click(clickBody(approvalId, 'U0ALICE', true), {
      timestamp: clock.now() - 600_000,
    });
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json<{ message: string }>().message).toContain('replay');
    const stranger = await click(clickBody(approvalId, 'U0MALLORY', true));
    expect(stranger.statusCode).toBe(403);
    expect(stranger.json<{ message: string }>().message).toContain('U0MALLORY');
    // bob is mapped, but an analyst may not decide approvals: the approval policy still applies.
    expect((await click(clickBody(approvalId, 'U0BOB', true))).statusCode).toBe(403);
    expect(await statusOf(approvalId)).toBe('pending');
  });

  it('answers a payload it does not understand with a 400 naming it, and an unknown instance with a 404', async () => {
    const bad = await click('payload=%7Bnot-json');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toContain('payload');
    expect((await click(clickBody('x', 'U0ALICE', true), { instance: 'nope' })).statusCode).toBe(404);
  });
});
