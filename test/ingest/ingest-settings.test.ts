import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import {
  DEFAULT_INGEST_BATCH_SIZE,
  DEFAULT_INGEST_SETTINGS,
  MAX_CORRELATION_WINDOW_MS,
  MAX_DEDUP_WINDOW_MS,
} from '../../src/app/ingest/ingest-settings.js';
import { patchIngestSettings, type IngestSettingsView } from '../../src/app/ingest/configure-ingest.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { saveIngestSettingsJson } from '../../src/store/alerts/ingest-settings.repository.js';
import { asRole, buildTestApi, createTestContext, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { openPgBlocker, type PgBlocker } from '../support/pg-blocker.js';
import { waitFor } from '../support/waiting.js';

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

/** The rules' audit entries, oldest first. */
const auditedChanges = async (handle: TestStoreHandle) =>
  (
    await handle.store.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'ingest_settings.updated')
      .orderBy('seq')
      .execute()
  ).map((r) => JSON.parse(r.details) as { before: unknown; after: unknown });

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
  const put = (payload: unknown, role: 'admin' | 'analyst' = 'admin', method: 'PUT' | 'PATCH' = 'PUT') =>
    api.app.inject({
      method,
      url: '/api/v1/ingest/settings',
      payload: JSON.stringify(payload),
      headers: { ...json, ...asRole(role) },
    });
  const patch = (payload: unknown, role: 'admin' | 'analyst' = 'admin') => put(payload, role, 'PATCH');
  const inForce = async () =>
    (
      await api.app.inject({ method: 'GET', url: '/api/v1/ingest/settings', headers: asRole('analyst') })
    ).json();
  /** Each problem of a 400, as `path: message`. */
  const problems = (res: { json(): { details: Array<{ path: string; message: string }> } }) =>
    res.json().details.map((d) => `${d.path}: ${d.message}`);

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

  it('refuses fingerprint keys that name nothing in an alert, blank or repeated, naming each', async () => {
    const typo = await put({ fingerprintKeys: ['origin.ruleId', 'titel'] });
    expect(typo.statusCode).toBe(400);
    expect(problems(typo)).toEqual([
      expect.stringMatching(/^body\.fingerprintKeys\.1: "titel" is not a field of an alert/),
    ]);
    expect(problems(await put({ fingerprintKeys: [' '] }))).toEqual(['body.fingerprintKeys.0: is empty']);
    expect(problems(await put({ fingerprintKeys: ['title', 'observables.src', ' title '] }))).toEqual([
      expect.stringMatching(/^body\.fingerprintKeys\.1: "src" is neither a role nor a type of observable/),
      'body.fingerprintKeys.2: repeats fingerprintKeys.0',
    ]);
    expect(problems(await patch({ fingerprintKeys: ['origin.rule_id'] }))).toEqual([
      expect.stringMatching(/^body\.fingerprintKeys\.0: "rule_id" is not a field of origin/),
    ]);
    expect((await inForce()).configured).toBe(false);

    // Trimmed, and any path into the raw event is accepted: its shape is the source's.
    const ok = await put({ fingerprintKeys: [' title ', 'raw.event.flow_id'] });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().settings.fingerprintKeys).toEqual(['title', 'raw.event.flow_id']);
    // Two different detections stay two alerts.
    const malware = await ingest(JSON.stringify({ id: 'x1', title: 'Malware on host A', severity: 'high' }));
    const ransom = await ingest(
      JSON.stringify({ id: 'x2', title: 'Ransom note on host B', severity: 'high' }),
    );
    expect([malware.json().accepted, ransom.json().accepted]).toEqual([1, 1]);
  });

  it('refuses unknown fields at every level, naming them, and changes nothing', async () => {
    await put({ correlation: { windowMs: 60_000 } });
    for (const [body, expected] of [
      [{ corelation: { enabled: false } }, /^body: unknown field "corelation" \(fields: batchSize, /],
      [{ dedup: { window: 60_000 } }, /^body\.dedup: unknown field "window" \(fields: enabled, windowMs\)$/],
      [{ correlation: { byRul: false } }, /^body\.correlation: unknown field "byRul" \(fields: enabled, /],
    ] as const) {
      for (const send of [put, patch]) {
        const res = await send(body);
        expect(res.statusCode).toBe(400);
        expect(problems(res)).toEqual([expect.stringMatching(expected)]);
      }
    }
    expect((await inForce()).settings.correlation.windowMs).toBe(60_000);
    expect(await auditedChanges(handle)).toHaveLength(1);
  });

  it('bounds the windows and refuses an empty list of significant observable types', async () => {
    const longest = await put({
      dedup: { windowMs: MAX_DEDUP_WINDOW_MS },
      correlation: { windowMs: MAX_CORRELATION_WINDOW_MS },
    });
    expect(longest.statusCode).toBe(200);
    const over = await put({
      dedup: { windowMs: MAX_DEDUP_WINDOW_MS + 1 },
      correlation: { windowMs: Number.MAX_SAFE_INTEGER },
    });
    expect(problems(over)).toEqual([
      'body.dedup.windowMs: is over 30 days (2592000000 ms)',
      'body.correlation.windowMs: is over 90 days (7776000000 ms)',
    ]);
    expect(problems(await patch({ correlation: { observableTypes: [] } }))).toEqual([
      'body.correlation.observableTypes: lists no type: to group on none, set byObservable to false',
    ]);
  });

  it('PUT replaces the whole document; PATCH changes the fields given and keeps the others', async () => {
    await put({ dedup: { windowMs: 3_600_000 }, correlation: { windowMs: 60_000, byRule: false } });
    const patched = await patch({ correlation: { enabled: false }, fingerprintKeys: ['title'] });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      configured: true,
      settings: {
        fingerprintKeys: ['title'],
        dedup: { enabled: true, windowMs: 3_600_000 },
        correlation: { enabled: false, windowMs: 60_000, byRule: false, byObservable: true },
      },
    });
    expect((await inForce()).settings).toEqual(patched.json().settings);
    // Each change is audited with the rules it replaced.
    const [, patchAudit] = await auditedChanges(handle);
    expect(patchAudit).toMatchObject({
      before: { fingerprintKeys: DEFAULT_INGEST_SETTINGS.fingerprintKeys, correlation: { enabled: true } },
      after: { fingerprintKeys: ['title'], correlation: { enabled: false, windowMs: 60_000 } },
    });

    const replaced = await put({ correlation: { enabled: true } });
    expect(replaced.json().settings).toEqual({
      ...DEFAULT_INGEST_SETTINGS,
      correlation: { ...DEFAULT_INGEST_SETTINGS.correlation, enabled: true },
    });
    expect((await patch({ batchSize: 5 }, 'analyst')).statusCode).toBe(403);
  });

  it('applies stored rules an older version accepted, leaving out fingerprint keys that name nothing', async () => {
    // Stored before keys were checked: every alert of a source had the same fingerprint.
    await saveIngestSettingsJson(
      handle.store.db,
      {
        settings: JSON.stringify({ ...DEFAULT_INGEST_SETTINGS, fingerprintKeys: ['titel'] }),
        updatedBy: 'admin',
      },
      1,
    );
    const malware = await ingest(JSON.stringify({ id: 'x1', title: 'Malware on host A', severity: 'high' }));
    const ransom = await ingest(
      JSON.stringify({ id: 'x2', title: 'Ransom note on host B', severity: 'high' }),
    );
    expect(malware.statusCode).toBe(200);
    expect([malware.json().accepted, ransom.json().accepted]).toEqual([1, 1]);
    expect(await inForce()).toMatchObject({
      configured: true,
      settings: { fingerprintKeys: DEFAULT_INGEST_SETTINGS.fingerprintKeys },
    });
    expect(api.logs.join('')).toMatch(/titel: \\"titel\\" is not a field of an alert/);
    expect(api.logs.join('')).toMatch(/no stored fingerprint key names anything; the default keys apply/);
  });

  it("keeps an upgraded operator's rules past today's bounds, and asks for them to be mended on the next change", async () => {
    // A 45-day window and correlation off, as an earlier version took them: not the defaults on upgrade day.
    const earlier = {
      ...DEFAULT_INGEST_SETTINGS,
      fingerprintKeys: ['origin.product', 'origin.ruleId', 'raw.host.id'],
      dedup: { enabled: true, windowMs: 45 * 86_400_000 },
      correlation: { ...DEFAULT_INGEST_SETTINGS.correlation, enabled: false, observableTypes: [] },
    };
    await saveIngestSettingsJson(
      handle.store.db,
      { settings: JSON.stringify(earlier), updatedBy: 'admin' },
      1,
    );
    expect(await inForce()).toMatchObject({ configured: true, settings: earlier });
    const mend = await patch({ batchSize: 500 });
    expect(mend.statusCode).toBe(400);
    expect(mend.json().details.map((d: { path: string }) => d.path)).toContain('body.dedup.windowMs');
    // Nothing was written over them.
    expect(await inForce()).toMatchObject({ configured: true, settings: earlier });
  });

  it('applies stored rules with a field a newer version added, less that field', async () => {
    const newer = { ...DEFAULT_INGEST_SETTINGS, dedup: { enabled: false, windowMs: 60_000, byTenant: true } };
    await saveIngestSettingsJson(
      handle.store.db,
      { settings: JSON.stringify({ ...newer, suppression: { enabled: true } }), updatedBy: 'admin' },
      1,
    );
    expect(await inForce()).toMatchObject({
      configured: true,
      settings: { dedup: { enabled: false, windowMs: 60_000 } },
    });
    expect((await inForce()).settings.dedup).not.toHaveProperty('byTenant');
    expect((await ingest(sighting('a1'))).json()).toMatchObject({ accepted: 1 });
    expect((await ingest(sighting('a2'))).json()).toMatchObject({ accepted: 1 });
  });

  it('audits a change that leaves the stored rules as they were not at all', async () => {
    expect((await patch({ dedup: { windowMs: 60_000 } })).statusCode).toBe(200);
    expect(await auditedChanges(handle)).toHaveLength(1);
    const again = await patch({
      dedup: { windowMs: 60_000 },
      batchSize: (await inForce()).settings.batchSize,
    });
    // Answered as any change is: 200 and the rules.
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ configured: true, settings: { dedup: { windowMs: 60_000 } } });
    expect(await auditedChanges(handle)).toHaveLength(1);
    expect((await patch({ dedup: { windowMs: 120_000 } })).statusCode).toBe(200);
    expect(await auditedChanges(handle)).toHaveLength(2);
  });

  it('audits what each of two changes made at once replaced, and loses neither patch', async () => {
    const [first, second] = await Promise.all([
      patch({ dedup: { windowMs: 60_000 } }),
      patch({ correlation: { windowMs: 120_000 } }),
    ]);
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect((await inForce()).settings).toMatchObject({
      dedup: { windowMs: 60_000 },
      correlation: { windowMs: 120_000 },
    });
    const [a, b] = await auditedChanges(handle);
    expect(b?.before).toEqual(a?.after);
  });
});

/**
 * Two changes of the rules at once on PostgreSQL, made to overlap for certain: a third connection holds the
 * audit chain's head, where the first change stops before its commit, and the second starts meanwhile.
 */
describe('overlapping changes of the ingest rules on postgres', () => {
  let handle: TestStoreHandle;
  let ctx: ReturnType<typeof createTestContext>;
  let blocker: PgBlocker;
  beforeEach(async () => {
    handle = await openTestStore('postgres');
    ctx = createTestContext(handle.store);
    blocker = await openPgBlocker(handle.options.databaseSchema as string);
  });
  afterEach(async () => {
    await blocker.close();
    await handle.cleanup();
  });

  it.each([
    ['before any rules are stored', false],
    ['over stored rules', true],
  ])('the later change, %s, replaces what the earlier committed', async (_, stored) => {
    if (stored) await patchIngestSettings(ctx, { batchSize: 500 }, SYSTEM_ACTOR);
    await blocker.hold('select 1 from audit_head for update');
    let first: Promise<IngestSettingsView> | undefined;
    let second: Promise<IngestSettingsView> | undefined;
    try {
      first = patchIngestSettings(ctx, { dedup: { windowMs: 60_000 } }, SYSTEM_ACTOR);
      await waitFor('the first change to wait', async () => (await blocker.waiting()) >= 1);
      second = patchIngestSettings(ctx, { correlation: { windowMs: 120_000 } }, SYSTEM_ACTOR);
      await waitFor('the second change to wait', async () => (await blocker.waiting()) >= 2);
    } finally {
      await blocker.release();
    }
    const [, last] = await Promise.all([first, second]);
    // Each audit entry's `before` is what that change replaced, and neither change is lost.
    const [earlier, later] = (await auditedChanges(handle)).slice(-2);
    expect(earlier?.after).toMatchObject({ dedup: { windowMs: 60_000 } });
    expect(later?.before).toEqual(earlier?.after);
    expect(last?.settings).toMatchObject({
      batchSize: stored ? 500 : DEFAULT_INGEST_BATCH_SIZE,
      dedup: { windowMs: 60_000 },
      correlation: { windowMs: 120_000 },
    });
  });
});
