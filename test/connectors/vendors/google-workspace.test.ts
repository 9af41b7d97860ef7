import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { googleWorkspaceConnector } from '../../../src/connectors/vendors/google-workspace/google-workspace.connector.js';
import { googleWorkspaceFake, type GoogleState } from '../fakes/google-workspace.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const { privateKey, publicKey } = pair();
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('google-workspace connector against a fake Google token endpoint and Directory API', () => {
  let state: GoogleState;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = {
      publicKey,
      serviceAccountEmail: 'riposte@soc-project.iam.gserviceaccount.com',
      adminEmail: 'admin@example.com',
      tokenUrl: '',
      now: 0,
      tokens: new Set(),
      users: [
        { id: '107234567890123456789', primaryEmail: 'liz@example.com', suspended: false, signOuts: 0 },
        { id: '100000000000000000001', primaryEmail: 'admin@example.com', suspended: false, signOuts: 0 },
      ],
    };
    server = await startFakeVendor(googleWorkspaceFake(state));
    state.tokenUrl = `${server.url}/token`;
    bench = await createBench(googleWorkspaceConnector, {
      baseUrl: server.url,
      tokenUrl: state.tokenUrl,
      serviceAccountEmail: state.serviceAccountEmail,
      privateKey: PEM,
      adminEmail: state.adminEmail,
    });
    state.now = bench.clock.now();
  });
  afterEach(async () => {
    await bench.close();
    await server.close();
  });

  it('suspends a user with a token from a signed JWT assertion, and does not update a suspended user again', async () => {
    const result = await bench.run('google-workspace.suspend_user', { user: 'liz@example.com' });
    expect(result.output).toEqual({
      id: '107234567890123456789',
      primaryEmail: 'liz@example.com',
      suspended: true,
    });
    expect(server.requests[0]?.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const put = server.mutations().find((r) => r.method === 'PUT');
    expect(put?.path).toBe('/admin/directory/v1/users/107234567890123456789');
    expect(put?.json).toEqual({ suspended: true });
    const again = await bench.run('google-workspace.suspend_user', { user: 'liz@example.com' });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations().filter((r) => r.method === 'PUT')).toHaveLength(1);
    expect(server.requests.filter((r) => r.path === '/token')).toHaveLength(1);
  });

  it('undoes the suspension', async () => {
    const suspended = await bench.run(
      'openc2.disable.user_account',
      { account_name: 'liz@example.com' },
      { instance: 'google-workspace-test' },
    );
    await bench.run(suspended.undo!.action, suspended.undo!.input);
    expect(state.users[0]?.suspended).toBe(false);
  });

  it('signs a user out', async () => {
    await bench.run('google-workspace.sign_out', { user: 'liz@example.com' });
    expect(state.users[0]?.signOuts).toBe(1);
  });

  it('refuses a protected user', async () => {
    await bench.protect('user', 'admin@example.com');
    expect(
      await failureOf(bench.run('google-workspace.suspend_user', { user: 'admin@example.com' })),
    ).toMatchObject({
      code: 'CONNECTOR_PROTECTED_ASSET',
    });
  });

  it('fails with a non-retryable auth error when the assertion is signed with another key', async () => {
    state.publicKey = pair().publicKey;
    const err = await failureOf(bench.run('google-workspace.suspend_user', { user: 'liz@example.com' }));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false });
    expect(err.message).toContain('invalid_grant');
    expect(err.message).not.toContain('PRIVATE KEY');
  });

  it('tests the instance by reading the impersonated admin', async () => {
    const outcome = await bench.runtime.testInstance('google-workspace-test', AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({ ok: true, message: 'Google issued a token acting as admin@example.com' });
  });
});
