import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { jiraConnector, jiraIdempotencyLabel } from '../../../src/connectors/vendors/jira/jira.connector.js';
import { startJiraFake, type JiraFake } from '../fakes/jira.fake.js';
import { createTestbed, type Testbed } from '../support/connector-harness.js';

const EMAIL = 'soc-bot@example.com';
const TOKEN = 'ATATT3xFfGF0-jira-token-1234';

describe('jira connector', () => {
  let fake: JiraFake;
  let bed: Testbed & { sleeps: number[] };

  beforeAll(async () => {
    fake = await startJiraFake(EMAIL, TOKEN);
    bed = await createTestbed(
      [jiraConnector],
      [
        {
          connector: 'jira',
          config: { baseUrl: fake.url, email: EMAIL, apiToken: TOKEN, defaultProject: 'SEC' },
        },
        {
          connector: 'jira',
          name: 'jira-bad',
          config: { baseUrl: fake.url, email: EMAIL, apiToken: 'wrong-token-0000' },
        },
      ],
    );
  });
  afterAll(async () => {
    await bed.close();
    await fake.close();
  });

  it('creates an issue with an ADF description and the idempotency label', async () => {
    const result = await bed.run(
      'jira.create_issue',
      { summary: 'Phishing from 203.0.113.7', description: 'Seen by 3 users.\n\nBlocked.' },
      { idempotencyKey: 'run-1:step-1:1' },
    );
    expect(result.output).toEqual({
      id: expect.any(String),
      key: 'SEC-1',
      url: `${fake.url}/browse/SEC-1`,
      created: true,
    });
    const issue = fake.issues.get('SEC-1');
    expect(issue?.fields.labels).toEqual([jiraIdempotencyLabel('run-1:step-1:1')]);
    expect(issue?.fields.description).toEqual({
      type: 'doc',
      version: 1,
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'Seen by 3 users.' }] },
        { type: 'paragraph', content: [{ type: 'text', text: 'Blocked.' }] },
      ],
    });
  });

  it('a repeated create with the same key finds the issue and sends no second POST', async () => {
    const before = fake.requests.filter((r) => r.path === '/rest/api/3/issue').length;
    const again = await bed.run(
      'jira.create_issue',
      { summary: 'Phishing from 203.0.113.7' },
      { idempotencyKey: 'run-1:step-1:1' },
    );
    expect(again.alreadyApplied).toBe(true);
    expect(again.output).toMatchObject({ key: 'SEC-1', created: false });
    expect(fake.requests.filter((r) => r.path === '/rest/api/3/issue').length).toBe(before);
  });

  it('comments once per idempotency key', async () => {
    const first = await bed.run(
      'jira.add_comment',
      { issueKey: 'SEC-1', body: 'Host isolated.' },
      { idempotencyKey: 'k-comment' },
    );
    expect(first.output).toMatchObject({ issueKey: 'SEC-1', created: true });
    const again = await bed.run(
      'jira.add_comment',
      { issueKey: 'SEC-1', body: 'Host isolated.' },
      { idempotencyKey: 'k-comment' },
    );
    expect(again.alreadyApplied).toBe(true);
    expect(fake.issues.get('SEC-1')?.comments).toHaveLength(1);
  });

  it('transitions by status name, and does nothing when already there', async () => {
    const moved = await bed.run('jira.transition_issue', { issueKey: 'SEC-1', transition: 'Done' });
    expect(moved.output).toEqual({ issueKey: 'SEC-1', status: 'Done', changed: true });
    expect(fake.issues.get('SEC-1')?.status).toBe('Done');
    const posts = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/transitions')).length;
    const again = await bed.run('jira.transition_issue', { issueKey: 'SEC-1', transition: 'Done' });
    expect(again.alreadyApplied).toBe(true);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/transitions')).length).toBe(
      posts,
    );
  });

  it('names the available transitions when the asked one does not exist', async () => {
    await expect(
      bed.run('jira.transition_issue', { issueKey: 'SEC-1', transition: 'Teleport' }),
    ).rejects.toThrow(/no transition "Teleport"; available: To Do, Start work/);
  });

  it('refused credentials fail non-retryable without echoing the token', async () => {
    const err = await bed
      .run('jira.create_issue', { summary: 'x', project: 'SEC' }, { instance: 'jira-bad' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false, status: 401 });
    expect((err as Error).message).not.toContain('wrong-token-0000');
  });

  it('retries the search after the Retry-After of a 429', async () => {
    fake.throttle('/rest/api/3/search/jql', 1, 2);
    bed.sleeps.length = 0;
    const result = await bed.run('jira.create_issue', { summary: 'Throttled' });
    expect(result.output).toMatchObject({ created: true });
    expect(bed.sleeps).toEqual([2000]);
  });

  it('a 429 on the create itself is not retried in-process but is retryable with its delay', async () => {
    fake.throttle('/rest/api/3/issue', 1, 7);
    const err = await bed.run('jira.create_issue', { summary: 'Throttled create' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONNECTOR_RATE_LIMITED', retryable: true, retryAfterMs: 7000 });
  });

  it('rejects bad input before calling Jira', async () => {
    await expect(bed.run('jira.add_comment', { issueKey: 'not a key', body: 'x' })).rejects.toMatchObject({
      code: 'CONNECTOR_INVALID_INPUT',
    });
  });

  it('test() calls /myself', async () => {
    const result = await bed.runtime.testInstance('jira-test', AbortSignal.timeout(5000));
    expect(result).toMatchObject({ ok: true, connector: 'jira' });
  });
});
