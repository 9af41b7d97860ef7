import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeCaseStatus } from '../../src/app/cases/case-commands.js';
import { slaCheckHandler } from '../../src/app/cases/sla-timers.js';
import { buildResponseReport } from '../../src/app/cases/response-report.js';
import { ManualClock } from '../../src/domain/shared/clock.js';
import { listCaseEvents } from '../../src/store/cases/case.repository.js';
import { claimJobs, type ClaimedJob } from '../../src/store/queue/queue.repository.js';
import type { JobHandlerContext } from '../../src/app/job-handlers.js';
import { createTestContext } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { ANALYST, depsOf, inTransaction, insertAlert, newTestId, openCase } from './case-fixtures.js';

const T0 = 1_760_000_000_000;
const MIN = 60_000;

describe.each(DIALECTS)('SLA timers and response metrics on %s', (dialect) => {
  let handle: TestStoreHandle;
  let clock: ManualClock;
  let ctx: JobHandlerContext;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
    clock = new ManualClock(T0);
    ctx = { ...createTestContext(handle.store, { clock }), signal: new AbortController().signal };
  });
  afterAll(async () => handle.cleanup());

  const claimDue = async (): Promise<ClaimedJob[]> =>
    claimJobs(handle.store.db, depsOf(handle.store), {
      queue: 'timers',
      owner: 'test',
      leaseMs: 60_000,
      limit: 100,
      now: clock.now(),
      newToken: newTestId,
    });

  it('raises a breach once, when a running clock falls due, and not for a clock stopped in time', async () => {
    const { store } = handle;
    const late = await openCase(store, { severity: 'critical' }, T0);
    const onTime = await openCase(store, { severity: 'critical' }, T0);
    await inTransaction(store, (trx) =>
      changeCaseStatus(trx, depsOf(store), { caseId: onTime.id, to: 'triage', actor: ANALYST }, T0 + 5 * MIN),
    );
    expect(await claimDue()).toEqual([]);
    clock.set(T0 + 16 * MIN); // critical: acknowledge within 15 minutes
    const due = await claimDue();
    expect(due.map((j) => (j.payload as { caseId: string; clock: string }).clock)).toEqual([
      'acknowledge',
      'acknowledge',
    ]);
    for (const job of due) expect(await slaCheckHandler(job, ctx)).toEqual({ type: 'done' });
    // Running the same check again (a retried job) does not raise it twice.
    for (const job of due) await slaCheckHandler(job, ctx);
    const breaches = (await listCaseEvents(store.db, late.id, { limit: 50 })).filter(
      (e) => e.type === 'sla_breached',
    );
    expect(breaches).toHaveLength(1);
    expect(breaches[0]?.data).toMatchObject({ clock: 'acknowledge', dueAt: T0 + 15 * MIN, overdueMs: MIN });
    const none = (await listCaseEvents(store.db, onTime.id, { limit: 50 })).filter(
      (e) => e.type === 'sla_breached',
    );
    expect(none).toEqual([]);
  });

  it('fails a job whose payload is not an SLA check', async () => {
    const job = {
      id: 'x',
      queue: 'timers',
      kind: 'case.sla_check',
      payload: { nope: 1 },
      attempts: 1,
      maxAttempts: 1,
      leaseToken: 't',
      leaseUntil: 0,
      dedupeKey: null,
    };
    expect((await slaCheckHandler(job, ctx)).type).toBe('failed');
  });

  it('computes MTTA, MTTC, MTTR and rates from the event log', async () => {
    const { store } = handle;
    const from = T0 + 100 * 86_400_000;
    const deps = depsOf(store);
    const a = await openCase(store, { severity: 'high' }, from);
    const b = await openCase(store, { severity: 'low' }, from + 1_000);
    await inTransaction(store, async (trx) => {
      await changeCaseStatus(trx, deps, { caseId: a.id, to: 'triage', actor: ANALYST }, from + 10 * MIN);
      await changeCaseStatus(trx, deps, { caseId: a.id, to: 'containment', actor: ANALYST }, from + 30 * MIN);
      await changeCaseStatus(
        trx,
        deps,
        { caseId: b.id, to: 'triage', actor: ANALYST },
        from + 1_000 + 20 * MIN,
      );
      await changeCaseStatus(
        trx,
        deps,
        { caseId: b.id, to: 'closed', resolution: 'false_positive', actor: ANALYST },
        from + 1_000 + 60 * MIN,
      );
    });
    // Closed and then reopened: it counts as acknowledged, but not as resolved.
    const c = await openCase(store, { severity: 'low' }, from + 2_000);
    await inTransaction(store, async (trx) => {
      await changeCaseStatus(
        trx,
        deps,
        { caseId: c.id, to: 'triage', actor: ANALYST },
        from + 2_000 + 10 * MIN,
      );
      await changeCaseStatus(
        trx,
        deps,
        { caseId: c.id, to: 'closed', resolution: 'benign', actor: ANALYST },
        from + 2_000 + 11 * MIN,
      );
      await changeCaseStatus(
        trx,
        deps,
        { caseId: c.id, to: 'triage', actor: ANALYST },
        from + 2_000 + 12 * MIN,
      );
    });
    await insertAlert(store, { caseId: b.id, time: from, source: 'wazuh', ruleId: '5710' });
    await insertAlert(store, { caseId: a.id, time: from, source: 'suricata' });
    clock.set(from + 2 * 3_600_000);
    const report = await buildResponseReport(ctx, { from, to: from + 86_400_000, groupBy: 'severity' });
    expect(report.total).toMatchObject({
      cases: 3,
      acknowledged: 3,
      contained: 1,
      closed: 1,
      mttaMs: (10 * MIN + 20 * MIN + 10 * MIN) / 3,
      mttcMs: 30 * MIN,
      mttrMs: 60 * MIN,
      falsePositiveRate: 1,
    });
    expect(report.groups.map((g) => g.key)).toEqual(['high', 'low']);
    expect(report.alertsPerSource).toEqual([
      { source: 'suricata', count: 1 },
      { source: 'wazuh', count: 1 },
    ]);
    expect(report.falsePositivesPerRule).toEqual([
      expect.objectContaining({ product: 'suricata', ruleId: '5710', closed: 1, falsePositives: 1, rate: 1 }),
    ]);
    expect(report.openCases).toEqual(
      expect.arrayContaining([{ severity: 'high', ageBucket: 'lt_1d', count: 1 }]),
    );
  });
});
