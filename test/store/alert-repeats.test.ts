import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import {
  insertAlertObservables,
  insertAlerts,
  recordRepeats,
} from '../../src/store/alerts/alert.repository.js';
import { addObservablesToCases } from '../../src/store/alerts/alert-case-batch.repository.js';
import { createCase } from '../../src/store/cases/case.repository.js';
import { testAlert } from '../support/alerts.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

const alert = testAlert({ title: 'repeated' });

describe.each(DIALECTS)('recordRepeats on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(async () => handle.cleanup());

  it('counts a batch of repeats and marks their case links seen in a few statements, not one per alert', async () => {
    const db = handle.store.db;
    const kase = await db
      .transaction()
      .execute((trx) =>
        createCase(trx, { newId: newTestId }, { title: 't', severity: 'low', actor: SYSTEM_ACTOR }, 0),
      );
    const ids = Array.from({ length: 300 }, () => newTestId());
    await insertAlerts(
      db,
      ids.map((id, i) => ({
        id,
        source: 'ids',
        mapper: 'test',
        fingerprint: `fp-${i}`,
        alert,
        caseId: kase.id,
        correlation: null,
        now: 1_000,
      })),
    );
    // Alert i carries observable i; a link of the case that no repeated alert carries stays as it was.
    await insertAlertObservables(
      db,
      ids.map((alertId, i) => ({ alertId, observableId: `o-${i}`, role: 'source' })),
    );
    await addObservablesToCases(
      db,
      new Map([[kase.id, [...ids.map((_, i) => `o-${i}`), 'o-other']]]),
      'alert',
      1_000,
    );

    let statements = 0;
    const counting = db.withPlugin({
      transformQuery: ({ node }) => {
        statements += 1;
        return node;
      },
      transformResult: ({ result }) => Promise.resolve(result),
    });
    // Most seen once more, a few twice more.
    const repeats = new Map(ids.slice(0, 250).map((id, i) => [id, i < 10 ? 2 : 1]));
    await recordRepeats(counting, repeats, 5_000);
    expect(statements).toBeLessThanOrEqual(3);

    const alerts = await db.selectFrom('alerts').select(['id', 'count', 'last_seen']).execute();
    const byId = new Map(alerts.map((a) => [a.id, a]));
    expect(byId.get(ids[0] as string)).toMatchObject({ count: 3 });
    expect(Number(byId.get(ids[0] as string)?.last_seen)).toBe(5_000);
    expect(byId.get(ids[20] as string)?.count).toBe(2);
    expect(byId.get(ids[299] as string)?.count).toBe(1);
    expect(Number(byId.get(ids[299] as string)?.last_seen)).toBe(1_000);
    const links = await db
      .selectFrom('case_observables')
      .select(['observable_id', 'last_seen'])
      .where('case_id', '=', kase.id)
      .execute();
    const seen = new Map(links.map((l) => [l.observable_id, Number(l.last_seen)]));
    expect(seen.get('o-0')).toBe(5_000);
    expect(seen.get('o-249')).toBe(5_000);
    expect(seen.get('o-250')).toBe(1_000);
    expect(seen.get('o-other')).toBe(1_000);
  });
});
