import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeCaseStatus, mergeCases } from '../../src/app/cases/case-commands.js';
import { ingestAlerts, type IngestItem, type IngestResult } from '../../src/app/ingest/ingest-alerts.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { openStore } from '../../src/store/store.js';
import { createTestContext, ManualClock } from '../support/api.js';
import { newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { openPgBlocker, type PgBlocker } from '../support/pg-blocker.js';
import { waitFor } from '../support/waiting.js';

const T0 = Date.UTC(2026, 0, 1);

const alert = (srcIp: string, ruleId = 'R-7'): IngestItem => ({
  kind: 'json',
  value: {
    title: 'Beaconing to a known C2',
    severity: 'high',
    src_ip: srcIp,
    rule: { id: ruleId },
    product: 'edr',
  },
});

/**
 * On PostgreSQL two ingest transactions of one source can run at once: an NDJSON stream beside single POSTs,
 * or two processes. Each must decide as if the other had committed first. The test makes them overlap for
 * certain: a third connection holds the per-day count row every ingest of the source updates, so the first
 * transaction stops there after its lookups, and the second starts while the first has not committed.
 */
describe('overlapping ingest transactions of one source on postgres', () => {
  let handle: TestStoreHandle;
  let ctx: ReturnType<typeof createTestContext>;
  let blocker: PgBlocker;
  beforeEach(async () => {
    handle = await openTestStore('postgres');
    ctx = createTestContext(handle.store, { clock: new ManualClock(T0) });
    blocker = await openPgBlocker(handle.options.databaseSchema as string);
  });
  afterEach(async () => {
    await blocker.close();
    await handle.cleanup();
  });

  const ingest = (item: IngestItem): Promise<IngestResult> =>
    ingestAlerts(ctx, { source: 'edr', items: [item] }, SYSTEM_ACTOR);

  /** Runs `first` and `second` so that the second starts while the first is stopped before its commit. */
  async function overlapped(
    first: IngestItem,
    second: IngestItem,
    secondSource = 'edr',
  ): Promise<[IngestResult, IngestResult]> {
    // The source's row for the day exists once an alert of the day is stored.
    await ingest(alert('198.51.100.250', 'R-seed'));
    await blocker.hold(`select 1 from alert_source_days where source = 'edr' for update`);
    const a = ingest(first);
    await waitFor('the first ingest to wait', async () => (await blocker.waiting()) >= 1);
    const b = ingestAlerts(ctx, { source: secondSource, items: [second] }, SYSTEM_ACTOR);
    await waitFor('the second ingest to wait', async () => (await blocker.waiting()) >= 2);
    await blocker.release();
    return Promise.all([a, b]);
  }

  /** Backends of this test's database waiting for a lock (the ingest behind the merge's case row). */
  const lockWaits = async (): Promise<number> => {
    const { rows } = await sql<{ n: string }>`select count(*) as n from pg_locks l
      join pg_stat_activity a on a.pid = l.pid
      where not l.granted and a.datname = current_database() and a.query ilike '%cases%'`.execute(
      handle.store.db,
    );
    return Number(rows[0]?.n ?? 0);
  };

  const stored = async (srcIp: string) =>
    (
      await handle.store.db
        .selectFrom('alerts')
        .innerJoin('alert_observables', 'alert_observables.alert_id', 'alerts.id')
        .innerJoin('observables', 'observables.id', 'alert_observables.observable_id')
        .select(['alerts.id', 'alerts.count', 'alerts.case_id'])
        .where('observables.value', '=', srcIp)
        .execute()
    ).map((r) => ({ ...r, count: Number(r.count) }));

  it('stores the same new alert once and counts the other as its repeat', async () => {
    const [a, b] = await overlapped(alert('203.0.113.9'), alert('203.0.113.9'));
    const rows = await stored('203.0.113.9');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.count).toBe(2);
    const statuses = [a.items[0]?.status, b.items[0]?.status].sort();
    expect(statuses).toEqual(['accepted', 'duplicate']);
    for (const r of [a, b])
      expect(r.items[0]).toMatchObject({ alertId: rows[0]?.id, caseId: rows[0]?.case_id });
  });

  it('lets the later alert of a rule join the case the earlier one opened', async () => {
    const [a, b] = await overlapped(alert('203.0.113.10'), alert('203.0.113.11'));
    const cases = [a, b].map((r) => (r.items[0]?.status === 'accepted' ? r.items[0].caseId : undefined));
    expect(cases[0]).toBeDefined();
    expect(cases[1]).toBe(cases[0]);
    expect(a.casesCreated + b.casesCreated).toBe(1);
  });

  it.each([
    // Different sources and rules: only the address; the second's upsert of it waits on the first's row.
    ['a public address', alert('45.33.32.156', 'R-edr'), alert('45.33.32.156', 'R-ids')],
    // Different sources and addresses: only the rule (product and rule id); its lock.
    ['a detection rule', alert('10.1.1.1', 'R-shared'), alert('10.2.2.2', 'R-shared')],
  ])(
    'lets an alert of another source join the case a concurrent alert sharing %s opened',
    async (_, first, second) => {
      const [ra, rb] = await overlapped(first, second, 'ids');
      expect(ra.casesCreated + rb.casesCreated).toBe(1);
      const cases = [ra, rb].map((r) => (r.items[0]?.status === 'accepted' ? r.items[0].caseId : undefined));
      expect(cases[1]).toBe(cases[0]);
    },
  );

  it.each(['merged', 'closed'] as const)(
    'does not put an alert into a case %s while its ingest was deciding: it decides again',
    async (change) => {
      const first = await ingest(alert('203.0.113.40', 'R-a'));
      const second = await ingest(alert('203.0.113.41', 'R-b'));
      const [survivor, doomed] = [first, second].map((r) =>
        r.items[0]?.status === 'accepted' ? r.items[0].caseId : '',
      ) as [string, string];
      const deps = { newId: newTestId, dialect: handle.store.dialect };
      let release = (): void => undefined;
      const gate = new Promise<void>((r) => (release = r));
      let changed = (): void => undefined;
      const done = new Promise<void>((r) => (changed = r));
      // The merge (or close) has done its work and holds the case row; it commits once released.
      const command = handle.store.db.transaction().execute(async (trx) => {
        const at = T0 + 1_000;
        if (change === 'merged')
          await mergeCases(trx, deps, { survivorId: survivor, mergedId: doomed, actor: SYSTEM_ACTOR }, at);
        else {
          await changeCaseStatus(trx, deps, { caseId: doomed, to: 'triage', actor: SYSTEM_ACTOR }, at);
          await changeCaseStatus(
            trx,
            deps,
            { caseId: doomed, to: 'closed', resolution: 'false_positive', actor: SYSTEM_ACTOR },
            at,
          );
        }
        changed();
        await gate;
      });
      await done;
      // A new alert of the doomed case's rule: its lookups see the case open (the change is not committed).
      const later = ingest(alert('203.0.113.42', 'R-b'));
      // It waits on the case row the change holds (unless it never locks it: then it is given the time to).
      await waitFor('the ingest to wait on the case row', async () => (await lockWaits()) >= 1, 3_000).catch(
        () => undefined,
      );
      release();
      await command;
      const answer = (await later).items[0];
      expect(answer?.status).toBe('accepted');
      const caseId = answer?.status === 'accepted' ? answer.caseId : '';
      const kase = await handle.store.db
        .selectFrom('cases')
        .select(['id', 'status', 'merged_into'])
        .where('id', '=', caseId)
        .executeTakeFirstOrThrow();
      // Into the survivor, or (the case closed) a case of its own: never the case changed meanwhile.
      expect(kase.id).not.toBe(doomed);
      expect(kase.status).not.toBe('closed');
      if (change === 'merged') expect(kase.id).toBe(survivor);
    },
  );

  it('lets eight sources join one case at once, each by an address it shares with it, without a deadlock', async () => {
    // The case holds 45.33.32.101-108; each source's day row exists, so nothing but the case is shared.
    const seeded = await ingestAlerts(
      ctx,
      {
        source: 'edr',
        items: [101, 102, 103, 104, 105, 106, 107, 108].map((n) => alert(`45.33.32.${n}`, 'R-x')),
      },
      SYSTEM_ACTOR,
    );
    const caseId = seeded.items[0]?.status === 'accepted' ? seeded.items[0].caseId : '';
    const sources = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `tool-${i}`);
    for (const [i, source] of sources.entries())
      await ingestAlerts(ctx, { source, items: [alert(`10.9.9.${i}`, `R-seed-${i}`)] }, SYSTEM_ACTOR);
    const answers = await Promise.all(
      sources.map((source, i) =>
        ingestAlerts(ctx, { source, items: [alert(`45.33.32.${101 + i}`, `R-${i}`)] }, SYSTEM_ACTOR),
      ),
    );
    // Each joined the case; before, two that locked it to share each waited for the other to let go.
    for (const a of answers)
      expect(a.items[0]).toMatchObject({ status: 'accepted', caseId, caseCreated: false });
  });

  it('stores each alert once when two processes take the same alerts at once, and counts every delivery', async () => {
    const other = await openStore(handle.options);
    try {
      const ctxB = createTestContext(other, { clock: new ManualClock(T0) });
      const ips = ['203.0.113.20', '203.0.113.21', '203.0.113.22'];
      const deliveries = Array.from({ length: 24 }, (_, i) =>
        ingestAlerts(
          i % 2 === 0 ? ctx : ctxB,
          { source: 'edr', items: [alert(ips[i % 3] as string, `R-${i % 3}`)] },
          SYSTEM_ACTOR,
        ),
      );
      const answers = await Promise.all(deliveries);
      expect(answers.reduce((n, r) => n + r.accepted, 0)).toBe(3);
      for (const ip of ips) {
        const rows = await stored(ip);
        expect(rows).toHaveLength(1);
        expect(rows[0]?.count).toBe(8);
      }
    } finally {
      await other.close();
    }
  });
});
