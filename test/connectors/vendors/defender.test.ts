import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { defenderConnector } from '../../../src/connectors/vendors/defender/defender.connector.js';
import { defenderFake, type DefenderState } from '../fakes/defender.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const MACHINE = '1e5bc9d7e413ddd7902c2932e418702b84d0cc07';
const SECRET = 'defender-app-secret-value';

describe('defender connector against a fake Defender for Endpoint API', () => {
  let state: DefenderState;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = {
      tenant: {
        tenantId: 'contoso.onmicrosoft.com',
        clientId: 'app-client-id',
        clientSecret: SECRET,
        tokens: new Map(),
      },
      machines: [{ id: MACHINE, computerDnsName: 'ws-fin-042.contoso.com' }],
      actions: [],
      indicators: [],
      huntingRows: [{ DeviceId: MACHINE, DeviceName: 'ws-fin-042.contoso.com', Hits: 2 }],
    };
    server = await startFakeVendor(defenderFake(state));
    bench = await createBench(defenderConnector, {
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

  it('isolates a machine found by DNS name, with a client-credentials token for the Defender audience', async () => {
    const result = await bench.run('defender.isolate_machine', { hostname: 'ws-fin-042.contoso.com' });
    expect(result.output).toMatchObject({ machineId: MACHINE, type: 'Isolate', status: 'Pending' });
    expect(result.undo).toEqual({ action: 'defender.unisolate_machine', input: { machineId: MACHINE } });
    const token = server.requests[0];
    expect(token?.path).toBe('/contoso.onmicrosoft.com/oauth2/v2.0/token');
    expect(token?.form.get('scope')).toBe('https://api.securitycenter.microsoft.com/.default');
    const isolate = server.mutations().find((r) => r.path.endsWith('/isolate'));
    expect(isolate?.json).toEqual({ Comment: 'Riposte automated response', IsolationType: 'Full' });
  });

  it('sends no second isolation when the machine is already isolated', async () => {
    await bench.run('defender.isolate_machine', { machineId: MACHINE });
    const again = await bench.run('defender.isolate_machine', { machineId: MACHINE });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations().filter((r) => r.path.endsWith('/isolate'))).toHaveLength(1);
  });

  it('undoes the isolation with unisolate', async () => {
    const isolated = await bench.run('defender.isolate_machine', { machineId: MACHINE });
    state.actions[0]!.status = 'Succeeded';
    const released = await bench.run(isolated.undo!.action, isolated.undo!.input);
    expect(released.output).toMatchObject({ type: 'Unisolate', status: 'Pending' });
    expect(server.mutations().find((r) => r.path.endsWith('/unisolate'))?.json).toEqual({
      Comment: 'Riposte automated response',
    });
    // Released already: a retried undo sends nothing.
    const again = await bench.run('defender.unisolate_machine', { machineId: MACHINE });
    expect(again.alreadyApplied).toBe(true);
  });

  it('runs an antivirus scan once while one is pending', async () => {
    const first = await bench.run('defender.run_av_scan', { machineId: MACHINE, scanType: 'Full' });
    expect(first.output).toMatchObject({ type: 'RunAntiVirusScan', status: 'Pending' });
    expect(server.mutations().find((r) => r.path.endsWith('/runAntiVirusScan'))?.json).toMatchObject({
      ScanType: 'Full',
    });
    const again = await bench.run('defender.run_av_scan', { machineId: MACHINE });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations().filter((r) => r.path.endsWith('/runAntiVirusScan'))).toHaveLength(1);
  });

  it('fails with a non-retryable auth error naming no secret when the client secret is wrong', async () => {
    state.tenant.clientSecret = 'another-secret-value';
    const err = await failureOf(bench.run('defender.isolate_machine', { machineId: MACHINE }));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false });
    expect(err.message).toContain('AADSTS7000215');
    expect(err.message).not.toContain(SECRET);
  });

  it('blocks an IP through OpenC2 deny, skips a repeat, and removes it through the undo', async () => {
    const added = await bench.run(
      'openc2.deny.ipv4_net',
      { ipv4_net: '203.0.113.7' },
      { instance: 'defender-test' },
    );
    expect(added.output).toMatchObject({
      indicatorValue: '203.0.113.7',
      indicatorType: 'IpAddress',
      action: 'Block',
    });
    const again = await bench.run('defender.add_indicator', {
      indicatorType: 'IpAddress',
      indicatorValue: '203.0.113.7',
    });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations().filter((r) => r.path === '/api/indicators')).toHaveLength(1);
    const removed = await bench.run(added.undo!.action, added.undo!.input);
    expect(removed.output).toMatchObject({ removed: true });
    expect(state.indicators).toHaveLength(0);
  });

  it('refuses to block a protected address', async () => {
    await bench.protect('ip', '10.0.0.0/8');
    const err = await failureOf(
      bench.run('defender.add_indicator', { indicatorType: 'IpAddress', indicatorValue: '10.1.2.3' }),
    );
    expect(err).toMatchObject({ code: 'CONNECTOR_PROTECTED_ASSET' });
    expect(server.requests).toHaveLength(0);
  });

  it('hunts an indicator with a KQL query built from its type', async () => {
    const sha = 'A'.repeat(64);
    const result = await bench.run('defender.hunt_indicator', { type: 'sha256', value: sha, days: 3 });
    expect(result.output).toEqual({ rows: state.huntingRows, columns: ['DeviceId', 'DeviceName', 'Hits'] });
    expect(state.lastQuery).toContain(`where SHA256 == '${'a'.repeat(64)}'`);
    expect(state.lastQuery).toContain('ago(3d)');
  });

  it('waits out a 429 with Retry-After and retries the hunting query', async () => {
    await bench.run('defender.advanced_hunting', { query: 'DeviceInfo | take 1' });
    server.failNext({
      status: 429,
      headers: { 'Retry-After': '2' },
      body: {
        error: {
          code: 'TooManyRequests',
          message: 'API calls quota exceeded! Maximum allowed 45 per minute.',
        },
      },
    });
    const result = await bench.run('defender.advanced_hunting', { query: 'DeviceInfo | take 1' });
    expect(result.output).toMatchObject({ columns: ['DeviceId', 'DeviceName', 'Hits'] });
    expect(bench.sleeps).toEqual([2000]);
  });

  it('tests the instance by listing one machine', async () => {
    const outcome = await bench.runtime.testInstance('defender-test', AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({ ok: true, connector: 'defender' });
    expect(server.requests.at(-1)?.query.get('$top')).toBe('1');
  });
});
