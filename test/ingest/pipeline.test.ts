import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../src/app/ingest/ingest-alerts.js';
import { IngestSettings } from '../../src/app/ingest/ingest-settings.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { findAlertById, listAlerts } from '../../src/store/alerts/alert.repository.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { findCaseById, listCaseEvents } from '../../src/store/cases/case.repository.js';
import { createTestContext, ManualClock } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const SAMPLES = '/work/shared/samples';
const suricata = readFileSync(`${SAMPLES}/suricata/oisf_suricata_pr13999_logs_eve_alert_lines.ndjson`, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const wazuh = JSON.parse(
  readFileSync(`${SAMPLES}/wazuh/wazuh_alerts_extracted_from_wazuh-qa.ndjson`, 'utf8').split('\n')[0] ?? '{}',
) as Record<string, unknown>;

const T0 = Date.UTC(2026, 0, 1);

describe.each(DIALECTS)('ingestAlerts on %s', (dialect) => {
  let handle: TestStoreHandle;
  let clock: ManualClock;
  let ctx: ReturnType<typeof createTestContext>;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    clock = new ManualClock(T0);
    ctx = createTestContext(handle.store, { clock });
  });
  afterEach(async () => handle.cleanup());

  it('stores a new alert with its raw event, opens a case, and enqueues the trigger in the same commit', async () => {
    const res = await ingestAlerts(
      ctx,
      { source: 'wazuh', items: [{ kind: 'json', value: wazuh }] },
      SYSTEM_ACTOR,
    );
    expect(res).toMatchObject({ accepted: 1, duplicates: 0, rejected: 0, casesCreated: 1 });
    const item = res.items[0];
    if (item?.status !== 'accepted') throw new Error('expected accepted');
    const alert = await findAlertById(handle.store.db, item.alertId);
    expect(alert?.raw).toEqual(wazuh);
    expect(alert).toMatchObject({
      source: 'wazuh',
      severity: 'high',
      severityOriginal: '10',
      count: 1,
      caseId: item.caseId,
    });
    expect(alert?.correlation).toMatchObject({ decision: 'new_case' });
    expect(alert?.observables).toContainEqual(
      expect.objectContaining({ type: 'ipv4', value: '172.17.1.1', role: 'source', scope: 'private' }),
    );
    const kase = await findCaseById(handle.store.db, item.caseId);
    expect(kase?.title).toBe(alert?.title);
    const events = await listCaseEvents(handle.store.db, item.caseId, { limit: 10 });
    expect(events.map((e) => e.type)).toEqual(['case_created', 'alerts_added']);
    expect(events[1]?.data).toEqual({
      alerts: [{ alertId: item.alertId, reason: alert?.correlation?.reason }],
    });
    const jobs = await handle.store.db
      .selectFrom('queue_jobs')
      .selectAll()
      .where('queue', '=', 'triggers')
      .execute();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      queue: 'triggers',
      kind: 'alerts.created',
      dedupe_key: `alerts.created:${item.alertId}`,
    });
    expect(JSON.parse(jobs[0]?.payload ?? '{}')).toEqual({
      alerts: [{ alertId: item.alertId, caseId: item.caseId, caseCreated: true }],
    });
    const audit = await readAuditEntries(handle.store.db, 0, 10);
    expect(audit.map((a) => a.action)).toEqual(['alerts.ingested']);
  });

  it('treats a retry with the same source event id as a duplicate that changes nothing', async () => {
    const first = await ingestAlerts(
      ctx,
      { source: 'wazuh', items: [{ kind: 'json', value: wazuh }] },
      SYSTEM_ACTOR,
    );
    const again = await ingestAlerts(
      ctx,
      { source: 'wazuh', items: [{ kind: 'json', value: wazuh }] },
      SYSTEM_ACTOR,
    );
    expect(again).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(again.items[0]).toMatchObject({ status: 'duplicate', reason: 'source_event_id' });
    const id = first.items[0]?.status === 'accepted' ? first.items[0].alertId : '';
    expect((await findAlertById(handle.store.db, id))?.count).toBe(1);
  });

  it('counts a repeat of the same fingerprint within the window, and stores it anew after the window', async () => {
    const a = { ...wazuh, id: 'evt-1' };
    const b = { ...wazuh, id: 'evt-2' };
    const c = { ...wazuh, id: 'evt-3' };
    const r1 = await ingestAlerts(
      ctx,
      { source: 'wazuh', items: [{ kind: 'json', value: a }] },
      SYSTEM_ACTOR,
    );
    clock.advance(60_000);
    const r2 = await ingestAlerts(
      ctx,
      { source: 'wazuh', items: [{ kind: 'json', value: b }] },
      SYSTEM_ACTOR,
    );
    expect(r2.items[0]).toMatchObject({ status: 'duplicate', reason: 'fingerprint' });
    const id = r1.items[0]?.status === 'accepted' ? r1.items[0].alertId : '';
    expect(await findAlertById(handle.store.db, id)).toMatchObject({
      count: 2,
      lastSeen: T0 + 60_000,
      firstSeen: T0,
    });
    clock.advance(25 * 3_600_000);
    const r3 = await ingestAlerts(
      ctx,
      { source: 'wazuh', items: [{ kind: 'json', value: c }] },
      SYSTEM_ACTOR,
    );
    expect(r3.items[0]).toMatchObject({ status: 'accepted', caseCreated: true });
  });

  it('counts repeats that arrive in the same batch as the alert, and answers them with its case', async () => {
    const items = ['evt-1', 'evt-2', 'evt-3'].map((id) => ({
      kind: 'json' as const,
      value: { ...wazuh, id },
    }));
    const res = await ingestAlerts(ctx, { source: 'wazuh', items }, SYSTEM_ACTOR);
    expect(res).toMatchObject({ accepted: 1, duplicates: 2 });
    const first = res.items[0];
    if (first?.status !== 'accepted') throw new Error('expected accepted');
    for (const repeat of res.items.slice(1))
      expect(repeat).toMatchObject({
        status: 'duplicate',
        reason: 'fingerprint',
        alertId: first.alertId,
        caseId: first.caseId,
      });
    expect(await findAlertById(handle.store.db, first.alertId)).toMatchObject({ count: 3, lastSeen: T0 });
    // A retry of an event of the same batch changes nothing, and also names the case.
    const retried = await ingestAlerts(
      ctx,
      { source: 'wazuh', items: [{ kind: 'json', value: { ...wazuh, id: 'evt-9' } }, ...items.slice(0, 1)] },
      SYSTEM_ACTOR,
      IngestSettings.parse({ dedup: { enabled: false } }),
    );
    expect(retried.items[1]).toMatchObject({
      status: 'duplicate',
      reason: 'source_event_id',
      caseId: first.caseId,
    });
    const again = { kind: 'json' as const, value: { ...wazuh, id: 'evt-10' } };
    const twice = await ingestAlerts(
      ctx,
      { source: 'wazuh', items: [again, again] },
      SYSTEM_ACTOR,
      IngestSettings.parse({ dedup: { enabled: false } }),
    );
    if (twice.items[0]?.status !== 'accepted') throw new Error('expected accepted');
    expect(twice.items[1]).toMatchObject({
      status: 'duplicate',
      reason: 'source_event_id',
      alertId: twice.items[0].alertId,
      caseId: twice.items[0].caseId,
    });
    expect((await findAlertById(handle.store.db, twice.items[0].alertId))?.count).toBe(1);
  });

  it('groups alerts of one batch by rule only when rule correlation is on, as it does alerts sent alone', async () => {
    const scan = (n: number, rule = 'scan-1') => ({
      kind: 'json' as const,
      value: {
        title: 'Port scan',
        severity: 'low',
        rule_id: rule,
        src_ip: `45.33.32.${n}`,
        id: `scan-${n}`,
      },
    });
    // Other addresses each time: with observables still on, shared ones would join the earlier cases.
    for (const [n, correlation] of [{ enabled: false }, { byRule: false }].entries()) {
      const res = await ingestAlerts(
        ctx,
        { source: 'fw', items: [scan(10 * n + 1), scan(10 * n + 2)] },
        SYSTEM_ACTOR,
        IngestSettings.parse({ correlation }),
      );
      expect(res).toMatchObject({ accepted: 2, casesCreated: 2 });
    }
    const on = await ingestAlerts(
      ctx,
      { source: 'fw', items: [scan(31, 'scan-2'), scan(32, 'scan-2')] },
      SYSTEM_ACTOR,
    );
    expect(on).toMatchObject({ accepted: 2, casesCreated: 1 });
  });

  it('says why an alert opened a case naming only the grouping that was looked for', async () => {
    const open = { kind: 'json' as const, value: { title: 'Beacon', severity: 'high' } };
    const reasons: string[] = [];
    for (const correlation of [
      {},
      { byRule: false },
      { byObservable: false },
      { byRule: false, byObservable: false },
      { enabled: false },
    ]) {
      const res = await ingestAlerts(
        ctx,
        {
          source: 'edr',
          // Each its own rule, but the second the first's: grouping by rule is off for it.
          items: [
            {
              ...open,
              value: {
                ...open.value,
                title: `Beacon ${reasons.length}`,
                rule_id: `b-${reasons.length === 1 ? 0 : reasons.length}`,
              },
            },
          ],
        },
        SYSTEM_ACTOR,
        IngestSettings.parse({ correlation }),
      );
      const item = res.items[0];
      if (item?.status !== 'accepted') throw new Error('expected accepted');
      reasons.push((await findAlertById(handle.store.db, item.alertId))?.correlation?.reason ?? '');
    }
    // With grouping by rule off, the alert's rule had an open case: the reason must not say none had.
    expect(reasons).toEqual([
      'no open case shares its rule or a significant observable within the last 1d',
      'no open case shares a significant observable within the last 1d (grouping by rule is off)',
      'no open case shares its rule within the last 1d (grouping by observable is off)',
      'grouping by rule and by observable are both off: every new alert opens a case',
      'correlation is off: every new alert opens a case',
    ]);
  });

  it('keeps an alert whose text holds a NUL, with U+FFFD in its fields and the NUL in its raw event', async () => {
    const bad = { title: 'bad\u0000one', severity: 'low', rule_name: 'r\u0000n', rule_id: 'r1', id: 'nul-1' };
    const res = await ingestAlerts(
      ctx,
      {
        source: 'api',
        items: [
          { kind: 'json', value: { title: 'good one', severity: 'low' } },
          { kind: 'json', value: bad },
        ],
      },
      SYSTEM_ACTOR,
    );
    expect(res).toMatchObject({ accepted: 2, rejected: 0 });
    const stored = res.items[1]?.status === 'accepted' ? res.items[1].alertId : '';
    const alert = await findAlertById(handle.store.db, stored);
    expect(alert?.title).toBe('bad\ufffdone');
    expect(alert?.origin.ruleName).toBe('r\ufffdn');
    expect(alert?.raw).toEqual(bad);
    // Read from a line (NDJSON), where the text is looked at first: its escape is found the same.
    const line = { ...bad, id: 'nul-2', rule_id: 'r2' };
    const fromLine = await ingestAlerts(
      ctx,
      { source: 'api', items: [{ kind: 'json', value: line, text: JSON.stringify(line) }] },
      SYSTEM_ACTOR,
    );
    const lineId = fromLine.items[0]?.status === 'accepted' ? fromLine.items[0].alertId : '';
    expect((await findAlertById(handle.store.db, lineId))?.title).toBe('bad\ufffdone');
  });

  it('groups alerts of one rule into one open case, and explains why', async () => {
    const res = await ingestAlerts(
      ctx,
      { source: 'suricata', items: suricata.map((value) => ({ kind: 'json' as const, value })) },
      SYSTEM_ACTOR,
      IngestSettings.parse({ dedup: { enabled: false } }),
    );
    expect(res.accepted).toBe(suricata.length);
    const rules = new Set(suricata.map((s) => (s.alert as { signature_id: number }).signature_id));
    expect(res.casesCreated).toBeLessThanOrEqual(rules.size);
    const joined = res.items.find((i) => i.status === 'accepted' && !i.caseCreated);
    if (joined?.status !== 'accepted') throw new Error('expected a joined alert');
    const alert = await findAlertById(handle.store.db, joined.alertId);
    const product = alert?.origin.product ?? '';
    expect(alert?.correlation).toMatchObject({
      decision: 'joined_case',
      rule: 'same_rule',
      reason: `same rule as an open case's alert (${product} rule ${alert?.origin.ruleId}) within the last 1d`,
      caseId: joined.caseId,
    });
  });

  it("puts one alerts_added event per case and batch on the timeline, listing the batch's alerts and reasons", async () => {
    const res = await ingestAlerts(
      ctx,
      { source: 'suricata', items: suricata.map((value) => ({ kind: 'json' as const, value })) },
      SYSTEM_ACTOR,
      IngestSettings.parse({ dedup: { enabled: false } }),
    );
    const byCase = new Map<string, string[]>();
    for (const item of res.items) {
      if (item.status !== 'accepted') continue;
      byCase.set(item.caseId, [...(byCase.get(item.caseId) ?? []), item.alertId]);
    }
    expect([...byCase.values()].some((ids) => ids.length > 1)).toBe(true);
    for (const [caseId, ids] of byCase) {
      const events = await listCaseEvents(handle.store.db, caseId, { limit: 100 });
      const added = events.filter((e) => e.type.startsWith('alert'));
      expect(added.map((e) => e.type)).toEqual(['alerts_added']);
      const listed = added[0]?.data.alerts as Array<{ alertId: string; reason?: string }>;
      expect(listed.map((a) => a.alertId)).toEqual(ids);
      for (const a of listed) {
        const alert = await findAlertById(handle.store.db, a.alertId);
        expect(a.reason).toBe(alert?.correlation?.reason);
      }
    }
  });

  it('joins on a shared significant observable, and opens a new case once the case is closed', async () => {
    const one = { title: 'Beacon to C2', rule_id: 'r1', src_ip: '203.0.114.9', id: 'x1' };
    const two = { title: 'Outbound scan', rule_id: 'r2', src_ip: '203.0.114.9', id: 'x2' };
    const r1 = await ingestAlerts(
      ctx,
      { source: 'custom', items: [{ kind: 'json', value: one }] },
      SYSTEM_ACTOR,
    );
    const r2 = await ingestAlerts(
      ctx,
      { source: 'custom', items: [{ kind: 'json', value: two }] },
      SYSTEM_ACTOR,
    );
    const c1 = r1.items[0]?.status === 'accepted' ? r1.items[0].caseId : 'none';
    expect(r2.items[0]).toMatchObject({ status: 'accepted', caseId: c1, caseCreated: false });
    const a2 =
      r2.items[0]?.status === 'accepted'
        ? await findAlertById(handle.store.db, r2.items[0].alertId)
        : undefined;
    expect(a2?.correlation).toEqual({
      decision: 'joined_case',
      rule: 'shared_observable',
      reason: 'shares ipv4 203.0.114.9 with an open case, seen there within the last 1d',
      matched: [{ type: 'ipv4', value: '203.0.114.9' }],
      windowMs: 86_400_000,
      caseId: c1,
    });
    const a1 =
      r1.items[0]?.status === 'accepted'
        ? await findAlertById(handle.store.db, r1.items[0].alertId)
        : undefined;
    expect(a1?.correlation).toMatchObject({ decision: 'new_case', caseId: c1 });
    await handle.store.db.updateTable('cases').set({ status: 'closed' }).where('id', '=', c1).execute();
    const three = { title: 'Third', rule_id: 'r3', src_ip: '203.0.114.9', id: 'x3' };
    const r3 = await ingestAlerts(
      ctx,
      { source: 'custom', items: [{ kind: 'json', value: three }] },
      SYSTEM_ACTOR,
    );
    expect(r3.items[0]).toMatchObject({ status: 'accepted', caseCreated: true });
  });

  it("maps a severity word that names one of Object's members to the fallback, with its batch stored", async () => {
    // `constructor` found Object itself in the severity table: the step failed with a TypeError, every retry.
    const res = await ingestAlerts(
      ctx,
      {
        source: 'mixed',
        items: [
          { kind: 'text', value: 'CEF:0|Vendor|Product|1.0|100|Odd severity|constructor|src=45.33.7.1' },
          { kind: 'json', value: { title: 'proto', severity: '__proto__', id: 'p1' } },
          { kind: 'json', value: { title: 'fine', severity: 'high', id: 'f1' } },
        ],
      },
      SYSTEM_ACTOR,
    );
    expect(res).toMatchObject({ accepted: 3, rejected: 0 });
    const stored = await handle.store.db
      .selectFrom('alerts')
      .select(['title', 'severity'])
      .orderBy('title')
      .execute();
    expect(stored).toEqual([
      { title: 'Odd severity', severity: 'medium' },
      { title: 'fine', severity: 'high' },
      { title: 'proto', severity: 'medium' },
    ]);
  });

  it('rejects bad items with a reason and keeps the good ones of the same batch', async () => {
    const res = await ingestAlerts(
      ctx,
      {
        source: 'mixed',
        items: [
          { kind: 'json', value: wazuh, line: 1 },
          { kind: 'json', value: [1, 2], line: 2 },
          { kind: 'invalid', reason: 'malformed JSON', line: 3 },
          { kind: 'json', value: { nothing: 'here' }, line: 4 },
          { kind: 'text', value: 'no grammar here', line: 5 },
        ],
      },
      SYSTEM_ACTOR,
    );
    expect(res).toMatchObject({ accepted: 1, rejected: 4 });
    expect(res.items.map((i) => [i.line, i.status])).toEqual([
      [1, 'accepted'],
      [2, 'rejected'],
      [3, 'rejected'],
      [4, 'rejected'],
      [5, 'rejected'],
    ]);
    expect(res.items[4]).toMatchObject({
      reason: expect.stringMatching(/column 1: matches neither RFC 5424/),
    });
  });

  it('commits large batches in bounded transactions and lists them newest first with a cursor', async () => {
    const items = Array.from({ length: 23 }, (_, i) => ({
      kind: 'json' as const,
      value: { title: `alert ${i}`, id: `e${i}`, severity: i % 2 ? 'high' : 'low', src_ip: `198.51.99.${i}` },
    }));
    const res = await ingestAlerts(
      ctx,
      { source: 'bulk', items },
      SYSTEM_ACTOR,
      IngestSettings.parse({ batchSize: 5 }),
    );
    expect(res.accepted).toBe(23);
    expect((await readAuditEntries(handle.store.db, 0, 100)).length).toBe(5);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await listAlerts(handle.store.db, {
        source: 'bulk',
        severity: ['high'],
        limit: 4,
        cursor,
      });
      seen.push(...page.alerts.map((a) => a.title));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toHaveLength(11);
    expect(seen[0]).toBe('alert 21');
    const byIp = await listAlerts(handle.store.db, { observable: '198.51.99.7', limit: 10 });
    expect(byIp.alerts.map((a) => a.title)).toEqual(['alert 7']);
  });
});

describe.each(DIALECTS)('concurrent ingest on %s', (dialect) => {
  it('stores one alert when two writers send the same source event at once', async () => {
    const handle = await openTestStore(dialect);
    try {
      const ctx = createTestContext(handle.store);
      const items = Array.from({ length: 20 }, (_, i) => ({
        kind: 'json' as const,
        value: { title: `same ${i}`, id: `dup-${i}`, src_ip: `45.33.1.${i}` },
      }));
      const [a, b] = await Promise.all([
        ingestAlerts(ctx, { source: 'race', items }, SYSTEM_ACTOR),
        ingestAlerts(ctx, { source: 'race', items }, SYSTEM_ACTOR),
      ]);
      expect((a?.accepted ?? 0) + (b?.accepted ?? 0)).toBe(20);
      expect((a?.duplicates ?? 0) + (b?.duplicates ?? 0)).toBe(20);
      const rows = await handle.store.db
        .selectFrom('alerts')
        .select('id')
        .where('source', '=', 'race')
        .execute();
      expect(rows).toHaveLength(20);
    } finally {
      await handle.cleanup();
    }
  });
});
