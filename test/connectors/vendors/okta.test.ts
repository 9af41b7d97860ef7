import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { oktaConnector } from '../../../src/connectors/vendors/okta/okta.connector.js';
import { oktaFake, type OktaState } from '../fakes/okta.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const TOKEN = '00QCjAl4MlV-WPXM-ABCDEFGHIJKLMNOPQRSTUVWXYZ';

describe('okta connector against a fake Okta org', () => {
  let state: OktaState;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = {
      apiToken: TOKEN,
      users: [
        {
          id: '00ub0oNGTSWTBKOLGLNR',
          status: 'ACTIVE',
          login: 'isaac.brock@example.com',
          sessionsCleared: 0,
          oauthTokensRevoked: false,
        },
        {
          id: '00ugone',
          status: 'DEPROVISIONED',
          login: 'gone@example.com',
          sessionsCleared: 0,
          oauthTokensRevoked: false,
        },
      ],
    };
    server = await startFakeVendor(oktaFake(state));
    bench = await createBench(oktaConnector, { baseUrl: server.url, apiToken: TOKEN });
  });
  afterEach(async () => {
    await bench.close();
    await server.close();
  });

  it('suspends a user by login with the SSWS header, and sends nothing when already suspended', async () => {
    const result = await bench.run('okta.suspend_user', { user: 'isaac.brock@example.com' });
    expect(result.output).toEqual({
      id: '00ub0oNGTSWTBKOLGLNR',
      login: 'isaac.brock@example.com',
      status: 'SUSPENDED',
    });
    expect(server.requests[0]?.path).toBe('/api/v1/users/isaac.brock%40example.com');
    expect(server.mutations().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v1/users/00ub0oNGTSWTBKOLGLNR/lifecycle/suspend',
    ]);
    const again = await bench.run('okta.suspend_user', { user: 'isaac.brock@example.com' });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations()).toHaveLength(1);
  });

  it('undoes the suspension by unsuspending', async () => {
    const suspended = await bench.run('okta.suspend_user', { user: 'isaac.brock@example.com' });
    expect(suspended.undo).toEqual({
      action: 'okta.unsuspend_user',
      input: { user: '00ub0oNGTSWTBKOLGLNR' },
    });
    await bench.run(suspended.undo!.action, suspended.undo!.input);
    expect(state.users[0]?.status).toBe('ACTIVE');
  });

  it('says why a deprovisioned user cannot be suspended, without calling the lifecycle endpoint', async () => {
    const err = await failureOf(bench.run('okta.suspend_user', { user: 'gone@example.com' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_REQUEST_REJECTED', retryable: false });
    expect(err.message).toContain('DEPROVISIONED');
    expect(server.mutations()).toHaveLength(0);
  });

  it('clears sessions and OAuth tokens', async () => {
    const result = await bench.run('okta.clear_sessions', { user: '00ub0oNGTSWTBKOLGLNR' });
    expect(result.output).toEqual({ user: '00ub0oNGTSWTBKOLGLNR', cleared: true });
    expect(state.users[0]).toMatchObject({ sessionsCleared: 1, oauthTokensRevoked: true });
  });

  it('fails with a non-retryable auth error that hides the token', async () => {
    state.apiToken = 'another-token-entirely';
    const err = await failureOf(bench.run('okta.suspend_user', { user: 'isaac.brock@example.com' }));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false, status: 401 });
    expect(err.message).toContain('E0000011');
    expect(err.message).not.toContain(TOKEN);
  });

  it('retries a read after an Okta 429 (E0000047) with backoff', async () => {
    server.failNext({
      status: 429,
      headers: {
        'X-Rate-Limit-Limit': '600',
        'X-Rate-Limit-Remaining': '0',
        'X-Rate-Limit-Reset': '1764000060',
      },
      body: {
        errorCode: 'E0000047',
        errorSummary: 'API call exceeded rate limit due to too many requests.',
        errorLink: 'E0000047',
        errorId: 'x',
        errorCauses: [],
      },
    });
    const result = await bench.run('okta.suspend_user', { user: 'isaac.brock@example.com' });
    expect(result.output).toMatchObject({ status: 'SUSPENDED' });
    expect(bench.sleeps).toHaveLength(1);
  });

  it('carries out OpenC2 disable user_account', async () => {
    await bench.run(
      'openc2.disable.user_account',
      { account_name: 'isaac.brock@example.com' },
      { instance: 'okta-test' },
    );
    expect(state.users[0]?.status).toBe('SUSPENDED');
  });

  it('tests the instance by reading the token owner', async () => {
    const outcome = await bench.runtime.testInstance('okta-test', AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({ ok: true, message: expect.stringContaining('admin@example.com') });
  });
});
