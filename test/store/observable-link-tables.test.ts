import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CompiledQuery } from 'kysely';
import { upsertObservables } from '../../src/store/alerts/observable.repository.js';
import { queryPlan } from '../support/query-plans.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

describe.each(DIALECTS)('migration 0017_a (observable link tables) on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    // The schema as the last migration before 0017_a left it, built by the migrations themselves.
    handle = await openTestStore(dialect, { upTo: '0016_a_alerts_fingerprint_prefix' });
  });
  afterEach(async () => {
    await handle.cleanup();
  });

  /** Rows in the three tables as 0016 left them (rowid tables on SQLite, two indexes on `observables`). */
  async function rowsBefore(): Promise<void> {
    const rows = [
      { id: 'obs-1', type: 'ipv4', value: '203.0.113.7' },
      { id: 'obs-2', type: 'domain', value: 'evil.example' },
      { id: 'obs-3', type: 'hostname', value: 'evil.example' },
    ];
    await handle.store.db
      .insertInto('observables')
      .values(
        rows.map((r) => ({
          ...r,
          scope: null,
          verdict: null,
          verdict_source: null,
          tags: '[]',
          first_seen: 1,
          last_seen: 2,
        })),
      )
      .execute();
    await handle.store.db
      .insertInto('alert_observables')
      .values([
        { alert_id: 'alert-1', observable_id: 'obs-1', role: 'source' },
        { alert_id: 'alert-1', observable_id: 'obs-2', role: 'destination' },
        { alert_id: 'alert-2', observable_id: 'obs-1', role: 'affected' },
      ])
      .execute();
    await handle.store.db
      .insertInto('case_observables')
      .values([
        { case_id: 'case-1', observable_id: 'obs-1', origin: 'alert', added_at: 1, last_seen: 5 },
        { case_id: 'case-2', observable_id: 'obs-2', origin: 'analyst', added_at: 3, last_seen: null },
      ])
      .execute();
  }

  async function migrate(): Promise<void> {
    const { applied } = await handle.store.migrate({ upTo: '0017_a_observable_link_tables' });
    expect(applied).toEqual(['0017_a_observable_link_tables']);
  }

  it('keeps every row of the link tables and every observable', async () => {
    await rowsBefore();
    await migrate();
    const db = handle.store.db;
    expect(
      await db
        .selectFrom('alert_observables')
        .selectAll()
        .orderBy('alert_id')
        .orderBy('observable_id')
        .execute(),
    ).toEqual([
      { alert_id: 'alert-1', observable_id: 'obs-1', role: 'source' },
      { alert_id: 'alert-1', observable_id: 'obs-2', role: 'destination' },
      { alert_id: 'alert-2', observable_id: 'obs-1', role: 'affected' },
    ]);
    const links = await db.selectFrom('case_observables').selectAll().orderBy('case_id').execute();
    expect(
      links.map((l) => ({
        ...l,
        added_at: Number(l.added_at),
        last_seen: l.last_seen === null ? null : Number(l.last_seen),
      })),
    ).toEqual([
      { case_id: 'case-1', observable_id: 'obs-1', origin: 'alert', added_at: 1, last_seen: 5 },
      { case_id: 'case-2', observable_id: 'obs-2', origin: 'analyst', added_at: 3, last_seen: null },
    ]);
    expect(await db.selectFrom('observables').select('id').orderBy('id').execute()).toEqual([
      { id: 'obs-1' },
      { id: 'obs-2' },
      { id: 'obs-3' },
    ]);
  });

  it('still rejects a second link for the same key, as the primary keys did', async () => {
    await rowsBefore();
    await migrate();
    await expect(
      handle.store.db
        .insertInto('case_observables')
        .values({ case_id: 'case-1', observable_id: 'obs-1', origin: 'alert', added_at: 9, last_seen: 9 })
        .execute(),
    ).rejects.toThrow(/unique|duplicate/i);
    await expect(
      handle.store.db
        .insertInto('alert_observables')
        .values({ alert_id: 'alert-1', observable_id: 'obs-1', role: 'source' })
        .execute(),
    ).rejects.toThrow(/unique|duplicate/i);
  });

  it('clusters the link tables on their primary keys on SQLite, and leaves one index for observables', async () => {
    await rowsBefore();
    await migrate();
    if (dialect === 'sqlite') {
      const { rows } = await handle.store.db.executeQuery<{ name: string; sql: string }>(
        CompiledQuery.raw(
          "select name, sql from sqlite_master where type = 'table' and name in ('alert_observables', 'case_observables') order by name",
        ),
      );
      expect(rows.map((r) => r.name)).toEqual(['alert_observables', 'case_observables']);
      for (const r of rows) expect(r.sql).toMatch(/without rowid$/i);
    }
    const { rows: indexes } = await handle.store.db.executeQuery<{ name: string }>(
      dialect === 'sqlite'
        ? CompiledQuery.raw(
            "select name from sqlite_master where type = 'index' and tbl_name = 'observables' and sql is not null",
          )
        : CompiledQuery.raw(
            "select indexname as name from pg_indexes where tablename = 'observables' and schemaname = current_schema() and indexname <> 'observables_pkey'",
          ),
    );
    expect(indexes.map((r) => r.name)).toEqual(['observables_value_type']);
  });

  it('upserts a sighting onto the observable already stored, and finds observables by value alone through the index', async () => {
    await rowsBefore();
    await migrate();
    const db = handle.store.db;
    const ids = await upsertObservables(
      db,
      { newId: newTestId },
      [
        { type: 'domain', value: 'evil.example' },
        { type: 'url', value: 'http://evil.example/' },
      ],
      10,
    );
    expect(ids.get('domain:evil.example')).toBe('obs-2');
    const seen = await db
      .selectFrom('observables')
      .select('last_seen')
      .where('id', '=', 'obs-2')
      .executeTakeFirstOrThrow();
    expect(Number(seen.last_seen)).toBe(10);
    const byValue = db.selectFrom('observables').select('id').where('value', '=', 'evil.example').compile();
    expect(await queryPlan(handle.store, byValue)).toContain('observables_value_type');
  });
});
