import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { crowdstrikeConnector } from '../../../src/connectors/vendors/crowdstrike/crowdstrike.connector.js';
import { crowdstrikeFake, type FalconState } from '../fakes/crowdstrike.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const AID = '0d5a6c6f1d2e4b5c8a9b0c1d2e3f4a5b';
const SHA = '8a86c4eecf12446ff273afc03e1b3a09a911d0b7981db1af58cb45c439161295';
const SECRET = 'falcon-client-secret-1234';

describe('crowdstrike connector against a fake Falcon API', () => {
  let state: FalconState;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = {
      clientId: 'falcon-client-id',
      clientSecret: SECRET,
      devices: [{ device_id: AID, hostname: 'WS-FIN-042', status: 'normal' }],
      iocs: [],
      sightings: { [SHA]: [AID] },
      alerts: [
        {
          composite_id: 'cid:ind:aid:1',
          severity: 70,
          status: 'new',
          device: { device_id: AID, hostname: 'WS-FIN-042' },
        },
      ],
      tokens: new Set(),
    };
    server = await startFakeVendor(crowdstrikeFake(state));
    bench = await createBench(crowdstrikeConnector, {
      baseUrl: server.url,
      clientId: state.clientId,
      clientSecret: SECRET,
    });
  });
  afterEach(async () => {
    await bench.close();
    await server.close();
  });

  it('contains a host found by hostname, with a form-encoded token request and the bearer token', async () => {
    const result = await bench.run('crowdstrike.contain_host', { hostname: 'WS-FIN-042' });
    expect(result.output).toEqual({ deviceId: AID, hostname: 'WS-FIN-042', status: 'containment_pending' });
    expect(result.undo).toEqual({ action: 'crowdstrike.lift_containment', input: { deviceId: AID } });
    expect(result.containmentId).toBeDefined();
    const token = server.requests[0];
    expect(token?.path).toBe('/oauth2/token');
    expect(token?.form.get('client_id')).toBe('falcon-client-id');
    const action = server.mutations().find((r) => r.path === '/devices/entities/devices-actions/v2');
    expect(action?.query.get('action_name')).toBe('contain');
    expect(action?.json).toEqual({ ids: [AID] });
    expect(state.devices[0]?.status).toBe('containment_pending');
  });

  it('sends no second containment when the host is already contained, and reuses the cached token', async () => {
    await bench.run('crowdstrike.contain_host', { deviceId: AID });
    const again = await bench.run('crowdstrike.contain_host', { deviceId: AID });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations().filter((r) => r.path.includes('devices-actions'))).toHaveLength(1);
    expect(server.requests.filter((r) => r.path === '/oauth2/token')).toHaveLength(1);
  });

  it('undoes the containment with the recorded undo action', async () => {
    const contained = await bench.run('crowdstrike.contain_host', { deviceId: AID });
    state.devices[0]!.status = 'contained';
    const undo = contained.undo!;
    const lifted = await bench.run(undo.action, undo.input);
    expect(lifted.output).toMatchObject({ deviceId: AID, status: 'lift_containment_pending' });
    expect(state.devices[0]?.status).toBe('lift_containment_pending');
    expect(lifted.containmentId).toBeUndefined();
  });

  it('refuses a protected host before calling Falcon', async () => {
    await bench.protect('host', 'WS-FIN-042');
    const err = await failureOf(bench.run('crowdstrike.contain_host', { hostname: 'WS-FIN-042' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_PROTECTED_ASSET', retryable: false });
    expect(server.requests).toHaveLength(0);
  });

  it('fails with a non-retryable auth error, without the secret, when the client is refused', async () => {
    state.clientSecret = 'rotated-elsewhere';
    const err = await failureOf(bench.run('crowdstrike.hunt_indicator', { type: 'sha256', value: SHA }));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false, status: 403 });
    expect(err.message).not.toContain(SECRET);
  });

  it('fetches a new token when the cached one is about to expire (30-minute Falcon tokens)', async () => {
    await bench.run('crowdstrike.hunt_indicator', { type: 'sha256', value: SHA });
    bench.clock.advance(28 * 60_000);
    await bench.run('crowdstrike.hunt_indicator', { type: 'sha256', value: SHA });
    expect(server.requests.filter((r) => r.path === '/oauth2/token')).toHaveLength(1);
    bench.clock.advance(60_000);
    await bench.run('crowdstrike.hunt_indicator', { type: 'sha256', value: SHA });
    expect(server.requests.filter((r) => r.path === '/oauth2/token')).toHaveLength(2);
  });

  it('gets a new token once when Falcon refuses a cached one', async () => {
    await bench.run('crowdstrike.hunt_indicator', { type: 'sha256', value: SHA });
    state.tokens.clear();
    const again = await bench.run('crowdstrike.hunt_indicator', { type: 'sha256', value: SHA });
    expect(again.output).toMatchObject({ deviceIds: [AID] });
    expect(server.requests.filter((r) => r.path === '/oauth2/token')).toHaveLength(2);
  });

  it('adds a hash IOC as prevent, does not add it twice, and removes it through the undo', async () => {
    const added = await bench.run('crowdstrike.add_ioc', { type: 'sha256', value: SHA });
    expect(added.output).toMatchObject({ type: 'sha256', value: SHA, action: 'prevent' });
    const sent = server
      .mutations()
      .find((r) => r.method === 'POST' && r.path === '/iocs/entities/indicators/v1');
    expect(sent?.json).toMatchObject({
      indicators: [{ type: 'sha256', value: SHA, applied_globally: true }],
    });
    const again = await bench.run('crowdstrike.add_ioc', { type: 'sha256', value: SHA });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations().filter((r) => r.path === '/iocs/entities/indicators/v1')).toHaveLength(1);
    const removed = await bench.run(added.undo!.action, added.undo!.input);
    expect(removed.output).toEqual({ id: (added.output as { id: string }).id, removed: true });
    expect(state.iocs).toHaveLength(0);
  });

  it('adds an IP IOC as detect (Falcon refuses prevent for network indicators) via OpenC2 deny', async () => {
    const result = await bench.run(
      'openc2.deny.ipv4_net',
      { ipv4_net: '203.0.113.7/32' },
      { instance: 'crowdstrike-test' },
    );
    expect(result.output).toMatchObject({ type: 'ipv4', value: '203.0.113.7', action: 'detect' });
  });

  it('hunts an indicator: devices that saw it, and none (404) for an unseen one', async () => {
    const seen = await bench.run('crowdstrike.hunt_indicator', { type: 'sha256', value: SHA });
    expect(seen.output).toEqual({ type: 'sha256', value: SHA, deviceIds: [AID], total: 1 });
    const unseen = await bench.run('crowdstrike.hunt_indicator', { type: 'ipv4', value: '198.51.100.1' });
    expect(unseen.output).toMatchObject({ deviceIds: [], total: 0 });
  });

  it('searches alerts by FQL and fetches their details', async () => {
    const result = await bench.run('crowdstrike.search_alerts', { filter: "device.hostname:'WS-FIN-042'" });
    expect(result.output).toEqual({
      alerts: [
        {
          id: 'cid:ind:aid:1',
          severity: 70,
          status: 'new',
          description: null,
          createdAt: null,
          deviceId: AID,
          hostname: 'WS-FIN-042',
        },
      ],
    });
  });

  it('tests the instance with a harmless device query', async () => {
    const outcome = await bench.runtime.testInstance('crowdstrike-test', AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({ ok: true, connector: 'crowdstrike' });
  });
});
