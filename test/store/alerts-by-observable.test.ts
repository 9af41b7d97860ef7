import { sql, type CompiledQuery } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

const alert = (n: number) =>
  testAlert({
    time: n,
    title: `alert ${n}`,
    severity: n % 2 === 0 ? 'high' : 'low',
    origin: { product: 'test', vendor: null, ruleId: String(n % 7), ruleName: null },
  });

// The observable filter is answered from the value for a value on few alerts and by walking alerts for one
// on many (past 2,000): both must give the same pages, for the value in any form it is stored under.
describe.each(DIALECTS)('listAlerts by observable on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(async () => handle.cleanup());

  /** Every page of the filter, followed by its cursor: the titles in order. */
  async function allPages(filter: Omit<AlertFilter, 'limit' | 'cursor'>): Promise<string[]> {
    const titles: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await listAlerts(handle.store.db, { ...filter, limit: 400, cursor });
      titles.push(...page.alerts.map((a) => a.title));
      if (!page.nextCursor) return titles;
      cursor = page.nextCursor;
    }
  }

  it('pages the same alerts for a value on a few alerts and for one on thousands, in any form', async () => {
    const db = handle.store.db;
    const count = 2_500;
    // Sorted, so alert n has the n-th id: pages run newest (greatest id) first.
    const ids = Array.from({ length: count }, () => newTestId()).sort();
    await insertAlerts(
      db,
      ids.map((id, n) => ({
        id,
        source: 'test',
        mapper: 'test',
        fingerprint: id,
        alert: alert(n),
        caseId: null,
        correlation: null,
        now: n,
      })),
    );
    const obs = await upsertObservables(
      db,
      { newId: newTestId },
      [
        { type: 'domain', value: 'everywhere.example' },
        { type: 'hostname', value: 'everywhere.example' },
        { type: 'ipv4', value: '203.0.113.9' },
      ],
      0,
    );
    const id = (key: string): string => obs.get(key) ?? '';
    // The frequent value on every alert but each 10th (one of its two observables on each), the rare one on 3.
    const links = ids.flatMap((alertId, n) =>
      n % 10 === 0
        ? []
        : [
            {
              alertId,
              observableId: id(n % 2 ? 'domain:everywhere.example' : 'hostname:everywhere.example'),
              role: 'affected',
            },
          ],
    );
    links.push(
      ...[5, 1_200, 2_499].map((n) => ({
        alertId: ids[n] as string,
        observableId: id('ipv4:203.0.113.9'),
        role: 'source',
      })),
    );
    await insertAlertObservables(db, links);
    const newestFirst = (keep: (n: number) => boolean): string[] =>
      ids.flatMap((_, n) => (keep(n) ? [`alert ${n}`] : [])).reverse();

    expect(await allPages({ observable: '203.0.113.9' })).toEqual(
      newestFirst((n) => [5, 1_200, 2_499].includes(n)),
    );
    expect(await allPages({ observable: 'everywhere.example' })).toEqual(newestFirst((n) => n % 10 !== 0));
    expect(await allPages({ observable: 'everywhere.example', severity: ['low'] })).toEqual(
      newestFirst((n) => n % 10 !== 0 && n % 2 === 1),
    );
    expect(await allPages({ observable: '203.0.113.9', severity: ['low'] })).toEqual(
      newestFirst((n) => n === 5 || n === 2_499),
    );
    expect(await allPages({ observable: 'nowhere.example' })).toEqual([]);
    // Written as ingest would never store it, a value still finds its observable's alerts, on both ways.
    for (const written of [' 203.0.113[.]9', '::ffff:203.0.113.9']) {
      expect(await allPages({ observable: written }), written).toEqual(
        newestFirst((n) => [5, 1_200, 2_499].includes(n)),
      );
    }
    for (const written of ['EveryWhere.Example', 'everywhere[.]example.']) {
      expect(await allPages({ observable: written }), written).toEqual(newestFirst((n) => n % 10 !== 0));
    }
  });

  // A value's page is read down its links' index, newest first, whatever its links' number and age. When the
  // other filters keep too few of its alerts, alerts are walked by those filters' index instead, each checked
  // for a link: PostgreSQL turned that walk's EXISTS into a join sized by a guess (the average observable's
  // links), and for a value on 60,000 alerts looked them all up and sorted them for each page (360–580 ms).
  // The walk must stay a check on each alert, in id order, whatever the statistics say.
  it('reads a frequent value down its links, and walks alerts checking each when filters reject them', async () => {
    const db = handle.store.db;
    const ids = Array.from({ length: 3_000 }, () => newTestId());
    await insertAlerts(
      db,
      ids.map((id, n) => ({
        id,
        source: 'test',
        mapper: 'test',
        fingerprint: id,
        alert: alert(n),
        caseId: null,
        correlation: null,
        now: n,
      })),
    );
    const obs = await upsertObservables(db, { newId: newTestId }, [{ type: 'ipv4', value: '10.1.2.3' }], 0);
    const observableId = obs.get('ipv4:10.1.2.3') ?? '';
    await insertAlertObservables(
      db,
      ids.map((alertId) => ({ alertId, observableId, role: 'destination' })),
    );
    // Statistics as a store some hours old has them (autovacuum's, or SQLite's refresh).
    await sql`analyze`.execute(db);
    const sent: CompiledQuery[] = [];
    const watched = db.withPlugin({
      transformQuery: ({ node, queryId }) => {
        sent.push(db.getExecutor().compileQuery(node, queryId));
        return node;
      },
      transformResult: async ({ result }) => result,
    });
    const page = await listAlerts(watched, { observable: '10.1.2.3', limit: 50 });
    expect(page.alerts).toHaveLength(50);
    const plans = await Promise.all(sent.map((q) => queryPlan(handle.store, q)));
    for (const plan of plans) {
      // Nothing walks alerts: its links from their index, then its alerts by id.
      expect(plan).not.toMatch(/SCAN alerts|TEMP B-TREE|Backward using alerts_pkey|Seq Scan|Sort/);
    }
    expect(plans.join('\n')).toMatch(
      dialect === 'sqlite'
        ? /SEARCH alert_observables USING COVERING INDEX alert_observables_observable \(observable_id=\?\)/
        : /Index Only Scan Backward using alert_observables_observable/,
    );
    // No alert is critical: past the links read for one page, alerts are walked, each checked for a link.
    sent.length = 0;
    const none = await listAlerts(watched, { observable: '10.1.2.3', severity: ['critical'], limit: 50 });
    expect(none.alerts).toHaveLength(0);
    const plan = await queryPlan(handle.store, sent[sent.length - 1] as CompiledQuery);
    if (dialect === 'sqlite') {
      expect(plan).toMatch(/SEARCH alerts USING INDEX alerts_severity_id \(severity=\?/);
      // The same walk with or without the OFFSET (SQLite 3.53 runs the EXISTS as a semi-join in id order).
      expect(plan).toMatch(
        /alert_observables .*USING COVERING INDEX alert_observables_observable \(observable_id=\? AND alert_id=\?\)/,
      );
      expect(plan).not.toMatch(/TEMP B-TREE/);
    } else {
      expect(plan).toMatch(/Index Scan Backward using alerts_severity_id on alerts/);
      expect(plan).toMatch(/Filter: \(SubPlan 1\)/);
      expect(plan).not.toMatch(/Semi Join|HashAggregate|Unique|Sort/);
    }
  });
});
