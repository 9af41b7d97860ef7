import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import {
  SLACK_APPROVE_ACTION,
  SLACK_REJECT_ACTION,
} from '../../../src/connectors/vendors/slack/slack-approval.js';
import { slackConnector } from '../../../src/connectors/vendors/slack/slack.connector.js';
import { startSlackFake, type SlackFake } from '../fakes/slack.fake.js';
import { createTestbed, type Testbed } from '../support/connector-harness.js';

const TOKEN = 'xoxb-1111-2222-abcdefghijkl';

describe('slack connector', () => {
  let fake: SlackFake;
  let bed: Testbed & { sleeps: number[] };

  beforeAll(async () => {
    fake = await startSlackFake(TOKEN);
    bed = await createTestbed(
      [slackConnector],
      [
        { connector: 'slack', config: { baseUrl: fake.url, botToken: TOKEN, defaultChannel: '#soc' } },
        {
          connector: 'slack',
          name: 'slack-bad',
          config: { baseUrl: fake.url, botToken: 'xoxb-revoked-token-000' },
        },
      ],
    );
  });
  afterAll(async () => {
    await bed.close();
    await fake.close();
  });

  it('posts a message to the default channel', async () => {
    const result = await bed.run('slack.post_message', { text: 'Case 42 opened' });
    expect(result.output).toEqual({ channel: 'C0SOC000001', ts: expect.stringMatching(/^\d+\.\d+$/) });
    expect(fake.messages.at(-1)).toMatchObject({ channel: 'C0SOC000001', text: 'Case 42 opened' });
  });

  it('posts an approval request with Approve / Reject buttons carrying the approval id', async () => {
    const result = await bed.run('slack.request_approval', {
      text: 'Isolate FIN-LT-042?',
      approvalId: 'appr-1',
      details: 'playbook ransomware',
    });
    expect(result.output).toMatchObject({ approvalId: 'appr-1' });
    const blocks = fake.messages.at(-1)?.blocks as Array<{
      type: string;
      elements?: Array<{ action_id?: string; value?: string }>;
    }>;
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions?.elements?.map((e) => [e.action_id, e.value])).toEqual([
      [SLACK_APPROVE_ACTION, 'appr-1'],
      [SLACK_REJECT_ACTION, 'appr-1'],
    ]);
  });

  it('updates a message in place', async () => {
    const posted = await bed.run('slack.post_message', { text: 'pending' });
    const { channel, ts } = posted.output as { channel: string; ts: string };
    await bed.run('slack.update_message', { channel, ts, text: 'Approved by alice' });
    expect(fake.messages.find((m) => m.ts === ts)?.text).toBe('Approved by alice');
  });

  it('maps ok:false invalid_auth (HTTP 200) to a non-retryable auth failure', async () => {
    const err = await bed
      .run('slack.post_message', { text: 'x', channel: '#soc' }, { instance: 'slack-bad' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false });
    expect((err as Error).message).not.toContain('xoxb-revoked-token-000');
  });

  it('maps other ok:false errors to a rejected request naming the error', async () => {
    await expect(bed.run('slack.post_message', { text: 'x', channel: '#nowhere' })).rejects.toMatchObject({
      code: 'CONNECTOR_REQUEST_REJECTED',
      message: expect.stringContaining('channel_not_found'),
    });
  });

  it('a 429 on postMessage is not repeated in-process (no idempotency) but tells when to retry', async () => {
    fake.rateLimitNext(1, 30);
    const before = fake.messages.length;
    const err = await bed.run('slack.post_message', { text: 'throttled' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONNECTOR_RATE_LIMITED', retryable: true, retryAfterMs: 30_000 });
    expect(fake.messages.length).toBe(before);
  });

  it('declares post_message as non-idempotent so the engine does not retry it blindly', () => {
    expect(slackConnector.actions.find((a) => a.name === 'slack.post_message')?.idempotency).toBe('none');
  });

  it('test() calls auth.test', async () => {
    await expect(bed.runtime.testInstance('slack-test', AbortSignal.timeout(5000))).resolves.toMatchObject({
      ok: true,
    });
  });
});
