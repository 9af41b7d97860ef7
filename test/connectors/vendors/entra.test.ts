import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { entraConnector } from '../../../src/connectors/vendors/entra/entra.connector.js';
import { randomPassword } from '../../../src/connectors/vendors/entra/entra-users.actions.js';
import { graphFake, type GraphState } from '../fakes/entra.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const ADELE = '87d349ed-44d7-43e1-9a83-5f2406dee5bd';
const SECRET = 'graph-app-secret-value';
const PHISH = "<CAB1x2y3'o@mail.examp1e.com>";

describe('entra connector against a fake Microsoft Graph', () => {
  let state: GraphState;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = {
      tenant: {
        tenantId: 'contoso.onmicrosoft.com',
        clientId: 'graph-client-id',
        clientSecret: SECRET,
        tokens: new Map(),
      },
      users: [
        { id: ADELE, userPrincipalName: 'adele.vance@contoso.com', accountEnabled: true, sessionsRevoked: 0 },
        { id: 'b2', userPrincipalName: 'alex.wilber@contoso.com', accountEnabled: true, sessionsRevoked: 0 },
      ],
      messages: [
        {
          id: 'm1',
          mailbox: 'adele.vance@contoso.com',
          subject: 'Invoice',
          from: 'billing@examp1e.com',
          internetMessageId: PHISH,
          receivedDateTime: '2026-11-25T08:14:00Z',
        },
        {
          id: 'm2',
          mailbox: 'alex.wilber@contoso.com',
          subject: 'Invoice',
          from: 'billing@examp1e.com',
          internetMessageId: PHISH,
          receivedDateTime: '2026-11-25T08:14:01Z',
        },
        {
          id: 'm3',
          mailbox: 'alex.wilber@contoso.com',
          subject: 'Lunch',
          from: 'megan@contoso.com',
          internetMessageId: '<other@contoso.com>',
          receivedDateTime: '2026-11-25T09:00:00Z',
        },
      ],
    };
    server = await startFakeVendor(graphFake(state));
    bench = await createBench(entraConnector, {
      baseUrl: server.url,
      authorityUrl: server.url,
      tenantId: state.tenant.tenantId,
      clientId: state.tenant.clientId,
      clientSecret: SECRET,
    });
  });
  afterEach(async () => {
    await bench.close();
    await server.close();
  });

  it('disables a user with a Graph-audience token, and does not patch again when already disabled', async () => {
    const result = await bench.run('entra.disable_user', { user: 'adele.vance@contoso.com' });
    expect(result.output).toEqual({
      id: ADELE,
      userPrincipalName: 'adele.vance@contoso.com',
      accountEnabled: false,
    });
    expect(server.requests[0]?.form.get('scope')).toBe('https://graph.microsoft.com/.default');
    const patch = server.mutations().find((r) => r.method === 'PATCH');
    expect(patch?.path).toBe(`/v1.0/users/${ADELE}`);
    expect(patch?.json).toEqual({ accountEnabled: false });
    expect(state.users[0]?.accountEnabled).toBe(false);

    const again = await bench.run('entra.disable_user', { user: ADELE });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations().filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('undoes the disable by enabling the user', async () => {
    const disabled = await bench.run('entra.disable_user', { user: 'adele.vance@contoso.com' });
    expect(disabled.undo).toEqual({ action: 'entra.enable_user', input: { user: ADELE } });
    const enabled = await bench.run(disabled.undo!.action, disabled.undo!.input);
    expect(enabled.output).toMatchObject({ accountEnabled: true });
    expect(state.users[0]?.accountEnabled).toBe(true);
  });

  it('carries out OpenC2 disable user_account, and refuses a protected user', async () => {
    await bench.run(
      'openc2.disable.user_account',
      { account_name: 'alex.wilber@contoso.com' },
      { instance: 'entra-test' },
    );
    expect(state.users[1]?.accountEnabled).toBe(false);
    await bench.protect('user', 'adele.vance@contoso.com');
    const err = await failureOf(bench.run('entra.disable_user', { user: 'adele.vance@contoso.com' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_PROTECTED_ASSET', retryable: false });
    expect(state.users[0]?.accountEnabled).toBe(true);
  });

  it('revokes sessions', async () => {
    const result = await bench.run('entra.revoke_sessions', { user: 'adele.vance@contoso.com' });
    expect(result.output).toEqual({ user: 'adele.vance@contoso.com', revoked: true });
    expect(state.users[0]?.sessionsRevoked).toBe(1);
  });

  it('resets the password to a random one that is forced to change and never returned', async () => {
    const result = await bench.run('entra.reset_password', { user: ADELE });
    const password = state.users[0]?.password ?? '';
    expect(password).toHaveLength(24);
    expect(state.users[0]?.forceChange).toBe(true);
    expect(JSON.stringify(result)).not.toContain(password);
    expect(randomPassword()).not.toBe(randomPassword());
  });

  it('finds a phish in every mailbox by Message-ID (quote escaped) and purges it, a repeat deleting nothing', async () => {
    const found = await bench.run('entra.search_messages', {
      internetMessageId: PHISH,
      mailboxes: ['adele.vance@contoso.com', 'alex.wilber@contoso.com'],
    });
    const messages = (found.output as { messages: Array<{ mailbox: string; id: string }> }).messages;
    expect(messages.map((m) => m.id)).toEqual(['m1', 'm2']);
    const filter = server.requests.find((r) => r.path.endsWith('/messages'))?.query.get('$filter');
    expect(filter).toBe(`internetMessageId eq '<CAB1x2y3''o@mail.examp1e.com>'`);

    const input = { messages: messages.map(({ mailbox, id }) => ({ mailbox, id })), mode: 'hard' };
    const purged = await bench.run('entra.purge_messages', input);
    expect(purged.output).toEqual({ deleted: 2, alreadyGone: 0 });
    expect(state.messages.filter((m) => m.deleted === 'hard').map((m) => m.id)).toEqual(['m1', 'm2']);
    const again = await bench.run('entra.purge_messages', input);
    expect(again.output).toEqual({ deleted: 0, alreadyGone: 2 });
    expect(again.alreadyApplied).toBe(true);
  });

  it('fails with a non-retryable auth error, without the secret, on a wrong client secret', async () => {
    state.tenant.clientSecret = 'rotated-secret-value';
    const err = await failureOf(bench.run('entra.revoke_sessions', { user: ADELE }));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false });
    expect(err.message).not.toContain(SECRET);
  });

  it('reports an unknown user as not found, not retryable', async () => {
    const err = await failureOf(bench.run('entra.disable_user', { user: 'nobody@contoso.com' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_NOT_FOUND', retryable: false });
    expect(err.message).toContain('Request_ResourceNotFound');
  });

  it('tests the instance by reading the organization', async () => {
    const outcome = await bench.runtime.testInstance('entra-test', AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({ ok: true, connector: 'entra' });
  });
});
