import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeCaseStatus, mergeCases } from '../../src/app/cases/case-commands.js';
import { updateSlaPolicies } from '../../src/app/cases/sla-policies.js';
import { slaCheckHandler } from '../../src/app/cases/sla-timers.js';
import { deriveMilestones } from '../../src/domain/cases/case-milestones.js';
import { computeSlaClocks, runningClocks, type SlaPolicy } from '../../src/domain/cases/case-sla.js';
import type { CaseStatus } from '../../src/domain/cases/case.js';
import type { Severity } from '../../src/domain/shared/severity.js';
import { createCaseRoutes } from '../../src/api/cases/cases.routes.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { listCaseEvents } from '../../src/store/cases/case.repository.js';
import { claimJobs } from '../../src/store/queue/queue.repository.js';
import { asRole, buildTestApi, createTestContext, ManualClock, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { ANALYST, depsOf, inTransaction, newTestId, openCase } from './case-fixtures.js';

const T0 = Date.UTC(2026, 4, 4, 8);
const MIN = 60_000;

describe.each(DIALECTS)('SLA policies on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  let clock: ManualClock;
  const admin = asRole('admin');
  beforeAll(async () => {
    handle = await openTestStore(dialect);
    clock = new ManualClock(T0);
    api = await buildTestApi(handle.store, [{ name: 'cases', plugin: createCaseRoutes() }], { clock });
  });
  afterAll(async () => {
    await api.app.close();
    await handle.cleanup();
  });
  const put = (payload: unknown, headers = admin) =>
    api.app.inject({ method: 'PUT', url: '/api/v1/sla-policies', headers, payload: payload as object });

  it('shows the built-in policies until one is configured', async () => {
    const res = await api.app.inject({ url: '/api/v1/sla-policies', headers: asRole('viewer') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      policies: { critical: { acknowledge: 15 * MIN, contain: 240 * MIN, resolve: 1440 * MIN } },
      configured: [],
    });
  });

  it('refuses bad policies with a 4xx naming the field, and non-admins with a 403', async () => {
    const ok = { acknowledge: MIN, contain: 2 * MIN, resolve: 3 * MIN };
    expect((await put({ high: ok }, asRole('analyst'))).statusCode).toBe(403);
    const unknown = await put({ urgent: ok });
    expect(unknown.statusCode).toBe(400);
    expect(JSON.stringify(unknown.json())).toContain('urgent');
    const negative = await put({ high: { ...ok, resolve: -1 } });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().details.map((d: { path: string }) => d.path)).toContain('body.high.resolve');
    const extra = await put({ high: { ...ok, breach: 1 } });
    expect(extra.statusCode).toBe(400);
    expect(JSON.stringify(extra.json())).toContain('breach');
    const unordered = await put({ low: { acknowledge: 10 * MIN, contain: 5 * MIN, resolve: 60 * MIN } });
    expect(unordered.statusCode).toBe(400);
    expect(unordered.json()).toMatchObject({
      code: 'RIPOSTE_VALIDATION',
      details: [expect.objectContaining({ path: 'body.low.contain' })],
    });
    expect((await api.app.inject({ url: '/api/v1/sla-policies', headers: admin })).json().configured).toEqual(
      [],
    );
  });

  it('holds open cases to a changed policy from then on, audited, and raises the breach at the new due time', async () => {
    const opened = await api.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      headers: asRole('analyst'),
      payload: { title: 'Beacon', severity: 'high' },
    });
    const caseId = opened.json().id as string;
    clock.set(T0 + MIN);
    const res = await put({ high: { acknowledge: 5 * MIN, contain: 60 * MIN, resolve: 600 * MIN } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      policies: { high: { acknowledge: 5 * MIN }, critical: { acknowledge: 15 * MIN } },
      configured: [expect.objectContaining({ severity: 'high', updatedBy: expect.any(String) })],
      rescheduled: 1,
    });
    const detail = (await api.app.inject({ url: `/api/v1/cases/${caseId}`, headers: admin })).json();
    expect(detail.sla.find((c: { name: string }) => c.name === 'acknowledge').dueAt).toBe(T0 + 5 * MIN);
    const audit = await readAuditEntries(handle.store.db, 0, 100_000);
    expect(audit.find((e) => e.action === 'sla_policies.updated')?.details).toMatchObject({
      before: { high: { acknowledge: 30 * MIN } },
      after: { high: { acknowledge: 5 * MIN } },
      rescheduled: 1,
    });

    // Both the new check (5 min) and the old one (30 min) fall due; only the new due time is a breach.
    clock.set(T0 + 31 * MIN);
    const ctx = { ...createTestContext(handle.store, { clock }), signal: new AbortController().signal };
    const jobs = await claimJobs(handle.store.db, depsOf(handle.store), {
      queue: 'timers',
      owner: 'test',
      leaseMs: 60_000,
      limit: 100,
      now: clock.now(),
      newToken: newTestId,
    });
    const acks = jobs.filter((j) => (j.payload as { clock: string }).clock === 'acknowledge');
    expect(acks.map((j) => (j.payload as { dueAt: number }).dueAt).sort()).toEqual([
      T0 + 5 * MIN,
      T0 + 30 * MIN,
    ]);
    for (const job of acks) await slaCheckHandler(job, ctx);
    const breaches = (await listCaseEvents(handle.store.db, caseId, { limit: 50 })).filter(
      (e) => e.type === 'sla_breached',
    );
    expect(breaches.map((e) => e.data.dueAt)).toEqual([T0 + 5 * MIN]);
  });

  it('audits only the severities a change altered, and nothing when it altered none', async () => {
    const updates = async () =>
      (await readAuditEntries(handle.store.db, 0, 100_000))
        .filter((e) => e.action === 'sla_policies.updated')
        .map((e) => e.details);
    const current = (await api.app.inject({ url: '/api/v1/sla-policies', headers: admin })).json().policies;
    // The built-in policies made this deployment's own: a change (they no longer follow the built-in ones).
    expect((await put({ high: current.high, low: current.low })).statusCode).toBe(200);
    const already = await updates();
    expect(already.at(-1)).toMatchObject({ before: { low: current.low }, after: { low: current.low } });
    expect(Object.keys((already.at(-1) as { after: object }).after)).toEqual(['low']);
    // The same again (one written in another key order): 200 and the policies, no audit entry.
    const { acknowledge, contain, resolve } = current.low as Record<string, number>;
    const same = await put({ high: current.high, low: { resolve, contain, acknowledge } });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toMatchObject({ policies: current, rescheduled: 0 });
    expect(await updates()).toEqual(already);
    // One changed among others given as they are: only that one is recorded.
    const low = { acknowledge: 20 * MIN, contain: 200 * MIN, resolve: 2000 * MIN };
    expect((await put({ high: current.high, low })).statusCode).toBe(200);
    expect((await updates()).slice(already.length)).toEqual([
      { before: { low: current.low }, after: { low }, rescheduled: expect.any(Number) },
    ]);
  });

  it('reschedules every open case of a changed severity from its milestones, and no other case', async () => {
    // Many cases in every state a clock can be in: new, acknowledged, contained, closed, reopened, merged.
    const severities: Severity[] = ['critical', 'medium', 'low'];
    const paths: CaseStatus[][] = [
      [],
      ['triage'],
      ['triage', 'containment'],
      ['triage', 'closed'],
      ['triage', 'closed', 'triage'],
    ];
    const deps = depsOf(handle.store);
    const ids: string[] = [];
    for (let i = 0; i < 60; i += 1) {
      const t = T0 + 1000 * MIN + i * MIN;
      const kase = await openCase(handle.store, { severity: severities[i % 3] }, t);
      ids.push(kase.id);
      for (const [k, to] of (paths[i % paths.length] ?? []).entries()) {
        await inTransaction(handle.store, (trx) =>
          changeCaseStatus(
            trx,
            deps,
            { caseId: kase.id, to, actor: ANALYST, ...(to === 'closed' ? { resolution: 'benign' } : {}) },
            t + (k + 1) * 7 * MIN,
          ),
        );
      }
    }
    const [survivor, merged] = [ids[0] as string, ids[6] as string];
    await inTransaction(handle.store, (trx) =>
      mergeCases(trx, deps, { survivorId: survivor, mergedId: merged, actor: ANALYST }, T0 + 1100 * MIN),
    );

    const now = T0 + 1200 * MIN;
    clock.set(now);
    const policies: Partial<Record<Severity, SlaPolicy>> = {
      critical: { acknowledge: 2 * MIN, contain: 90 * MIN, resolve: 900 * MIN },
      medium: { acknowledge: 300 * MIN, contain: 400 * MIN, resolve: 5000 * MIN },
    };
    const ctx = createTestContext(handle.store, { clock });
    const result = await updateSlaPolicies(ctx, policies, ANALYST);

    // What the timeline says each case's checks are, recomputed case by case from its events.
    const expected: Array<{ key: string; runAt: number }> = [];
    let open = 0;
    for (const id of ids) {
      const kase = await handle.store.db
        .selectFrom('cases')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const policy = policies[kase.severity as Severity];
      if (!policy || kase.status === 'closed' || kase.merged_into) continue;
      open += 1;
      const events = (await listCaseEvents(handle.store.db, id, { limit: 1000 })).map((e) => ({
        type: e.type,
        at: e.at,
        data: e.data as Record<string, unknown>,
      }));
      for (const c of runningClocks(computeSlaClocks(deriveMilestones(events), policy, now))) {
        expected.push({ key: `case.sla_check:${id}:${c.name}:${c.dueAt}`, runAt: Math.max(c.dueAt, now) });
      }
    }
    const jobs = await handle.store.db
      .selectFrom('queue_jobs')
      .select(['dedupe_key', 'run_at', 'payload'])
      .where('queue', '=', 'timers')
      .where('created_at', '=', now)
      .execute();
    const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : 1);
    expect(result.rescheduled).toBe(open);
    expect(open).toBeGreaterThan(20);
    expect(expected.length).toBeGreaterThan(open);
    expect(jobs.map((j) => ({ key: j.dedupe_key ?? '', runAt: Number(j.run_at) })).sort(byKey)).toEqual(
      expected.sort(byKey),
    );
    expect(jobs.map((j) => JSON.parse(j.payload) as { dueAt: number })[0]?.dueAt).toEqual(expect.any(Number));

    // The same change again schedules nothing new: each check is keyed by its due time.
    clock.set(now + MIN);
    await updateSlaPolicies(
      ctx,
      { critical: { ...policies.critical, acknowledge: 3 * MIN } as SlaPolicy },
      ANALYST,
    );
    await updateSlaPolicies(ctx, { critical: policies.critical as SlaPolicy }, ANALYST);
    const again = await handle.store.db
      .selectFrom('queue_jobs')
      .select('dedupe_key')
      .where('queue', '=', 'timers')
      .where('created_at', '>', now)
      .where('dedupe_key', 'like', '%:contain:%')
      .execute();
    expect(again).toEqual([]);
  });
});
