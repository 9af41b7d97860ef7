import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CompiledQuery } from 'kysely';
import {
  findAlertsBySourceEventIds,
  insertAlerts,
  recordRepeatEventIds,
} from '../../src/store/alerts/alert.repository.js';
import { testAlert } from '../support/alerts.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

describe.each(DIALECTS)('migration 0018_a (alert event ids) on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    // The schema as the last migration before 0018_a left it, built by the migrations themselves.
    handle = await openTestStore(dialect, { upTo: '0017_a_observable_link_tables' });
  });
  afterEach(async () => {
    await handle.cleanup();
  });

  /** Two alerts as 0017_a left them, one with a source event id and one without. */
  async function rowsBefore(): Promise<void> {
    await insertAlerts(handle.store.db, [
      {
        id: 'alert-1',
        source: 'idp',
        mapper: 'test',
        fingerprint: 'fp-1',
        alert: testAlert({ sourceEventId: 'e1' }),
        caseId: 'case-1',
        correlation: null,
        now: 1_000,
        count: 3,
      },
      {
        id: 'alert-2',
        source: 'idp',
        mapper: 'test',
        fingerprint: 'fp-2',
        alert: testAlert(),
        caseId: null,
        correlation: null,
        now: 2_000,
      },
    ]);
  }

  const alerts = () =>
    handle.store.db
      .selectFrom('alerts')
      .select(['id', 'source_event_id', 'count', 'case_id'])
      .orderBy('id')
      .execute();

  async function migrate(): Promise<void> {
    const { applied } = await handle.store.migrate({ upTo: '0018_a_alert_event_ids' });
    expect(applied).toEqual(['0018_a_alert_event_ids']);
  }

  it('keeps every alert, and still finds an alert stored before by its event id', async () => {
    await rowsBefore();
    const before = await alerts();
    await migrate();
    expect(await alerts()).toEqual(before);
    expect(await handle.store.db.selectFrom('alert_event_ids').selectAll().execute()).toEqual([]);
    const found = await findAlertsBySourceEventIds(handle.store.db, 'idp', ['e1', 'e2']);
    expect([...found]).toEqual([['e1', { id: 'alert-1', caseId: 'case-1' }]]);
  });

  it("finds a repeat's event id with the case its alert is in now, and keeps one alert per event id", async () => {
    await rowsBefore();
    await migrate();
    const db = handle.store.db;
    await recordRepeatEventIds(db, 'idp', [{ eventId: 'e2', alertId: 'alert-1' }], 5_000);
    await db.updateTable('alerts').set({ case_id: 'case-9' }).where('id', '=', 'alert-1').execute();
    const found = await findAlertsBySourceEventIds(db, 'idp', ['e1', 'e2', 'e3']);
    expect(Object.fromEntries(found)).toEqual({
      e1: { id: 'alert-1', caseId: 'case-9' },
      e2: { id: 'alert-1', caseId: 'case-9' },
    });
    // Per source, as `alerts_source_event` is.
    expect((await findAlertsBySourceEventIds(db, 'other', ['e2'])).size).toBe(0);
    await expect(
      recordRepeatEventIds(db, 'idp', [{ eventId: 'e2', alertId: 'alert-2' }], 6_000),
    ).rejects.toThrow(/unique|duplicate/i);
  });

  it('forgets event ids a week old, oldest first, as new ones are recorded', async () => {
    await migrate();
    const db = handle.store.db;
    const day = 86_400_000;
    const t0 = 10 * day;
    for (let i = 0; i < 5; i += 1)
      await recordRepeatEventIds(db, 'idp', [{ eventId: `old-${i}`, alertId: 'alert-1' }], t0 + i);
    const kept = () =>
      db
        .selectFrom('alert_event_ids')
        .select('source_event_id')
        .orderBy('at')
        .execute()
        .then((rows) => rows.map((r) => r.source_event_id));
    // Six days on, nothing is old enough to go.
    await recordRepeatEventIds(db, 'idp', [{ eventId: 'new-0', alertId: 'alert-1' }], t0 + 6 * day);
    expect(await kept()).toEqual(['old-0', 'old-1', 'old-2', 'old-3', 'old-4', 'new-0']);
    // A week and more on: each new one takes up to two of the oldest with it.
    await recordRepeatEventIds(db, 'idp', [{ eventId: 'new-1', alertId: 'alert-1' }], t0 + 8 * day);
    expect(await kept()).toEqual(['old-2', 'old-3', 'old-4', 'new-0', 'new-1']);
    await recordRepeatEventIds(
      db,
      'idp',
      ['new-2', 'new-3'].map((eventId) => ({ eventId, alertId: 'alert-1' })),
      t0 + 8 * day,
    );
    expect(await kept()).toEqual(['new-0', 'new-1', 'new-2', 'new-3']);
  });

  it('clusters the table on its primary key on SQLite', async () => {
    await migrate();
    if (dialect !== 'sqlite') return;
    const { rows } = await handle.store.db.executeQuery<{ sql: string }>(
      CompiledQuery.raw("select sql from sqlite_master where type = 'table' and name = 'alert_event_ids'"),
    );
    expect(rows[0]?.sql).toMatch(/without rowid$/i);
  });
});
