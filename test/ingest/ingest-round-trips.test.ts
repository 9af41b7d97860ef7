import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ingestAlerts } from '../../src/app/ingest/ingest-alerts.js';
import { IngestSettings } from '../../src/app/ingest/ingest-settings.js';
import { saveIngestSettingsJson } from '../../src/store/alerts/ingest-settings.repository.js';
import { listCases } from '../../src/store/cases/case-query.repository.js';
import { saveSlaPolicy } from '../../src/store/cases/sla-policy.repository.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { createTestContext, ManualClock } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const T0 = Date.UTC(2026, 0, 1);

/** A Suricata alert of one of four rules, from its own public address to a shared internal host. */
const eve = (i: number) => ({
  kind: 'json' as const,
  value: {
    timestamp: new Date(T0 + i).toISOString(),
    flow_id: i,
    event_type: 'alert',
    src_ip: `45.33.7.${i}`,
    dest_ip: '10.0.0.5',
    alert: { gid: 1, signature_id: 2_000_000 + (i % 4), signature: `ET RULE ${i % 4}`, severity: 2 },
  },
});

describe.each(DIALECTS)('an ingest batch on %s', (dialect) => {
  let handle: TestStoreHandle;
  let ctx: ReturnType<typeof createTestContext>;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    ctx = createTestContext(handle.store, { clock: new ManualClock(T0) });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await handle.cleanup();
  });

  it('applies rules stored by another process at the next batch, though this one read them before', async () => {
    const repeat = (flow: number) => ({ ...eve(1), value: { ...eve(1).value, flow_id: flow } });
    const first = await ingestAlerts(ctx, { source: 'suricata', items: [repeat(1)] }, SYSTEM_ACTOR);
    expect(first.accepted).toBe(1);
    const again = await ingestAlerts(ctx, { source: 'suricata', items: [repeat(2)] }, SYSTEM_ACTOR);
    expect(again.items[0]).toMatchObject({ status: 'duplicate', reason: 'fingerprint' });
    // Written around this process (as another API process would), with a smaller batch size too.
    await saveIngestSettingsJson(
      handle.store.db,
      {
        settings: JSON.stringify(IngestSettings.parse({ batchSize: 1, dedup: { enabled: false } })),
        updatedBy: 'x',
      },
      T0,
    );
    const after = await ingestAlerts(
      ctx,
      { source: 'suricata', items: [repeat(3), repeat(4)] },
      SYSTEM_ACTOR,
    );
    expect(after.items.map((i) => i.status)).toEqual(['accepted', 'accepted']);
    const audit = await readAuditEntries(handle.store.db, 0, 10);
    // One transaction per item under the new batch size.
    expect(audit.map((a) => a.details.items)).toEqual([1, 1, 1, 1]);
  });

  it('answers once committed without waiting for the trigger workers’ wake-up', async () => {
    let woken = 0;
    const silent = {
      ...handle.store.notifier,
      notify: () => ((woken += 1), new Promise<void>(() => undefined)),
    };
    const res = await ingestAlerts(
      { ...ctx, store: { ...handle.store, notifier: silent } },
      { source: 'suricata', items: [eve(1)] },
      SYSTEM_ACTOR,
    );
    expect(res).toMatchObject({ accepted: 1, casesCreated: 1 });
    expect(woken).toBe(1);
  });

  it('stores 16 alerts joining open cases in 10 round trips on PostgreSQL, everything written', async () => {
    const first = await ingestAlerts(ctx, { source: 'suricata', items: [0, 1, 2, 3].map(eve) }, SYSTEM_ACTOR);
    expect(first.casesCreated).toBe(1);
    let roundTrips = 0;
    const query = pg.Client.prototype.query;
    vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      roundTrips += 1;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query);
    const res = await ingestAlerts(
      ctx,
      { source: 'suricata', items: Array.from({ length: 16 }, (_, k) => eve(10 + k)) },
      SYSTEM_ACTOR,
    );
    vi.restoreAllMocks();
    expect(res).toMatchObject({ accepted: 16, duplicates: 0, casesCreated: 0 });
    // Begin, the event ids, fingerprints and stored rules together (with the source's and rules' locks),
    // observables, 2 lookups together, the joined cases locked and read again, the writes together, 2 for the
    // audit, commit, and the wake-up (not waited for). Before: 19.
    if (dialect === 'postgres') expect(roundTrips).toBeLessThanOrEqual(10);

    const caseId = first.caseIds[0] as string;
    const db = handle.store.db;
    const alerts = await db.selectFrom('alerts').select(['id', 'case_id']).execute();
    expect(alerts).toHaveLength(20);
    expect(new Set(alerts.map((a) => a.case_id))).toEqual(new Set([caseId]));
    const links = await db.selectFrom('alert_observables').select('alert_id').execute();
    expect(new Set(links.map((l) => l.alert_id))).toEqual(new Set(alerts.map((a) => a.id)));
    const caseObservables = await db
      .selectFrom('case_observables')
      .innerJoin('observables', 'observables.id', 'case_observables.observable_id')
      .select('observables.value')
      .where('case_id', '=', caseId)
      .execute();
    expect(caseObservables.map((o) => o.value).sort()).toEqual(
      [
        '10.0.0.5',
        ...[0, 1, 2, 3, ...Array.from({ length: 16 }, (_, k) => 10 + k)].map((i) => `45.33.7.${i}`),
      ].sort(),
    );
    const events = await db.selectFrom('case_events').select('type').where('case_id', '=', caseId).execute();
    expect(events.map((e) => e.type).sort()).toEqual(['alerts_added', 'alerts_added', 'case_created']);
    const days = await db.selectFrom('alert_source_days').select('alerts').execute();
    expect(days.reduce((n, d) => n + Number(d.alerts), 0)).toBe(20);
    const perRule = await db.selectFrom('alert_case_rule_days').select('alerts').execute();
    expect(perRule.reduce((n, d) => n + Number(d.alerts), 0)).toBe(20);
    const jobs = await db
      .selectFrom('queue_jobs')
      .select('payload')
      .where('queue', '=', 'triggers')
      .execute();
    expect(jobs).toHaveLength(2);
    const kase = await db
      .selectFrom('cases')
      .select('updated_at')
      .where('id', '=', caseId)
      .executeTakeFirst();
    expect(Number(kase?.updated_at)).toBe(T0);
  });

  it('opens 16 cases from 16 alerts in 10 round trips on PostgreSQL, everything written', async () => {
    // Each alert its own rule and address: each opens a case.
    const alone = (i: number) => ({
      ...eve(i),
      value: {
        ...eve(i).value,
        alert: { ...eve(i).value.alert, signature_id: 3_000_000 + i, signature: `ALONE ${i}` },
        dest_ip: `10.9.0.${i}`,
      },
    });
    await handle.store.db.transaction().execute((trx) =>
      saveSlaPolicy(
        trx,
        {
          severity: 'high',
          policy: { acknowledge: 60_000, contain: 120_000, resolve: 180_000 },
          actorId: 'u',
        },
        T0,
      ),
    );
    let roundTrips = 0;
    const query = pg.Client.prototype.query;
    vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      roundTrips += 1;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query);
    const res = await ingestAlerts(
      ctx,
      { source: 'suricata', items: Array.from({ length: 16 }, (_, k) => alone(k)) },
      SYSTEM_ACTOR,
    );
    vi.restoreAllMocks();
    expect(res).toMatchObject({ accepted: 16, casesCreated: 16 });
    // Begin, the first lookups, observables, the second lookups (SLA policies with them), the case numbers, the
    // writes together, 2 for the audit, commit, and the wake-up. Before: 18 (the cases' rows one by one, the
    // policies and the search text read back).
    if (dialect === 'postgres') expect(roundTrips).toBeLessThanOrEqual(10);

    const db = handle.store.db;
    const cases = await db
      .selectFrom('cases')
      .select(['id', 'number', 'title', 'severity'])
      .orderBy('number')
      .execute();
    expect(cases.map((c) => Number(c.number))).toEqual(Array.from({ length: 16 }, (_, k) => k + 1));
    const ids = cases.map((c) => c.id);
    expect(new Set(res.caseIds)).toEqual(new Set(ids));
    const created = await db
      .selectFrom('case_events')
      .select('case_id')
      .where('type', '=', 'case_created')
      .execute();
    expect(new Set(created.map((e) => e.case_id))).toEqual(new Set(ids));
    const milestones = await db.selectFrom('case_milestones').select(['case_id', 'created_at']).execute();
    expect(milestones.map((m) => Number(m.created_at))).toEqual(ids.map(() => T0));
    // The stored policy, read with the lookups: acknowledge, contain and resolve due from the opening.
    const sla = await db
      .selectFrom('queue_jobs')
      .select(['run_at', 'payload'])
      .where('queue', '=', 'timers')
      .execute();
    expect(sla).toHaveLength(16 * 3);
    expect(new Set(sla.map((j) => Number(j.run_at)))).toEqual(
      new Set([T0 + 60_000, T0 + 120_000, T0 + 180_000]),
    );
    const search = await db.selectFrom('case_search').select(['case_id', 'body']).execute();
    expect(new Set(search.map((d) => d.case_id))).toEqual(new Set(ids));
    const titled = search.find((d) => d.case_id === cases[0]?.id);
    expect(titled?.body).toContain(cases[0]?.title.split(' ')[0]?.toLowerCase() ?? 'x');
    // And the search finds a case by a word of its title, as it did when the text was read back.
    const found = await listCases(handle.store.db, { text: 'alone' }, { limit: 50 }, handle.store.dialect);
    expect(found.items).toHaveLength(16);
  });
});
