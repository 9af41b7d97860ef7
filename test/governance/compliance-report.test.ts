import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderComplianceHtml } from '../../src/app/reports/compliance-html.js';
import { buildComplianceReport } from '../../src/app/reports/compliance-report.service.js';
import { ManualClock } from '../../src/domain/shared/clock.js';
import { recordAudit } from '../../src/store/audit/audit.repository.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const T0 = Date.UTC(2026, 2, 1);
const MIN = 60_000;

describe.each(DIALECTS)('compliance report on %s', (dialect) => {
  let handle: TestStoreHandle;
  let dataDir: string;
  const ctx = () => ({ config: { dataDir } as never, store: handle.store, clock: new ManualClock(T0 + 1e9) });
  const audit = (action: string, at: number, details: Record<string, unknown> = {}, name = 'alice') =>
    recordAudit(
      handle.store.db,
      handle.store,
      { actor: { type: 'user', id: name, name }, action, target: { type: 'x', id: action }, details },
      at,
    );
  const event = (caseId: string, type: string, at: number, data: Record<string, unknown> = {}) =>
    handle.store.db
      .insertInto('case_events')
      .values({
        id: `${caseId}-${at}`,
        case_id: caseId,
        at,
        type,
        actor_type: 'user',
        actor_id: 'u',
        actor_name: 'u',
        data: JSON.stringify(data),
      })
      .execute();

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'riposte-report-'));
    // Case A: acknowledged after 10 min, contained after 30, closed after 120.
    await event('A', 'case_created', T0);
    await event('A', 'status_changed', T0 + 10 * MIN, { to: 'triage' });
    await event('A', 'status_changed', T0 + 30 * MIN, { to: 'containment' });
    await event('A', 'status_changed', T0 + 120 * MIN, { to: 'closed', resolution: 'resolved' });
    // Case B: still in triage.
    await event('B', 'case_created', T0 + 5 * MIN);
    await event('B', 'status_changed', T0 + 25 * MIN, { to: 'triage' });
    // Case D: merged into A after 5 min, closed as a duplicate: neither acknowledged nor resolved by it.
    await event('D', 'case_created', T0 + 1 * MIN);
    await event('D', 'status_changed', T0 + 6 * MIN, {
      from: 'new',
      to: 'closed',
      resolution: 'duplicate',
      mergedInto: 'A',
    });
    // Case C: outside the period.
    await event('C', 'case_created', T0 - 10 * 24 * 60 * MIN);
    await audit('alerts.ingested', T0 + 1);
    await audit('case.created', T0 + 2);
    await audit('playbook.published', T0 + 3, { version: 2 }, 'bob');
    await audit('run.started', T0 + 4, { dryRun: true });
    await audit('approval.decided', T0 + 5, { decision: 'approved' }, 'carol');
    await audit('approval.decided', T0 + 6, { decision: 'rejected' }, 'dave');
    await audit(
      'approval.break_glass',
      T0 + 7,
      { decision: 'approved', reason: 'ransomware spreading' },
      'root',
    );
    await audit('auth.forbidden', T0 + 8);
    await audit('auth.login_failed', T0 + 9);
    await audit('request.conflict', T0 + 10);
    await audit('case.created', T0 - 10 * 24 * 60 * MIN);
  });
  afterAll(async () => {
    await handle.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('maps the period to SOC 2 and NIST phases with incident times, approvals, changes and tests', async () => {
    const r = await buildComplianceReport(ctx(), { from: T0, to: T0 + 24 * 60 * MIN });
    expect(r.sources).toEqual({ auditEntries: 10, caseTimeline: true });
    expect(r.incidents.handled).toBe(2);
    expect(r.incidents.merged).toBe(1);
    expect(r.incidents.items.map((i) => i.caseId).sort()).toEqual(['A', 'B']);
    expect(r.incidents.metrics).toMatchObject({
      cases: 2,
      closed: 1,
      mttaMs: 15 * MIN,
      mttcMs: 30 * MIN,
      mttrMs: 120 * MIN,
    });
    expect(r.incidents.items.find((i) => i.caseId === 'A')).toMatchObject({
      containedAt: T0 + 30 * MIN,
      status: 'closed',
    });
    const soc2 = Object.fromEntries(r.soc2.map((c) => [c.id, c]));
    expect(soc2['CC7.3']?.status).toBe('evidenced');
    expect(soc2['CC7.3']?.evidence).toContainEqual({ fact: 'status:triage', count: 2 });
    expect(soc2['CC7.4']?.evidence).toContainEqual({ fact: 'approval.decided', count: 2 });
    expect(soc2['CC7.5']?.evidence).toContainEqual({ fact: 'status:closed', count: 1 });
    expect(r.nist.map((p) => p.status)).toEqual(['evidenced', 'evidenced', 'evidenced', 'evidenced']);
    expect(r.approvals).toMatchObject({ approved: 2, rejected: 1, breakGlass: 1 });
    expect(r.playbookChanges).toMatchObject([{ action: 'playbook.published', by: 'bob (user)' }]);
    expect(r.playbookTests).toMatchObject([{ action: 'run.started' }]);
    expect(r.accessRefusals).toBe(3);
    expect(r.auditIntegrity.ok).toBe(true);
    const html = renderComplianceHtml(r);
    expect(html).toContain('CC7.4');
    expect(html).toContain('Containment, Eradication and Recovery');
    expect(html).not.toContain('<script');
    expect(html).toContain('1 more merged into another case, not counted.');
  });

  it('says when a control has no evidence, and works without the case tables', async () => {
    await sql`drop table case_events`.execute(handle.store.db);
    const r = await buildComplianceReport(ctx(), { from: T0, to: T0 + 24 * 60 * MIN });
    expect(r.sources.caseTimeline).toBe(false);
    expect(r.incidents).toEqual({ handled: 0, merged: 0, items: [], metrics: null });
    expect(r.soc2.find((c) => c.id === 'CC7.5')?.status).toBe('no_evidence');
    await expect(buildComplianceReport(ctx(), { from: T0, to: T0 })).rejects.toThrow(/period is empty/);
  });
});
