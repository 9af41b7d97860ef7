import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { opnsenseConnector } from '../../../src/connectors/vendors/opnsense/opnsense.connector.js';
import { opnsenseFake, type OpnsenseState } from '../fakes/opnsense.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const KEY = 'w86XNZob/8Oq8aC5r0kbNarNtdpoQU781fyoeaOBQsBwkXUt';
const SECRET = 'XeD26XVrJ5ilAc/EmglCRC+0j2e57tRsjHwFepOseySWLM53pJASeTA3';

describe('opnsense connector against a fake OPNsense API', () => {
  let state: OpnsenseState;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = {
      apiKey: KEY,
      apiSecret: SECRET,
      aliases: new Map([
        ['riposte_blocklist', { type: 'external' as const, entries: [] as string[] }],
        ['lan_hosts', { type: 'host' as const, entries: [] as string[] }],
      ]),
    };
    server = await startFakeVendor(opnsenseFake(state));
    bench = await createBench(opnsenseConnector, { baseUrl: server.url, apiKey: KEY, apiSecret: SECRET });
  });
  afterEach(async () => {
    await bench.close();
    await server.close();
  });

  it('adds an address to the block alias with Basic key:secret, once', async () => {
    const result = await bench.run('opnsense.block_ip', { address: '203.0.113.7/32' });
    expect(result.output).toEqual({ alias: 'riposte_blocklist', address: '203.0.113.7' });
    const add = server.mutations()[0];
    expect(add?.path).toBe('/api/firewall/alias_util/add/riposte_blocklist');
    expect(add?.json).toEqual({ address: '203.0.113.7' });
    const again = await bench.run('opnsense.block_ip', { address: '203.0.113.7' });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations()).toHaveLength(1);
    expect(state.aliases.get('riposte_blocklist')?.entries).toEqual(['203.0.113.7']);
  });

  it('undoes the block (OpenC2 deny then its undo)', async () => {
    const blocked = await bench.run(
      'openc2.deny.ipv4_net',
      { ipv4_net: '198.51.100.0/24' },
      { instance: 'opnsense-test' },
    );
    await bench.run(blocked.undo!.action, blocked.undo!.input);
    expect(state.aliases.get('riposte_blocklist')?.entries).toEqual([]);
    expect(server.mutations().map((r) => r.path)).toEqual([
      '/api/firewall/alias_util/add/riposte_blocklist',
      '/api/firewall/alias_util/delete/riposte_blocklist',
    ]);
  });

  it('explains a "failed" answer from an alias that is not External', async () => {
    await bench.close();
    bench = await createBench(opnsenseConnector, {
      baseUrl: server.url,
      apiKey: KEY,
      apiSecret: SECRET,
      blockAlias: 'lan_hosts',
    });
    const err = await failureOf(bench.run('opnsense.block_ip', { address: '203.0.113.7' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_REQUEST_REJECTED', retryable: false });
    expect(err.message).toContain('External (advanced)');
  });

  it('refuses a protected address', async () => {
    await bench.protect('ip', '203.0.113.7');
    expect(await failureOf(bench.run('opnsense.block_ip', { address: '203.0.113.7' }))).toMatchObject({
      code: 'CONNECTOR_PROTECTED_ASSET',
    });
  });

  it('fails with a non-retryable auth error naming neither key nor secret', async () => {
    state.apiSecret = 'another-secret-value';
    const err = await failureOf(bench.run('opnsense.block_ip', { address: '203.0.113.7' }));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false });
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain(KEY);
  });

  it('tests the instance by listing the alias', async () => {
    const outcome = await bench.runtime.testInstance('opnsense-test', AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({ ok: true });
  });
});
