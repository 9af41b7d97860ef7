import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorRoutes } from '../../src/api/connectors/connectors.routes.js';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { ManualClock } from '../../src/domain/shared/clock.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { blocklistFake } from './fakes/blocklist.fake.js';
import { startFakeServer, type FakeServer } from './fakes/fake-server.js';
import { testKeyring } from './support/connector-harness.js';

const SECRET = 'vt-super-secret-key-0001';
const TOKEN = 'bl-token-000000000001';

describe.each(DIALECTS)('connectors API on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  let server: FakeServer;
  const entries = new Set<string>();

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    const keyring = testKeyring();
    const registry = createBuiltinRegistry();
    const routes = [
      { name: 'connectors', plugin: createConnectorRoutes(() => ({ registry, keyring: () => keyring })) },
    ];
    api = await buildTestApi(handle.store, routes, { clock: new ManualClock(1_700_000_000_000) });
    server = await startFakeServer(blocklistFake({ token: TOKEN, entries }));
  });
  afterAll(async () => {
    await api.app.close();
    await server.close();
    await handle.cleanup();
  });

  const admin = asRole('admin');

  it('lists connector types with JSON Schemas, secrets write-only', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/api/v1/connector-types',
      headers: asRole('viewer'),
    });
    expect(res.statusCode).toBe(200);
    const vt = (
      res.json() as Array<{
        name: string;
        secretKeys: string[];
        configSchema: { properties: Record<string, { writeOnly?: boolean }> };
      }>
    ).find((c) => c.name === 'virustotal');
    expect(vt?.secretKeys).toEqual(['apiKey']);
    expect(vt?.configSchema.properties.apiKey?.writeOnly).toBe(true);
  });

  it('creates an instance and never returns or logs its secret', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: admin,
      payload: {
        name: 'vt-prod',
        connector: 'virustotal',
        config: { apiKey: SECRET, timeoutMs: 5000 },
        isDefault: true,
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toContain(SECRET);
    expect(res.json()).toMatchObject({
      name: 'vt-prod',
      secrets: { apiKey: 'set' },
      config: { timeoutMs: 5000 },
    });
    const list = await api.app.inject({
      method: 'GET',
      url: '/api/v1/connectors',
      headers: asRole('viewer'),
    });
    expect(list.body).not.toContain(SECRET);
    expect(api.logs.join('')).not.toContain(SECRET);
  });

  it('updates settings without resending the secret', async () => {
    const res = await api.app.inject({
      method: 'PATCH',
      url: '/api/v1/connectors/vt-prod',
      headers: admin,
      payload: { config: { timeoutMs: 9000 } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ config: { timeoutMs: 9000 }, secrets: { apiKey: 'set' } });
  });

  it('audits only the settings a change altered, by name, and nothing when it altered none', async () => {
    const patch = (config: Record<string, unknown>) =>
      api.app.inject({
        method: 'PATCH',
        url: '/api/v1/connectors/vt-prod',
        headers: admin,
        payload: { config },
      });
    const updates = async () =>
      (await readAuditEntries(handle.store.db, 0, 100_000))
        .filter((e) => e.action === 'connector.updated' && e.target.id === 'vt-prod')
        .map((e) => e.details);
    const already = await updates();
    const same = await patch({ timeoutMs: 9000, apiKey: SECRET });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toMatchObject({ config: { timeoutMs: 9000 }, secrets: { apiKey: 'set' } });
    expect(await updates()).toEqual(already);
    expect((await patch({ timeoutMs: 9500, apiKey: SECRET })).statusCode).toBe(200);
    expect((await updates()).slice(already.length)).toEqual([{ changed: ['timeoutMs'] }]);
  });

  it('refuses bad config with the failing setting named, and unknown connectors', async () => {
    const bad = await api.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: admin,
      payload: { name: 'vt2', connector: 'virustotal', config: { timeoutMs: 1 } },
    });
    expect(bad.statusCode).toBe(400);
    const paths = (bad.json() as { details: Array<{ path: string }> }).details.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['config.apiKey', 'config.timeoutMs']));
    const unknown = await api.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: admin,
      payload: { name: 'x', connector: 'nope', config: {} },
    });
    expect(unknown.statusCode).toBe(400);
    const dup = await api.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: admin,
      payload: { name: 'vt-prod', connector: 'virustotal', config: { apiKey: SECRET } },
    });
    expect(dup.statusCode).toBe(409);
  });

  it('requires connectors:write to change and connectors:read to see', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: asRole('viewer'),
      payload: { name: 'v', connector: 'virustotal', config: {} },
    });
    expect(res.statusCode).toBe(403);
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/connectors' })).statusCode).toBe(401);
  });

  it('tests an instance against its endpoint, with a clear failure', async () => {
    await api.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: admin,
      payload: { name: 'fw', connector: 'blocklist', config: { baseUrl: server.url, token: TOKEN } },
    });
    const ok = await api.app.inject({
      method: 'POST',
      url: '/api/v1/connectors/fw/test',
      headers: asRole('playbook_author'),
    });
    expect(ok.json()).toMatchObject({ ok: true, connector: 'blocklist' });
    await api.app.inject({
      method: 'PATCH',
      url: '/api/v1/connectors/fw',
      headers: admin,
      payload: { config: { token: 'wrong-token-xyz' } },
    });
    const bad = await api.app.inject({ method: 'POST', url: '/api/v1/connectors/fw/test', headers: admin });
    expect(bad.json()).toMatchObject({ ok: false });
    expect((bad.json() as { message: string }).message).toMatch(/refused the credentials/);
    expect(bad.body).not.toContain('wrong-token-xyz');
    await api.app.inject({
      method: 'PATCH',
      url: '/api/v1/connectors/fw',
      headers: admin,
      payload: { config: { token: TOKEN } },
    });
  });

  it('manages protected assets and lists, undoes containments', async () => {
    const bad = await api.app.inject({
      method: 'POST',
      url: '/api/v1/protected-assets',
      headers: admin,
      payload: { kind: 'ip', value: 'dc01', reason: 'x' },
    });
    expect(bad.statusCode).toBe(400);
    const ok = await api.app.inject({
      method: 'POST',
      url: '/api/v1/protected-assets',
      headers: admin,
      payload: { kind: 'ip', value: '10.0.0.0/8', reason: 'internal' },
    });
    expect(ok.statusCode).toBe(201);
    expect(
      (
        await api.app.inject({ method: 'GET', url: '/api/v1/protected-assets', headers: asRole('viewer') })
      ).json(),
    ).toHaveLength(1);
    const none = await api.app.inject({
      method: 'GET',
      url: '/api/v1/containments?status=active',
      headers: asRole('viewer'),
    });
    expect(none.json()).toEqual([]);
    const missing = await api.app.inject({
      method: 'POST',
      url: '/api/v1/containments/nope/undo',
      headers: asRole('responder'),
    });
    expect(missing.statusCode).toBe(404);
  });

  it('deletes an instance', async () => {
    expect(
      (await api.app.inject({ method: 'DELETE', url: '/api/v1/connectors/vt-prod', headers: admin }))
        .statusCode,
    ).toBe(204);
    expect(
      (await api.app.inject({ method: 'GET', url: '/api/v1/connectors/vt-prod', headers: admin })).statusCode,
    ).toBe(404);
  });
});
