import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { toSubnet } from '../../../src/connectors/vendors/fortigate/fortigate-api.js';
import { fortigateConnector } from '../../../src/connectors/vendors/fortigate/fortigate.connector.js';
import { fortigateFake, type FortiState } from '../fakes/fortigate.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const KEY = 'fortios-rest-api-key-0123';

describe('fortigate connector against a fake FortiOS REST API', () => {
  let state: FortiState;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = {
      apiKey: KEY,
      vdom: 'root',
      addresses: new Map(),
      groups: new Map([['riposte-blocklist', []]]),
      banned: new Map(),
    };
    server = await startFakeVendor(fortigateFake(state));
    bench = await createBench(fortigateConnector, { baseUrl: server.url, apiKey: KEY });
  });
  afterEach(async () => {
    await bench.close();
    await server.close();
  });

  it('writes subnets as FortiOS does', () => {
    expect(toSubnet('203.0.113.7')).toBe('203.0.113.7 255.255.255.255');
    expect(toSubnet('198.51.100.0/22')).toBe('198.51.100.0 255.255.252.0');
  });

  it('blocks an address: address object, then group member, in the VDOM, with the bearer key', async () => {
    const result = await bench.run('fortigate.block_ip', { ip: '203.0.113.7/32' });
    expect(result.output).toEqual({
      address: 'riposte-203.0.113.7',
      group: 'riposte-blocklist',
      subnet: '203.0.113.7 255.255.255.255',
    });
    expect(server.mutations().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v2/cmdb/firewall/address',
      'POST /api/v2/cmdb/firewall/addrgrp/riposte-blocklist/member',
    ]);
    expect(server.requests.every((r) => r.query.get('vdom') === 'root')).toBe(true);
    expect(state.groups.get('riposte-blocklist')).toEqual(['riposte-203.0.113.7']);
  });

  it('sends nothing when the address is already in the block group', async () => {
    await bench.run('fortigate.block_ip', { ip: '203.0.113.7' });
    const again = await bench.run('fortigate.block_ip', { ip: '203.0.113.7' });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations()).toHaveLength(2);
  });

  it('undoes the block: member removed, address object deleted; a second undo changes nothing', async () => {
    const blocked = await bench.run(
      'openc2.deny.ipv4_net',
      { ipv4_net: '198.51.100.0/24' },
      { instance: 'fortigate-test' },
    );
    expect(blocked.undo).toEqual({ action: 'fortigate.unblock_ip', input: { ip: '198.51.100.0/24' } });
    const undone = await bench.run(blocked.undo!.action, blocked.undo!.input);
    expect(undone.output).toEqual({ address: 'riposte-198.51.100.0_24', removed: true });
    expect(state.groups.get('riposte-blocklist')).toEqual([]);
    expect(state.addresses.size).toBe(0);
    const again = await bench.run(blocked.undo!.action, blocked.undo!.input);
    expect(again.alreadyApplied).toBe(true);
  });

  it('says how to fix a missing block group', async () => {
    state.groups.clear();
    const err = await failureOf(bench.run('fortigate.block_ip', { ip: '203.0.113.7' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_NOT_CONFIGURED', retryable: false });
    expect(err.message).toContain('reference it from a deny policy');
  });

  it('bans and unbans an address, not banning twice', async () => {
    const banned = await bench.run('fortigate.ban_ip', { ip: '203.0.113.7', expirySeconds: 600 });
    expect(state.banned.get('203.0.113.7')).toBe(600);
    const again = await bench.run('fortigate.ban_ip', { ip: '203.0.113.7' });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations().filter((r) => r.path.endsWith('/add_users'))).toHaveLength(1);
    await bench.run(banned.undo!.action, banned.undo!.input);
    expect(state.banned.size).toBe(0);
  });

  it('refuses a protected address', async () => {
    await bench.protect('ip', '203.0.113.0/24');
    expect(await failureOf(bench.run('fortigate.block_ip', { ip: '203.0.113.7' }))).toMatchObject({
      code: 'CONNECTOR_PROTECTED_ASSET',
    });
  });

  it('fails with a non-retryable auth error on a bad key, naming no key', async () => {
    state.apiKey = 'another-key-entirely';
    const err = await failureOf(bench.run('fortigate.block_ip', { ip: '203.0.113.7' }));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false, status: 401 });
    expect(err.message).not.toContain(KEY);
  });

  it('tests the instance with the system status', async () => {
    const outcome = await bench.runtime.testInstance('fortigate-test', AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({ ok: true, message: expect.stringContaining('FGVM02TM20000000') });
  });
});
