import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeCaseStatus, mergeCases, moveAlert, updateCase } from '../../src/app/cases/case-commands.js';
import { buildResponseReport } from '../../src/app/cases/response-report.js';
import { ingestAlerts } from '../../src/app/ingest/ingest-alerts.js';
import { deriveMilestones } from '../../src/domain/cases/case-milestones.js';
import { computeResponseMetrics } from '../../src/domain/cases/response-metrics.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { ManualClock } from '../../src/domain/shared/clock.js';
import { rebuildAlertDailyCounts } from '../../src/store/alerts/alert-daily-counts.repository.js';
import { rebuildCaseMilestones } from '../../src/store/cases/case-milestones.repository.js';
import type { Store } from '../../src/store/store.js';
import { createTestContext } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { ANALYST, depsOf, inTransaction, insertAlert, openCase } from './case-fixtures.js';

const DAY = 86_400_000;
const MIN = 60_000;
const T0 = Date.UTC(2026, 2, 10, 9, 30);
const suricata = readFileSync(
  '/work/shared/samples/suricata/oisf_suricata_pr13999_logs_eve_alert_lines.ndjson',
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Record<string, unknown>);

const NUMERIC = new Set(['day', 'alerts', 'created_at', 'acknowledged_at', 'contained_at', 'resolved_at']);

/** Every projection row, in a stable order, with numbers as numbers (PostgreSQL returns bigint as text). */
async function snapshot(store: Store) {
  const norm = (rows: object[]) =>
    rows.map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, NUMERIC.has(k) && v !== null ? Number(v) : v]),
      ),
    );
  return {
    milestones: norm(await store.db.selectFrom('case_milestones').selectAll().orderBy('case_id').execute()),
    sources: norm(
      await store.db.selectFrom('alert_source_days').selectAll().orderBy('day').orderBy('source').execute(),
    ),
    rules: norm(
      await store.db
        .selectFrom('alert_case_rule_days')
        .selectAll()
        .orderBy('day')
        .orderBy('case_id')
        .orderBy('product')
        .orderBy('rule_id')
        .execute(),
    ),
  };
}

describe.each(DIALECTS)('case projections on %s', (dialect) => {
  let handle: TestStoreHandle;
  let clock: ManualClock;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
    clock = new ManualClock(T0);
  });
  afterAll(async () => handle.cleanup());

  it('keeps milestones and alert counts equal to a rebuild from the log and the alerts', async () => {
    const { store } = handle;
    const deps = depsOf(store);
    const ctx = createTestContext(store, { clock });
    // Alerts through the real ingest path (their times are the samples' own), and some by hand.
    const ingested = await ingestAlerts(
      ctx,
      { source: 'suricata', items: suricata.slice(0, 12).map((value) => ({ kind: 'json' as const, value })) },
      SYSTEM_ACTOR,
    );
    expect(ingested.accepted).toBeGreaterThan(0);
    const a = await openCase(store, { severity: 'critical' }, T0);
    const b = await openCase(store, { severity: 'low' }, T0 + MIN);
    const c = await openCase(store, { severity: 'low' }, T0 + 2 * MIN);
    const moved = await insertAlert(store, { caseId: a.id, time: T0 - DAY, source: 'wazuh', ruleId: '5710' });
    await insertAlert(store, { caseId: b.id, time: T0, source: 'wazuh', ruleId: '5710' });
    await insertAlert(store, { caseId: c.id, time: T0 + 3 * DAY, source: 'zeek' });
    await inTransaction(store, async (trx) => {
      const move = (
        caseId: string,
        to: Parameters<typeof changeCaseStatus>[2]['to'],
        at: number,
        res?: 'benign' | 'false_positive' | 'resolved',
      ) => changeCaseStatus(trx, deps, { caseId, to, resolution: res, actor: ANALYST }, at);
      await move(a.id, 'triage', T0 + 5 * MIN);
      await move(a.id, 'containment', T0 + 9 * MIN);
      await move(a.id, 'eradication', T0 + 20 * MIN);
      await move(a.id, 'recovery', T0 + 30 * MIN);
      await move(a.id, 'closed', T0 + 40 * MIN, 'resolved');
      await move(b.id, 'triage', T0 + 50 * MIN);
      await move(b.id, 'closed', T0 + 55 * MIN, 'false_positive');
      // Reopened and closed again: the last close counts.
      await move(b.id, 'triage', T0 + 60 * MIN);
      await move(b.id, 'closed', T0 + 70 * MIN, 'benign');
      await mergeCases(trx, deps, { survivorId: a.id, mergedId: c.id, actor: ANALYST }, T0 + 80 * MIN);
      // Labels the metrics group by follow the case.
      await updateCase(
        trx,
        deps,
        { caseId: b.id, patch: { severity: 'medium', assignee: 'ana' }, actor: ANALYST },
        T0 + 85 * MIN,
      );
      await moveAlert(trx, deps, { alertId: moved, toCaseId: b.id, actor: ANALYST }, T0 + 90 * MIN);
    });

    const kept = await snapshot(store);
    expect(kept.milestones.find((m) => m.case_id === b.id)).toMatchObject({
      severity: 'medium',
      assignee: 'ana',
      status: 'closed',
      resolution: 'benign',
      resolved_at: T0 + 70 * MIN,
    });
    expect(kept.milestones.length).toBeGreaterThanOrEqual(3);
    // The moved alert counts for the case it moved to, on its own day.
    expect(kept.rules.filter((r) => r.case_id === b.id && r.rule_id === '5710')).toHaveLength(2);
    expect(kept.rules.filter((r) => r.case_id === a.id && r.rule_id === '5710')).toHaveLength(0);
    await store.db.transaction().execute(async (trx) => {
      await rebuildCaseMilestones(trx);
      await rebuildAlertDailyCounts(trx);
    });
    expect(await snapshot(store)).toEqual(kept);

    // The report read off the projections equals the domain's metrics recomputed from every case's events,
    // but for the case merged away, counted apart.
    const caseIds = (
      await store.db.selectFrom('cases').select('id').where('merged_into', 'is', null).execute()
    ).map((r) => r.id);
    const lifecycleOf = async (id: string) =>
      (
        await store.db
          .selectFrom('case_events')
          .select(['type', 'at', 'data'])
          .where('case_id', '=', id)
          .where('type', 'in', ['case_created', 'status_changed'])
          .orderBy('id')
          .execute()
      ).map((e) => ({ type: e.type, at: Number(e.at), data: JSON.parse(e.data) as Record<string, unknown> }));
    const fromScratch = await Promise.all(caseIds.map(async (id) => deriveMilestones(await lifecycleOf(id))));
    const range = { from: 0, to: T0 + 10 * DAY };
    clock.set(T0 + 100 * MIN);
    const report = await buildResponseReport(ctx, { ...range, groupBy: 'week' });
    expect(report.total).toEqual({ ...computeResponseMetrics(fromScratch), merged: 1 });
    expect(report.total).toMatchObject({ closed: 2, falsePositives: 0 });
  });

  it('leaves cases merged into another out of MTTA, MTTR and the counts, and counts them apart', async () => {
    const { store } = handle;
    const deps = depsOf(store);
    const ctx = createTestContext(store, { clock });
    // A day of its own, after the other test's cases.
    const t = T0 + 20 * DAY;
    const H = 3_600_000;
    const incident = await openCase(store, { severity: 'high' }, t);
    const strays: Array<{ id: string }> = [];
    for (let i = 0; i < 9; i++) strays.push(await openCase(store, { severity: 'low' }, t));
    await inTransaction(store, async (trx) => {
      await changeCaseStatus(trx, deps, { caseId: incident.id, to: 'triage', actor: ANALYST }, t + H);
      // The analyst folds the stray cases into the incident right after triage.
      for (const s of strays)
        await mergeCases(trx, deps, { survivorId: incident.id, mergedId: s.id, actor: ANALYST }, t + H + MIN);
      await changeCaseStatus(
        trx,
        deps,
        { caseId: incident.id, to: 'closed', resolution: 'benign', actor: ANALYST },
        t + 10 * H,
      );
    });
    const range = { from: t, to: t + DAY };
    const report = await buildResponseReport(ctx, { ...range, groupBy: 'none' });
    expect(report.total).toEqual({
      cases: 1,
      acknowledged: 1,
      contained: 0,
      closed: 1,
      falsePositives: 0,
      falsePositiveRate: 0,
      mttaMs: H,
      mttcMs: null,
      mttrMs: 10 * H,
      merged: 9,
    });
    // A group of merged cases only still shows, with nothing to average.
    const bySeverity = await buildResponseReport(ctx, { ...range, groupBy: 'severity' });
    expect(bySeverity.groups).toEqual([
      expect.objectContaining({ key: 'high', cases: 1, closed: 1, mttrMs: 10 * H, merged: 0 }),
      expect.objectContaining({ key: 'low', cases: 0, acknowledged: 0, closed: 0, mttaMs: null, merged: 9 }),
    ]);
    expect(bySeverity.total).toEqual(report.total);
  });

  it('counts alerts exactly for ranges that cut days in two', async () => {
    const { store } = handle;
    const ctx = createTestContext(store, { clock });
    const all = await store.db.selectFrom('alerts').select(['time', 'source']).execute();
    const ranges = [
      { from: T0 - DAY - 1, to: T0 + 1 },
      { from: T0 + 1, to: T0 + 2 },
      { from: T0 - 7 * DAY + 12 * 3_600_000, to: T0 + 3 * DAY + 1 },
      { from: 0, to: T0 + 10 * DAY },
    ];
    for (const range of ranges) {
      const expected = new Map<string, number>();
      for (const a of all) {
        const t = Number(a.time);
        if (t >= range.from && t < range.to) expected.set(a.source, (expected.get(a.source) ?? 0) + 1);
      }
      const report = await buildResponseReport(ctx, { ...range, groupBy: 'none' });
      expect(report.alertsPerSource).toEqual(
        [...expected.entries()]
          .sort(([x], [y]) => x.localeCompare(y))
          .map(([source, count]) => ({ source, count })),
      );
    }
  });
});
