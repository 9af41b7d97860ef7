import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pfsenseConnector } from '../../../src/connectors/vendors/pfsense/pfsense.connector.js';
import { pfsenseFake, type PfsenseState } from '../fakes/pfsense.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const KEY = 'b1a2c3d4e5f60718293a4b5c6d7e8f90';

describe('pfsense connector against a fake pfSense REST API v2', () => {
  let state: PfsenseState;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = {
      apiKey: KEY,
      aliases: [
        { id: 0, name: 'lan_servers', type: 'host', address: ['10.0.0.5'], detail: ['dns'] },
        { id: 1, name: 'riposte_blocklist', type: 'network', address: ['192.0.2.1'], detail: ['manual'] },
        { id: 2, name: 'web_ports', type: 'port', address: ['443'], detail: [''] },
      ],
      pending: false,
      applied: 0,
    };
    server = await startFakeVendor(pfsenseFake(state));
    bench = await createBench(pfsenseConnector, { baseUrl: server.url, apiKey: KEY });
  });
  afterEach(async () => {
    await bench.close();
    await server.close();
  });

  it('adds an address to the block alias with X-API-Key, applies the filter, and does it once', async () => {
    const result = await bench.run('pfsense.block_ip', { address: '203.0.113.7/32' });
    expect(result.output).toEqual({ alias: 'riposte_blocklist', address: '203.0.113.7' });
    expect(result.undo).toEqual({ action: 'pfsense.unblock_ip', input: { address: '203.0.113.7' } });
    const [lookup] = server.requests;
    expect(lookup?.path).toBe('/api/v2/firewall/aliases');
    expect(lookup?.query.get('name')).toBe('riposte_blocklist');
    const [patch, apply] = server.mutations();
    expect(patch).toMatchObject({ method: 'PATCH', path: '/api/v2/firewall/alias' });
    expect(patch?.json).toMatchObject({ id: 1, address: ['192.0.2.1', '203.0.113.7'] });
    expect((patch?.json as { detail: string[] }).detail[0]).toBe('manual');
    expect(apply).toMatchObject({ method: 'POST', path: '/api/v2/firewall/apply' });
    expect(state).toMatchObject({ pending: false, applied: 1 });

    const again = await bench.run('pfsense.block_ip', { address: '203.0.113.7' });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations()).toHaveLength(2);
  });

  it('undoes the block, keeping the other entries and their descriptions (OpenC2 deny, then its undo)', async () => {
    const blocked = await bench.run(
      'openc2.deny.ipv4_net',
      { ipv4_net: '198.51.100.0/24' },
      { instance: 'pfsense-test' },
    );
    expect(state.aliases[1]?.address).toEqual(['192.0.2.1', '198.51.100.0/24']);
    await bench.run(blocked.undo!.action, blocked.undo!.input);
    expect(state.aliases[1]).toMatchObject({ address: ['192.0.2.1'], detail: ['manual'] });
    expect(state.applied).toBe(2);
  });

  it('rides out a 429 with Retry-After and a 503 on the PATCH (a whole-list PATCH is safe to repeat)', async () => {
    server.failNext({
      status: 429,
      headers: { 'retry-after': '2' },
      body: { code: 429, status: 'too many requests' },
    });
    server.failNext(
      { status: 503, body: { code: 503, status: 'service unavailable' } },
      (r) => r.method === 'PATCH',
    );
    await bench.run('pfsense.block_ip', { address: '203.0.113.9' });
    expect(bench.sleeps[0]).toBe(2_000);
    expect(state.aliases[1]?.address).toContain('203.0.113.9');
    expect(server.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
  });

  it('explains a missing alias, or one that is not a host or network alias', async () => {
    for (const blockAlias of ['nope', 'web_ports']) {
      await bench.close();
      bench = await createBench(pfsenseConnector, { baseUrl: server.url, apiKey: KEY, blockAlias });
      const err = await failureOf(bench.run('pfsense.block_ip', { address: '203.0.113.7' }));
      expect(err).toMatchObject({ code: 'CONNECTOR_NOT_CONFIGURED', retryable: false });
      expect(err.message).toContain(blockAlias);
    }
    expect(server.mutations()).toHaveLength(0);
  });

  it('refuses a protected address before calling pfSense', async () => {
    await bench.protect('ip', '203.0.113.0/24');
    expect(await failureOf(bench.run('pfsense.block_ip', { address: '203.0.113.7' }))).toMatchObject({
      code: 'CONNECTOR_PROTECTED_ASSET',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('fails with a non-retryable auth error that does not name the key', async () => {
    state.apiKey = 'another-key-0000000000000000';
    const err = await failureOf(bench.run('pfsense.block_ip', { address: '203.0.113.7' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false });
    expect(err.message).toContain('AUTH_AUTHENTICATION_FAILED');
    expect(err.message).not.toContain(KEY);
  });

  it('tests the instance by reading the alias', async () => {
    await expect(
      bench.runtime.testInstance('pfsense-test', AbortSignal.timeout(5_000)),
    ).resolves.toMatchObject({
      ok: true,
      connector: 'pfsense',
    });
  });
});
