import { sql, type CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Severity } from '../../src/domain/shared/severity.js';
import {
  insertAlertObservables,
  insertAlerts,
  listAlerts,
  type AlertFilter,
} from '../../src/store/alerts/alert.repository.js';
import { upsertObservables } from '../../src/store/alerts/observable.repository.js';
import { testAlert } from '../support/alerts.js';
import { queryPlan } from '../support/query-plans.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

// 6,000 alerts, alert n received n-th (its id sorts n-th) at time n s, but for some whose time is far from
// their receipt: every 97th sent 3,000 s late (its time older than its neighbours'), every 131st stamped
// 4,000 s ahead. A time range is answered by walking ids or by reading the time index, and an observable
// from its links: each page must be the naive query's, cursor after cursor, whatever the way.
const N = 6_000;
const S = 1_000;
const timeOf = (n: number): number => (n % 131 === 0 ? n + 4_000 : n % 97 === 0 ? n - 3_000 : n) * S;
const severityOf = (n: number): Severity => (['critical', 'high', 'low'] as const)[n % 3] ?? 'low';
const OLD_VALUE = 'old.example';

interface Stored {
  id: string;
  n: number;
  time: number;
  source: string;
  severity: Severity;
  caseId: string | null;
  old: boolean;
}

describe.each(DIALECTS)('listAlerts by time range and observable on %s', (dialect) => {
  let handle: TestStoreHandle;
  let stored: Stored[];
  beforeAll(async () => {
    handle = await openTestStore(dialect);
    const db = handle.store.db;
    const ids = Array.from({ length: N }, () => newTestId()).sort();
    stored = ids.map((id, n) => ({
      id,
      n,
      time: timeOf(n),
      source: `s${n % 4}`,
      severity: severityOf(n),
      caseId: n % 50 === 0 ? 'c1' : null,
      // A value busy long ago: on the 2,500 oldest alerts, then on one in 500.
      old: n < 2_500 || n % 500 === 0,
    }));
    await insertAlerts(
      db,
      stored.map((a) => ({
        id: a.id,
        source: a.source,
        mapper: 'test',
        fingerprint: a.id,
        alert: testAlert({ time: a.time, title: `alert ${a.n}`, severity: a.severity }),
        caseId: a.caseId,
        correlation: null,
        now: a.n,
      })),
    );
    const obs = await upsertObservables(db, { newId: newTestId }, [{ type: 'domain', value: OLD_VALUE }], 0);
    const observableId = obs.get(`domain:${OLD_VALUE}`) ?? '';
    await insertAlertObservables(
      db,
      stored.flatMap((a) =>
        // Some alerts carry it twice (two roles): one alert still.
        a.old
          ? [
              { alertId: a.id, observableId, role: 'affected' },
              ...(a.n % 7 === 0 ? [{ alertId: a.id, observableId, role: 'source' }] : []),
            ]
          : [],
      ),
    );
    // Statistics as a store some hours old has them (autovacuum's, or SQLite's refresh).
    await sql`analyze`.execute(db);
  }, 120_000);
  afterAll(async () => handle.cleanup());

  /** The naive answer: every stored alert the filter keeps, newest first. */
  const naive = (f: Omit<AlertFilter, 'limit' | 'cursor'>): string[] =>
    stored
      .filter(
        (a) =>
          (f.from === undefined || a.time >= f.from) &&
          (f.to === undefined || a.time < f.to) &&
          (!f.source || a.source === f.source) &&
          (!f.severity || f.severity.includes(a.severity)) &&
          (!f.caseId || a.caseId === f.caseId) &&
          (!f.observable || a.old),
      )
      .map((a) => a.id)
      .reverse();

  /** Every page from `cursor` on: the ids in order, and each page's length. */
  async function pages(f: Omit<AlertFilter, 'limit' | 'cursor'>, limit: number, cursor?: string) {
    const ids: string[] = [];
    for (let at = cursor; ;) {
      const page = await listAlerts(handle.store.db, { ...f, limit, ...(at ? { cursor: at } : {}) });
      ids.push(...page.alerts.map((a) => a.id));
      expect(page.alerts.length === limit || page.nextCursor === null, 'only the last page is short').toBe(
        true,
      );
      if (!page.nextCursor) return ids;
      expect(page.nextCursor).toBe(page.alerts[page.alerts.length - 1]?.id);
      at = page.nextCursor;
    }
  }

  const FILTERS: Array<[string, Omit<AlertFilter, 'limit' | 'cursor'>]> = [
    ['the newest 2,500 s (a large range, the newest)', { from: (N - 2_500) * S, to: N * S }],
    ['from only', { from: (N - 3_000) * S }],
    ['to only', { to: 3_000 * S }],
    ['the oldest 2,600 s (a large range, the oldest)', { from: 0, to: 2_600 * S }],
    ['300 s long ago (a small range)', { from: 100 * S, to: 400 * S }],
    ['before every alert', { to: -3_500 * S }],
    ['after every alert', { from: 20_000 * S }],
    ['a range and a source', { from: (N - 2_500) * S, to: N * S, source: 's1' }],
    ['a range and severities', { from: 0, to: 2_600 * S, severity: ['critical', 'low'] }],
    ['a small range and a source', { from: 100 * S, to: 400 * S, source: 's2' }],
    ['a range and a case', { from: 1_000 * S, to: 5_000 * S, caseId: 'c1' }],
    ['an observable busy long ago', { observable: OLD_VALUE }],
    ['the observable and a severity', { observable: OLD_VALUE, severity: ['critical'] }],
    ['the observable and a range', { observable: OLD_VALUE, from: 2_000 * S, to: 5_000 * S }],
    ['the observable and a case', { observable: OLD_VALUE, caseId: 'c1' }],
    ['the observable and a source never seen', { observable: OLD_VALUE, source: 'nowhere' }],
  ];

  it.each(FILTERS)('pages %s as the naive query does, from any cursor', async (_name, f) => {
    const all = naive(f);
    expect(await pages(f, 250)).toEqual(all);
    // Small pages from a cursor deep in the list: the same alerts after it.
    for (const k of [Math.floor(all.length / 3), all.length - 5]) {
      const cursor = all[k];
      if (cursor === undefined) continue;
      const first = await listAlerts(handle.store.db, { ...f, limit: 7, cursor });
      expect(first.alerts.map((a) => a.id)).toEqual(all.slice(k + 1, k + 8));
      expect(first.nextCursor).toBe(all.length > k + 8 ? all[k + 7] : null);
    }
  });

  /** The plans of every statement one page sends. */
  async function plansOf(f: Omit<AlertFilter, 'limit'>): Promise<string[]> {
    const sent: CompiledQuery[] = [];
    const db = handle.store.db;
    const watched = db.withPlugin({
      transformQuery: ({ node, queryId }) => {
        sent.push(db.getExecutor().compileQuery(node, queryId));
        return node;
      },
      transformResult: async ({ result }) => result,
    });
    await listAlerts(watched, { ...f, limit: 50 });
    return Promise.all(sent.map((q) => queryPlan(handle.store, q)));
  }

  // SQLite read every alert of the range through alerts_time_source and sorted them on each page, PostgreSQL
  // walked the primary key from the newest alert however old the range. A large range is walked by id,
  // bounded below; a small one is read from the time index alone.
  it('walks a large range by id, a bounded stretch, and sorts nothing', async () => {
    const cursor = naive({ from: (N - 2_500) * S, to: N * S })[600];
    for (const f of [
      { from: (N - 2_500) * S, to: N * S },
      { from: (N - 2_500) * S, cursor },
    ]) {
      const plans = await plansOf(f);
      for (const plan of plans) expect(plan).not.toMatch(/TEMP B-TREE|Sort|Seq Scan/);
      // The alerts walked lie between the cursor and the alert a walk's length below it.
      expect(plans.join('\n')).toMatch(
        dialect === 'sqlite'
          ? /SEARCH alerts USING INDEX sqlite_autoindex_alerts_1 \(id>\?( AND id<\?)?\)/
          : /Index Scan Backward using alerts_pkey on alerts.*\n\s+Index Cond: \(.*id >= /,
      );
    }
  });

  it('reads a small or empty range from the time index, walking no alerts', async () => {
    for (const f of [
      { from: 100 * S, to: 400 * S },
      { from: 100 * S, to: 400 * S, source: 's2' },
      { to: -3_500 * S },
    ]) {
      const plans = await plansOf(f);
      expect(plans.join('\n')).toMatch(/alerts_time_source/);
      for (const plan of plans)
        expect(plan).not.toMatch(/sqlite_autoindex_alerts_1|alerts_pkey|alerts_source_id|Seq Scan/);
    }
  });

  // Walking alerts newest first checked every alert newer than the value's last one.
  it("reads an observable's page from its links, walking no alerts", async () => {
    const plans = await plansOf({ observable: OLD_VALUE });
    for (const plan of plans) {
      expect(plan).not.toMatch(/SCAN alerts|TEMP B-TREE|Backward using alerts_pkey|Seq Scan|Sort/);
    }
    expect(plans.join('\n')).toMatch(
      dialect === 'sqlite'
        ? /SEARCH alert_observables USING COVERING INDEX alert_observables_observable \(observable_id=\?\)/
        : /Index Only Scan Backward using alert_observables_observable/,
    );
  });
});
