import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { sentineloneConnector } from '../../../src/connectors/vendors/sentinelone/sentinelone.connector.js';
import { sentineloneFake, type S1State } from '../fakes/sentinelone.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const TOKEN = 'eyJraWQiOiJ0b2tlblNpZ25pbmciLCJhbGciOiJFUzI1NiJ9.s1';
const AGENT = '1031599153374432181';

describe('sentinelone connector against a fake management console', () => {
  let state: S1State;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = {
      apiToken: TOKEN,
      agents: [{ id: AGENT, computerName: 'WS-FIN-042', networkStatus: 'connected' }],
    };
    server = await startFakeVendor(sentineloneFake(state));
    bench = await createBench(sentineloneConnector, { baseUrl: server.url, apiToken: TOKEN });
  });
  afterEach(async () => {
    await bench.close();
    await server.close();
  });

  it('disconnects an agent found by computer name, filtering the action on its id', async () => {
    const result = await bench.run('sentinelone.disconnect_agent', { computerName: 'WS-FIN-042' });
    expect(result.output).toEqual({
      agentId: AGENT,
      computerName: 'WS-FIN-042',
      networkStatus: 'disconnecting',
    });
    const action = server.mutations()[0];
    expect(action?.path).toBe('/web/api/v2.1/agents/actions/disconnect');
    expect(action?.headers.authorization).toBe(`ApiToken ${TOKEN}`);
    expect(action?.json).toEqual({ filter: { ids: [AGENT] } });
  });

  it('sends no second disconnect for a disconnected agent', async () => {
    await bench.run('sentinelone.disconnect_agent', { agentId: AGENT });
    const again = await bench.run('sentinelone.disconnect_agent', { agentId: AGENT });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations()).toHaveLength(1);
  });

  it('undoes the disconnect by reconnecting (and OpenC2 contain device routes here)', async () => {
    const result = await bench.run(
      'openc2.contain.device',
      { device_id: AGENT },
      { instance: 'sentinelone-test' },
    );
    state.agents[0]!.networkStatus = 'disconnected';
    await bench.run(result.undo!.action, result.undo!.input);
    expect(state.agents[0]?.networkStatus).toBe('connecting');
  });

  it('refuses a protected host', async () => {
    await bench.protect('host', 'WS-FIN-042');
    const err = await failureOf(bench.run('sentinelone.disconnect_agent', { computerName: 'WS-FIN-042' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_PROTECTED_ASSET' });
  });

  it('fails with a non-retryable auth error that hides the token', async () => {
    state.apiToken = 'revoked-token-value';
    const err = await failureOf(bench.run('sentinelone.disconnect_agent', { agentId: AGENT }));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false });
    expect(err.message).toContain('Authentication Failed');
    expect(err.message).not.toContain(TOKEN);
  });

  it('says so when no agent has the name', async () => {
    const err = await failureOf(bench.run('sentinelone.disconnect_agent', { computerName: 'NOPE' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_NOT_FOUND', retryable: false });
  });

  it('tests the instance with the system status', async () => {
    const outcome = await bench.runtime.testInstance('sentinelone-test', AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({ ok: true, connector: 'sentinelone' });
  });
});
