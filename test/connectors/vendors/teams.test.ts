import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { teamsConnector } from '../../../src/connectors/vendors/teams/teams.connector.js';
import { startTeamsFake, type TeamsFake } from '../fakes/teams.fake.js';
import { createTestbed, type Testbed } from '../support/connector-harness.js';

describe('teams connector', () => {
  let fake: TeamsFake;
  let bed: Testbed & { sleeps: number[] };

  beforeAll(async () => {
    fake = await startTeamsFake();
    bed = await createTestbed(
      [teamsConnector],
      [
        { connector: 'teams', config: { baseUrl: fake.url, webhookUrl: `${fake.url}${fake.webhookPath}` } },
        {
          connector: 'teams',
          name: 'teams-bad',
          config: {
            baseUrl: fake.url,
            webhookUrl: `${fake.url}${fake.webhookPath.replace(/sig=.*/, 'sig=forged-signature-value')}`,
          },
        },
        {
          connector: 'teams',
          name: 'teams-elsewhere',
          config: { baseUrl: fake.url, webhookUrl: 'https://attacker.example/hook' },
        },
      ],
    );
  });
  afterAll(async () => {
    await bed.close();
    await fake.close();
  });

  it('posts an Adaptive Card with facts and links', async () => {
    const result = await bed.run('teams.post_message', {
      title: 'Case 42: ransomware',
      text: 'FIN-LT-042 isolated',
      facts: [{ title: 'Severity', value: 'critical' }],
      links: [{ title: 'Open case', url: 'https://riposte.example/cases/42' }],
    });
    expect(result.output).toEqual({ delivered: true });
    expect(fake.cards.at(-1)).toMatchObject({
      type: 'AdaptiveCard',
      version: '1.4',
      body: [
        { type: 'TextBlock', text: 'Case 42: ransomware' },
        { type: 'TextBlock', text: 'FIN-LT-042 isolated' },
        { type: 'FactSet', facts: [{ title: 'Severity', value: 'critical' }] },
      ],
      actions: [{ type: 'Action.OpenUrl', title: 'Open case', url: 'https://riposte.example/cases/42' }],
    });
  });

  it('posts an approval request with Approve / Reject links', async () => {
    await bed.run('teams.request_approval', {
      title: 'Isolate FIN-LT-042?',
      approvalId: 'appr-7',
      approveUrl: 'https://riposte.example/approvals/appr-7?decision=approve',
      rejectUrl: 'https://riposte.example/approvals/appr-7?decision=reject',
    });
    const card = fake.cards.at(-1) as { actions: Array<{ title: string; url: string; style: string }> };
    expect(card.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Approve',
        url: 'https://riposte.example/approvals/appr-7?decision=approve',
        style: 'positive',
      },
      {
        type: 'Action.OpenUrl',
        title: 'Reject',
        url: 'https://riposte.example/approvals/appr-7?decision=reject',
        style: 'destructive',
      },
    ]);
  });

  it('a refused signature fails non-retryable and the webhook secret is not in the message', async () => {
    const err = await bed
      .run('teams.post_message', { title: 'x' }, { instance: 'teams-bad' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false });
    expect((err as Error).message).not.toContain('forged-signature-value');
  });

  it('refuses a webhook URL off the allowed origin before calling anything', async () => {
    const before = fake.requests.length;
    await expect(
      bed.run('teams.post_message', { title: 'x' }, { instance: 'teams-elsewhere' }),
    ).rejects.toMatchObject({ code: 'CONNECTOR_NOT_CONFIGURED' });
    expect(fake.requests.length).toBe(before);
  });

  it('test() checks the configuration without posting', async () => {
    const before = fake.requests.length;
    await expect(bed.runtime.testInstance('teams-test', AbortSignal.timeout(5000))).resolves.toMatchObject({
      ok: true,
    });
    expect(fake.requests.length).toBe(before);
  });
});
