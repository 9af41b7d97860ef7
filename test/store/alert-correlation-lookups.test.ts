import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NormalizedAlert } from '../../src/domain/alerts/alert.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { findOpenCasesByRules, insertAlerts } from '../../src/store/alerts/alert.repository.js';
import { createCase } from '../../src/store/cases/case.repository.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

const alert = (product: string | null, ruleId: string): NormalizedAlert => ({
  classUid: 2004,
  time: 0,
  title: `rule ${ruleId}`,
  description: null,
  severity: 'medium',
  severityOriginal: null,
  category: null,
  origin: { product, vendor: null, ruleId, ruleName: null },
  sourceEventId: null,
  techniques: [],
  observables: [],
  raw: {},
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
