import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { DEFAULT_INGEST_BATCH_SIZE } from '../../src/app/ingest/ingest-settings.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const json = { 'content-type': 'application/json' };

// Two sightings of one detection: different event ids, same rule and parties, so one fingerprint.
const sighting = (id: string) =>
  JSON.stringify({
    id,
    title: 'Port scan',
    severity: 'high',
    rule: { id: 'scan-1' },
    src_ip: '45.33.32.156',
    dest_ip: '10.0.0.5',
  });

describe.each(DIALECTS)('ingest settings on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }]);
  });
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const ingest = (payload: string) =>
    api.app.inject({
      method: 'POST',
      url: '/api/v1/alerts?source=custom',
      payload,
      headers: { ...json, ...asRole('ingest') },
    });
  const put = (payload: unknown, role: 'admin' | 'analyst' = 'admin') =>
    api.app.inject({
      method: 'PUT',
      url: '/api/v1/ingest/settings',
      payload: JSON.stringify(payload),
      headers: { ...json, ...asRole(role) },
    });

  it('applies the defaults until an admin changes them, and every ingest call follows the stored rules', async () => {
    const initial = await api.app.inject({
      method: 'GET',
      url: '/api/v1/ingest/settings',
      headers: asRole('analyst'),
    });
    expect(initial.statusCode).toBe(200);
    expect(initial.json()).toMatchObject({
      configured: false,
      settings: { dedup: { enabled: true }, correlation: { enabled: true, byRule: true } },
    });
    expect((await ingest(sighting('a1'))).json()).toMatchObject({ accepted: 1 });
    expect((await ingest(sighting('a2'))).json()).toMatchObject({
      duplicates: 1,
      items: [{ status: 'duplicate', reason: 'fingerprint' }],
    });

    const changed = await put({ dedup: { enabled: false }, correlation: { enabled: false } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      configured: true,
      updatedBy: expect.any(String),
      settings: {
        dedup: { enabled: false },
        correlation: { enabled: false },
        batchSize: DEFAULT_INGEST_BATCH_SIZE,
      },
    });
    const third = await ingest(sighting('a3'));
    expect(third.json()).toMatchObject({ accepted: 1, casesCreated: 1 });
    const stored = await api.app.inject({
      method: 'GET',
      url: `/api/v1/alerts/${third.json().items[0].alertId}`,
      headers: asRole('analyst'),
    });
    expect(stored.json().correlation).toMatchObject({
      decision: 'new_case',
      reason: expect.stringMatching(/correlation is off/),
    });

    // Back on, grouping by rule only and within a minute: the stored decision records that window.
    await put({ correlation: { byRule: true, byObservable: false, windowMs: 60_000 } });
    const fourth = await ingest(
      JSON.stringify({ id: 'b1', title: 'Other', rule: { id: 'scan-1' }, src_ip: '203.0.113.9' }),
    );
    expect(fourth.json()).toMatchObject({ accepted: 1, casesCreated: 0 });
    const joined = await api.app.inject({
      method: 'GET',
      url: `/api/v1/alerts/${fourth.json().items[0].alertId}`,
      headers: asRole('analyst'),
    });
    expect(joined.json().correlation).toMatchObject({
      decision: 'joined_case',
      rule: 'same_rule',
      windowMs: 60_000,
    });

    const audit = await handle.store.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('action', '=', 'ingest_settings.updated')
      .execute();
    expect(audit).toHaveLength(2);
    expect(JSON.parse(audit[0]?.details ?? '{}')).toMatchObject({
      before: { dedup: { enabled: true } },
      after: { dedup: { enabled: false } },
    });
  });

  it('refuses invalid rules with a 400 naming the field, and non-admins with 403', async () => {
    const bad = await put({ dedup: { windowMs: -1 }, correlation: { observableTypes: ['nope'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    const paths = (bad.json().details as Array<{ path: string }>).map((d) => d.path).join(' ');
    expect(paths).toMatch(/dedup\.windowMs/);
    expect(paths).toMatch(/correlation\.observableTypes/);
    expect((await put({}, 'analyst')).statusCode).toBe(403);
    const still = await api.app.inject({
      method: 'GET',
      url: '/api/v1/ingest/settings',
      headers: asRole('analyst'),
    });
    expect(still.json().configured).toBe(false);
  });
});
