import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { gitHubConnector, githubMarker } from '../../../src/connectors/vendors/github/github.connector.js';
import { startGitHubFake, type GitHubFake } from '../fakes/github.fake.js';
import { createTestbed, type Testbed } from '../support/connector-harness.js';

const TOKEN = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnop';

describe('github connector', () => {
  let fake: GitHubFake;
  let bed: Testbed & { sleeps: number[] };

  beforeAll(async () => {
    fake = await startGitHubFake(TOKEN, 'acme/security');
    bed = await createTestbed(
      [gitHubConnector],
      [
        { connector: 'github', config: { baseUrl: fake.url, token: TOKEN, defaultRepo: 'acme/security' } },
        {
          connector: 'github',
          name: 'gh-bad',
          config: { baseUrl: fake.url, token: 'ghp_revokedrevokedrevoked', defaultRepo: 'acme/security' },
        },
      ],
    );
  });
  afterAll(async () => {
    await bed.close();
    await fake.close();
  });

  it('opens an issue with labels and the hidden idempotency marker', async () => {
    const result = await bed.run(
      'github.create_issue',
      { title: 'Leaked AWS key in acme/web', body: 'Rotate it.', labels: ['security'] },
      { idempotencyKey: 'k-issue' },
    );
    expect(result.output).toEqual({
      number: 1,
      url: 'https://github.com/acme/security/issues/1',
      created: true,
    });
    expect(fake.issues[0]).toMatchObject({
      title: 'Leaked AWS key in acme/web',
      labels: ['security'],
      body: `Rotate it.\n\n${githubMarker('k-issue')}`,
    });
  });

  it('a retried create finds the issue and posts nothing', async () => {
    const again = await bed.run(
      'github.create_issue',
      { title: 'Leaked AWS key in acme/web' },
      { idempotencyKey: 'k-issue' },
    );
    expect(again).toMatchObject({ alreadyApplied: true, output: { number: 1, created: false } });
    expect(fake.issues).toHaveLength(1);
  });

  it('comments once per idempotency key', async () => {
    const first = await bed.run(
      'github.add_comment',
      { issueNumber: 1, body: 'Key rotated.' },
      { idempotencyKey: 'k-comment' },
    );
    expect(first.output).toMatchObject({ created: true });
    const again = await bed.run(
      'github.add_comment',
      { issueNumber: 1, body: 'Key rotated.' },
      { idempotencyKey: 'k-comment' },
    );
    expect(again.alreadyApplied).toBe(true);
    expect(fake.issues[0]?.comments).toHaveLength(1);
  });

  it('a 403 with x-ratelimit-remaining: 0 is a retryable rate limit until the reset', async () => {
    const resetAt = Math.floor(bed.clock.now() / 1000) + 120;
    fake.exhaustRateLimit(1, resetAt);
    const err = await bed.run('github.create_issue', { title: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'CONNECTOR_RATE_LIMITED',
      retryable: true,
      retryAfterMs: resetAt * 1000 - bed.clock.now(),
    });
  });

  it('a validation failure (422) is not retryable and says which field', async () => {
    await expect(bed.run('github.add_comment', { issueNumber: 99, body: 'x' })).rejects.toMatchObject({
      code: 'CONNECTOR_NOT_FOUND',
    });
  });

  it('bad credentials: non-retryable auth failure, token not echoed', async () => {
    const err = await bed
      .run('github.create_issue', { title: 'x' }, { instance: 'gh-bad' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({
      code: 'CONNECTOR_AUTH_FAILED',
      retryable: false,
      message: expect.stringContaining('Bad credentials'),
    });
    expect((err as Error).message).not.toContain('ghp_revokedrevokedrevoked');
  });

  it('test() reads /rate_limit', async () => {
    await expect(bed.runtime.testInstance('github-test', AbortSignal.timeout(5000))).resolves.toMatchObject({
      ok: true,
    });
  });
});
