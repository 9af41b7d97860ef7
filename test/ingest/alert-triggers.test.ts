import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueBinding } from '../../src/app/job-handlers.js';
import { mergeCases } from '../../src/app/cases/case-commands.js';
import { ingestAlerts } from '../../src/app/ingest/ingest-alerts.js';
import { PlaybookCache, publishPlaybook } from '../../src/app/playbooks/playbook-catalog.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { enqueueJob } from '../../src/store/queue/queue.repository.js';
import { listRuns } from '../../src/store/runs/run.repository.js';
import { createTriggerHandlers, TRIGGER_QUEUE } from '../../src/worker/runs/run-triggers.js';
import { createTestContext, ManualClock } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { drainQueues } from '../engine/run-driver.js';

const ON_HIGH = `
id: on-high
name: On high alerts
triggers:
  - { type: alert, condition: 'alert.severity == "high"' }
steps:
  - { id: s, kind: set, vars: { seen: "{{ alert.title }}" } }
`;

describe.each(DIALECTS)('alert triggers of an ingest batch on %s', (dialect) => {
  let handle: TestStoreHandle;
  let ctx: ReturnType<typeof createTestContext>;
  let triggers: QueueBinding;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
    ctx = createTestContext(handle.store, { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    triggers = {
      queue: TRIGGER_QUEUE,
      handlers: createTriggerHandlers(ctx, {
        newId: ctx.newId,
        dialect: ctx.store.dialect,
        playbooks: new PlaybookCache(),
      }),
    };
    await publishPlaybook(ctx, { source: ON_HIGH, actor: SYSTEM_ACTOR });
  });
  afterAll(() => handle.cleanup());

  it('enqueues one trigger job a transaction, and starts a run for each matching alert of it once', async () => {
    const item = (id: string, title: string, level: number) => ({
      kind: 'json' as const,
      value: {
        id,
        title,
        rule_id: `r-${id}`,
        src_ip: `203.0.113.${level}`,
        severity: level > 10 ? 'high' : 'low',
      },
    });
    const res = await ingestAlerts(
      ctx,
      { source: 'custom', items: [item('e1', 'One', 12), item('e2', 'Two', 3), item('e3', 'Three', 14)] },
      SYSTEM_ACTOR,
    );
    expect(res.accepted).toBe(3);
    const jobs = await ctx.store.db
      .selectFrom('queue_jobs')
      .selectAll()
      .where('queue', '=', TRIGGER_QUEUE)
      .execute();
    expect(jobs.map((j) => j.kind)).toEqual(['alerts.created']);
    // The same job run twice (a worker died after starting the runs) starts nothing more.
    await drainQueues(ctx, [triggers]);
    await enqueueJob(
      ctx.store.db,
      { dialect: ctx.store.dialect, newId: ctx.newId },
      { queue: TRIGGER_QUEUE, kind: 'alerts.created', payload: JSON.parse(jobs[0]?.payload ?? '{}') },
      ctx.clock.now(),
    );
    await drainQueues(ctx, [triggers]);
    const runs = await listRuns(ctx.store.db, { playbookId: 'on-high', limit: 10 });
    const high = res.items.filter((_, i) => i !== 1).map((i) => (i.status === 'accepted' ? i.alertId : ''));
    expect(runs.map((r) => r.alert_id).sort()).toEqual(high.sort());
  });

  it('starts each run on the case its alert is in when the job runs, following merges', async () => {
    const item = (id: string, n: number, severity: string) => ({
      kind: 'json' as const,
      value: { id, title: id, rule_id: `r-${id}`, src_ip: `198.51.100.${n}`, severity },
    });
    const ingest = async (...items: Array<ReturnType<typeof item>>) =>
      (await ingestAlerts(ctx, { source: 'custom', items }, SYSTEM_ACTOR)).items.map((i) =>
        i.status === 'accepted' ? { alertId: i.alertId, caseId: i.caseId as string } : expect.fail(i.status),
      );
    const [kept] = await ingest(item('k1', 1, 'low'));
    await drainQueues(ctx, [triggers]);
    // One job for two alerts; before a worker takes it, an analyst merges one alert's case into another.
    const [merged, stays] = await ingest(item('m1', 2, 'high'), item('s1', 3, 'high'));
    const [chained] = await ingest(item('c1', 4, 'high'));
    const deps = { newId: ctx.newId, dialect: ctx.store.dialect };
    await ctx.store.db
      .transaction()
      .execute((trx) =>
        mergeCases(
          trx,
          deps,
          { survivorId: kept!.caseId, mergedId: merged!.caseId, actor: SYSTEM_ACTOR },
          ctx.clock.now(),
        ),
      );
    // A chain a merge did not repoint (c1's case into m1's, itself merged into k1's) is followed to its end.
    await ctx.store.db
      .updateTable('cases')
      .set({ status: 'closed', resolution: 'duplicate', merged_into: merged!.caseId })
      .where('id', '=', chained!.caseId)
      .execute();
    await drainQueues(ctx, [triggers]);
    const runs = await listRuns(ctx.store.db, { playbookId: 'on-high', limit: 50 });
    const caseOfRun = (alertId: string) => runs.filter((r) => r.alert_id === alertId).map((r) => r.case_id);
    expect(caseOfRun(merged!.alertId)).toEqual([kept!.caseId]);
    expect(caseOfRun(stays!.alertId)).toEqual([stays!.caseId]);
    expect(caseOfRun(chained!.alertId)).toEqual([kept!.caseId]);
  });
});
