import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import type { CompiledQuery } from 'kysely';
import {
  findOpenCasesByRules,
  findRecentByFingerprints,
  insertAlerts,
} from '../../src/store/alerts/alert.repository.js';
import { createCase } from '../../src/store/cases/case.repository.js';
import { findOpenCasesByObservables } from '../../src/store/cases/case-observable-seen.repository.js';
import { queryPlan } from '../support/query-plans.js';
import { testAlert } from '../support/alerts.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

const alert = (product: string | null, ruleId: string) =>
  testAlert({
    title: `rule ${ruleId}`,
    severity: 'medium',
    origin: { product, vendor: null, ruleId, ruleName: null },
  });

describe.each(DIALECTS)('findOpenCasesByRules on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(async () => handle.cleanup());

  const openCase = () =>
    handle.store.db
      .transaction()
      .execute(async (trx) =>
        createCase(trx, { newId: newTestId }, { title: 't', severity: 'low', actor: SYSTEM_ACTOR }, 0),
      );
  const store = (caseId: string, product: string | null, ruleId: string, seen: number) =>
    insertAlerts(handle.store.db, [
      {
        id: newTestId(),
        source: 'test',
        mapper: 'test',
        fingerprint: newTestId(),
        alert: alert(product, ruleId),
        caseId,
        correlation: null,
        now: seen,
      },
    ]);

  it("answers, per rule, the open case of the rule's latest alert within the window", async () => {
    const older = await openCase();
    const newer = await openCase();
    const closed = await openCase();
    const other = await openCase();
    await store(older.id, 'ids', 'r1', 1_000);
    await store(newer.id, 'ids', 'r1', 2_000);
    await store(older.id, 'ids', 'r1', 1_500);
    // The latest alert of r1 sits in a closed case: skipped, the next open one answers.
    await store(closed.id, 'ids', 'r1', 3_000);
    await handle.store.db
      .updateTable('cases')
      .set({ status: 'closed' })
      .where('id', '=', closed.id)
      .execute();
    // Same rule id, another product (and none): separate rules.
    await store(other.id, 'edr', 'r1', 2_500);
    await store(other.id, null, 'r2', 2_600);
    // Outside the window.
    await store(other.id, 'ids', 'r3', 100);

    const found = await findOpenCasesByRules(
      handle.store.db,
      [
        { product: 'ids', ruleId: 'r1' },
        { product: 'ids', ruleId: 'r1' },
        { product: 'edr', ruleId: 'r1' },
        { product: null, ruleId: 'r2' },
        { product: 'ids', ruleId: 'r3' },
        { product: 'ids', ruleId: 'unknown' },
      ],
      500,
    );
    const byRule = Object.fromEntries(found.map((f) => [`${f.product}/${f.ruleId}`, f]));
    expect(found).toHaveLength(3);
    expect(byRule['ids/r1']).toMatchObject({ caseId: newer.id, lastSeen: 2_000 });
    expect(byRule['edr/r1']).toMatchObject({ caseId: other.id, lastSeen: 2_500 });
    expect(byRule['null/r2']).toMatchObject({ caseId: other.id, lastSeen: 2_600 });

    // A merged case no longer takes alerts either.
    await handle.store.db
      .updateTable('cases')
      .set({ merged_into: older.id })
      .where('id', '=', newer.id)
      .execute();
    const afterMerge = await findOpenCasesByRules(handle.store.db, [{ product: 'ids', ruleId: 'r1' }], 500);
    expect(afterMerge).toEqual([{ product: 'ids', ruleId: 'r1', caseId: older.id, lastSeen: 1_500 }]);
  });

  it('looks up more rules than one statement holds', async () => {
    const kase = await openCase();
    for (let i = 0; i < 230; i += 1) await store(kase.id, 'ids', `bulk-${i}`, 1_000 + i);
    const rules = Array.from({ length: 230 }, (_, i) => ({ product: 'ids', ruleId: `bulk-${i}` }));
    const found = await findOpenCasesByRules(handle.store.db, rules, 0);
    expect(found).toHaveLength(230);
    expect(found.find((f) => f.ruleId === 'bulk-229')?.lastSeen).toBe(1_229);
  });
});

describe.each(DIALECTS)('findOpenCasesByObservables on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(async () => handle.cleanup());

  const openCase = () =>
    handle.store.db
      .transaction()
      .execute(async (trx) =>
        createCase(trx, { newId: newTestId }, { title: 't', severity: 'low', actor: SYSTEM_ACTOR }, 0),
      );
  const seen = (caseId: string, observableId: string, at: number | null) =>
    handle.store.db
      .insertInto('case_observables')
      .values({ case_id: caseId, observable_id: observableId, origin: 'alert', added_at: 0, last_seen: at })
      .execute();

  it('answers, per observable, the open case that saw it last within the window, ties to the greatest case id', async () => {
    const [a, b, c, closed, merged] = [
      await openCase(),
      await openCase(),
      await openCase(),
      await openCase(),
      await openCase(),
    ];
    if (!a || !b || !c || !closed || !merged) throw new Error('cases not opened');
    await seen(a.id, 'o1', 1_000);
    await seen(b.id, 'o1', 2_000);
    await seen(c.id, 'o1', 2_000);
    await seen(closed.id, 'o1', 3_000);
    await seen(merged.id, 'o1', 3_000);
    await handle.store.db
      .updateTable('cases')
      .set({ status: 'closed' })
      .where('id', '=', closed.id)
      .execute();
    await handle.store.db
      .updateTable('cases')
      .set({ merged_into: a.id })
      .where('id', '=', merged.id)
      .execute();
    // Added by hand (never seen with an alert), and seen before the window.
    await seen(a.id, 'o2', null);
    await seen(b.id, 'o3', 100);
    await seen(a.id, 'o4', 900);

    const found = await findOpenCasesByObservables(
      handle.store.db,
      ['o1', 'o2', 'o3', 'o4', 'o1', 'none'],
      500,
    );
    const tie = [b.id, c.id].sort()[1];
    expect(found.sort((x, y) => (x.observableId < y.observableId ? -1 : 1))).toEqual([
      { observableId: 'o1', caseId: tie, lastSeen: 2_000 },
      { observableId: 'o4', caseId: a.id, lastSeen: 900 },
    ]);
  });
});

describe.each(DIALECTS)('findRecentByFingerprints on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(async () => handle.cleanup());

  const store = (fingerprint: string, seen: number) =>
    insertAlerts(handle.store.db, [
      {
        id: newTestId(),
        source: 'test',
        mapper: 'test',
        fingerprint,
        alert: alert('ids', 'r1'),
        caseId: null,
        correlation: null,
        now: seen,
      },
    ]);
  const fp = (head: string, tail: string) => `${head.padEnd(16, '0')}${tail.padEnd(48, '0')}`;

  it('answers the latest alert of each fingerprint within the window, fingerprints that share a prefix apart', async () => {
    await store(fp('a', '1'), 1_000);
    await store(fp('a', '1'), 2_000);
    // Same first 16 characters, another fingerprint: its own answer, never the other's.
    await store(fp('a', '2'), 3_000);
    await store(fp('b', '1'), 100);
    const found = await findRecentByFingerprints(
      handle.store.db,
      [fp('a', '1'), fp('a', '3'), fp('b', '1'), fp('c', '1')],
      500,
    );
    expect([...found.keys()]).toEqual([fp('a', '1')]);
    const latest = await handle.store.db
      .selectFrom('alerts')
      .select('id')
      .where('fingerprint', '=', fp('a', '1'))
      .where('last_seen', '=', 2_000)
      .executeTakeFirstOrThrow();
    expect(found.get(fp('a', '1'))?.id).toBe(latest.id);
  });

  it('finds alerts stored before the prefix index existed, once migration 0016_a has run', async () => {
    // The schema as 0015 left it (the whole fingerprint indexed), built by the migrations themselves.
    await handle.cleanup();
    handle = await openTestStore(dialect, { upTo: '0015_e_drop_alerts_time' });
    await store(fp('d', '1'), 1_000);
    await handle.store.migrate({ upTo: '0016_a_alerts_fingerprint_prefix' });
    const found = await findRecentByFingerprints(handle.store.db, [fp('d', '1')], 500);
    expect([...found.keys()]).toEqual([fp('d', '1')]);
  });

  it('is planned on the fingerprint prefix index, not a scan of the table', async () => {
    // The statement as it is sent: the lookup runs a statement compiled once, not a query built per call.
    const sent: CompiledQuery[] = [];
    const db = handle.store.db;
    const recording = new Proxy(db, {
      get(target, property) {
        if (property === 'executeQuery')
          return (query: CompiledQuery) => {
            sent.push(query);
            return target.executeQuery(query);
          };
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await findRecentByFingerprints(recording, [fp('a', '1'), fp('b', '2')], 500);
    const query = sent[0];
    if (!query) throw new Error('no query ran');
    expect(await queryPlan(handle.store, query)).toContain('alerts_fingerprint_prefix');
  });
});
