import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { wazuhConnector } from '../../../src/connectors/vendors/wazuh/wazuh.connector.js';
import { wazuhFake, type WazuhState } from '../fakes/wazuh.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const PASSWORD = 'wazuh-api-password-1';

describe('wazuh connector against a fake Wazuh server API', () => {
  let state: WazuhState;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = {
      username: 'riposte',
      password: PASSWORD,
      tokens: new Set(),
      agents: { '001': 'active', '002': 'disconnected' },
      sent: [],
    };
    server = await startFakeVendor(wazuhFake(state));
    bench = await createBench(wazuhConnector, {
      baseUrl: server.url,
      username: 'riposte',
      password: PASSWORD,
    });
  });
  afterEach(async () => {
    await bench.close();
    await server.close();
  });

  it('drops an address on agents with firewall-drop, reporting agents it could not reach', async () => {
    const result = await bench.run('wazuh.block_ip', { ip: '203.0.113.7', agents: ['001', '002'] });
    expect(result.output).toEqual({
      command: '!firewall-drop',
      affectedAgents: ['001'],
      failedAgents: [{ agent: '002', error: 'Agent is not active' }],
    });
    const put = server.mutations().find((r) => r.method === 'PUT');
    expect(put?.query.get('agents_list')).toBe('001,002');
    expect(put?.json).toEqual({ command: '!firewall-drop', alert: { data: { srcip: '203.0.113.7' } } });
    expect(state.sent).toHaveLength(1);
    expect(result.containmentId).toBeDefined();
  });

  it('authenticates once with Basic credentials and reuses the JWT until it is refused', async () => {
    await bench.run('wazuh.block_ip', { ip: '203.0.113.7', agents: ['001'] });
    await bench.run('wazuh.block_ip', { ip: '203.0.113.8', agents: ['001'] });
    expect(server.requests.filter((r) => r.path === '/security/user/authenticate')).toHaveLength(1);
    state.tokens.clear();
    await bench.run('wazuh.block_ip', { ip: '203.0.113.9', agents: ['001'] });
    expect(server.requests.filter((r) => r.path === '/security/user/authenticate')).toHaveLength(2);
    expect(state.sent.map((s) => (s.alert as { data: { srcip: string } }).data.srcip)).toEqual([
      '203.0.113.7',
      '203.0.113.8',
      '203.0.113.9',
    ]);
  });

  it('fails clearly when no agent received the command', async () => {
    const err = await failureOf(bench.run('wazuh.block_ip', { ip: '203.0.113.7', agents: ['002', '999'] }));
    expect(err).toMatchObject({ code: 'CONNECTOR_REQUEST_REJECTED', retryable: false });
    expect(err.message).toContain('002: Agent is not active');
    expect(err.message).toContain('999: Agent does not exist');
  });

  it('runs a custom active response with arguments', async () => {
    const result = await bench.run('wazuh.run_active_response', {
      command: 'restart-wazuh',
      agents: ['001'],
      arguments: ['-now'],
    });
    expect(result.output).toMatchObject({ command: 'restart-wazuh', affectedAgents: ['001'] });
    expect(state.sent[0]).toMatchObject({ command: 'restart-wazuh', arguments: ['-now'] });
  });

  it('refuses a protected address and an unsafe command name', async () => {
    await bench.protect('ip', '203.0.113.0/24');
    expect(
      await failureOf(bench.run('wazuh.block_ip', { ip: '203.0.113.7', agents: ['001'] })),
    ).toMatchObject({
      code: 'CONNECTOR_PROTECTED_ASSET',
    });
    expect(
      await failureOf(bench.run('wazuh.run_active_response', { command: 'x; rm -rf /', agents: ['001'] })),
    ).toMatchObject({
      code: 'CONNECTOR_INVALID_INPUT',
    });
    expect(state.sent).toHaveLength(0);
  });

  it('fails with a non-retryable auth error naming no password', async () => {
    state.password = 'changed-password-2';
    const err = await failureOf(bench.run('wazuh.block_ip', { ip: '203.0.113.7', agents: ['001'] }));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false });
    expect(err.message).not.toContain(PASSWORD);
  });

  it('tests the instance with the API root', async () => {
    const outcome = await bench.runtime.testInstance('wazuh-test', AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({ ok: true, message: 'Wazuh API 4.9.2 accepted the credentials' });
  });

  describe('as a place to hunt', () => {
    const SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
    beforeEach(() => {
      state.agents['003'] = 'active';
      state.inventory = {
        '001': { name: 'web-01', ip: '10.0.0.21', platform: 'ubuntu' },
        '002': { name: 'db-01', ip: '10.0.0.31', platform: 'rhel' },
        '003': { name: 'build-01', ip: '10.0.0.41', platform: 'ubuntu' },
      };
      const file = (path: string, sha256: string) => ({
        file: path,
        md5: 'a'.repeat(32),
        sha1: 'b'.repeat(40),
        sha256,
        mtime: '2026-11-30T09:12:44Z',
      });
      state.files = {
        '001': [file('/usr/bin/ls', 'c'.repeat(64))],
        '003': [file('/tmp/.x/kworker', SHA256), file('/usr/bin/ls', 'c'.repeat(64))],
      };
    });

    it('finds agents by address with the documented query parameters', async () => {
      const result = await bench.run('wazuh.list_agents', { ip: '10.0.0.41' });
      expect(result.output).toEqual({
        agents: [{ id: '003', name: 'build-01', ip: '10.0.0.41', status: 'active', platform: 'ubuntu' }],
        total: 1,
      });
      const get = server.requests.find((r) => r.path === '/agents');
      expect(get?.query.get('ip')).toBe('10.0.0.41');
      expect(get?.query.get('select')).toContain('os.platform');
      expect(get?.headers.authorization).toMatch(/^Bearer /);
    });

    it('hunts a hash across every active agent, case-insensitively, reading only', async () => {
      const result = await bench.run('wazuh.hunt_file_hash', { hash: SHA256.toUpperCase() });
      expect(result.output).toEqual({
        hash: SHA256,
        agentsSearched: 2,
        hits: [{ agent: '003', file: '/tmp/.x/kworker', mtime: '2026-11-30T09:12:44Z' }],
      });
      const fim = server.requests.filter((r) => r.path.startsWith('/syscheck/'));
      expect(fim.map((r) => r.path)).toEqual(['/syscheck/001', '/syscheck/003']);
      expect(fim[0]?.query.get('hash')).toBe(SHA256);
      expect(server.mutations().filter((r) => r.path !== '/security/user/authenticate')).toHaveLength(0);
    });

    it('fails clearly for an agent Wazuh does not know, and refuses a value that is not a hash', async () => {
      const err = await failureOf(bench.run('wazuh.hunt_file_hash', { hash: SHA256, agents: ['009'] }));
      expect(err).toMatchObject({ code: 'CONNECTOR_REQUEST_REJECTED', retryable: false });
      expect(err.message).toContain('Agent does not exist');
      expect(await failureOf(bench.run('wazuh.hunt_file_hash', { hash: 'not-a-hash' }))).toMatchObject({
        code: 'CONNECTOR_INVALID_INPUT',
      });
    });

    it('waits out a 429 from the API before hunting', async () => {
      server.failNext(
        { status: 429, headers: { 'retry-after': '1' }, body: { title: 'Too Many Requests', error: 6001 } },
        (r) => r.path === '/agents',
      );
      await bench.run('wazuh.list_agents', {});
      expect(bench.sleeps).toContain(1_000);
    });
  });
});
