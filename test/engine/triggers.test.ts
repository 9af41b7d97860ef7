import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { PlaybookCache, publishPlaybook } from '../../src/app/playbooks/playbook-catalog.js';
import { getPlaybookHealth } from '../../src/app/playbooks/playbook-health.js';
import { createRunServices } from '../../src/app/playbooks/run-control.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { ManualClock } from '../../src/domain/shared/clock.js';
import { enqueueJob } from '../../src/store/queue/queue.repository.js';
import { listRuns } from '../../src/store/runs/run.repository.js';
import type { QueueBinding } from '../../src/app/job-handlers.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRunQueueBindings } from '../../src/worker/runs/run-queue.js';
import { createTriggerHandlers, TRIGGER_QUEUE } from '../../src/worker/runs/run-triggers.js';
import { createTestContext } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { drainQueues } from './run-driver.js';

const ON_HIGH = `
id: on-high
name: On high alerts
triggers:
  - { type: alert, condition: 'alert.severity == "high"' }
steps:
  - { id: note, kind: case, op: add_note, input: { body: "{{ alert.title }}" } }
  - { id: wait_close, kind: wait, event: { type: case.status_changed, condition: 'event.case.status == "closed"' } }
`;
const NIGHTLY = `
id: nightly
name: Nightly
triggers:
  - { type: schedule, cron: "0 2 * * *" }
steps:
  - { id: s, kind: set, vars: { at: "{{ event.scheduledAt }}" } }
`;

describe.each(DIALECTS)('triggers on %s', (dialect) => {
  let handle: TestStoreHandle;
  let ctx: AppContext;
  let bindings: QueueBinding[];
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0));
  const alerts: Record<string, unknown> = {
    a1: { id: 'a1', title: 'Ransomware', severity: 'high' },
    a2: { id: 'a2', title: 'Port scan', severity: 'low' },
  };
  const cases: Record<string, unknown> = { c1: { id: 'c1', status: 'triage' } };

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    ctx = createTestContext(handle.store, { clock });
    const runs = createRunQueueBindings(ctx, {
      actions: { describe: () => undefined, execute: async () => ({ output: {} }) },
      cases: createRecordingCaseOperations(),
    });
    const triggers: QueueBinding = {
      queue: TRIGGER_QUEUE,
      handlers: createTriggerHandlers(
        ctx,
        { newId: ctx.newId, dialect: ctx.store.dialect, playbooks: new PlaybookCache() },
        {
          loadAlert: async (_c, id) => alerts[id],
          loadCase: async (_c, id) => cases[id],
        },
      ),
    };
    bindings = [runs[0] as QueueBinding, triggers];
    await publishPlaybook(ctx, { source: ON_HIGH, actor: SYSTEM_ACTOR });
    await publishPlaybook(ctx, { source: NIGHTLY, actor: SYSTEM_ACTOR });
  });
  afterAll(() => handle.cleanup());

  const enqueue = (kind: string, payload: unknown) =>
    enqueueJob(
      ctx.store.db,
      { dialect: ctx.store.dialect, newId: ctx.newId },
      { queue: TRIGGER_QUEUE, kind, payload },
      clock.now(),
    );

  it('starts matching playbooks once per alert, even when the trigger job runs twice', async () => {
    await enqueue('alert.created', { alertId: 'a1', caseId: 'c1', caseCreated: true });
    await enqueue('alert.created', { alertId: 'a1', caseId: 'c1', caseCreated: true });
    await enqueue('alert.created', { alertId: 'a2', caseId: 'c1', caseCreated: false });
    await drainQueues(ctx, bindings);
    const runs = await listRuns(ctx.store.db, { playbookId: 'on-high', limit: 10 });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      alert_id: 'a1',
      case_id: 'c1',
      trigger_type: 'alert',
      status: 'waiting',
    });
  });

  it('wakes runs waiting on a case event when it matches', async () => {
    cases.c1 = { id: 'c1', status: 'closed' };
    await enqueue('case.event', { caseId: 'c1', eventId: 'e1', type: 'status_changed' });
    await drainQueues(ctx, bindings);
    const runs = await listRuns(ctx.store.db, { playbookId: 'on-high', limit: 10 });
    expect(runs[0]?.status).toBe('succeeded');
  });

  it('reminds of a review when its date passes, as a timer row, and counts the time saved', async () => {
    await publishPlaybook(ctx, {
      source: `id: reviewed\nname: Reviewed\ntime_saved_minutes: 12\nreview_by: "2026-01-01T01:00:00Z"\nsteps:\n  - { id: s, kind: set, vars: { x: 1 } }\n`,
      actor: SYSTEM_ACTOR,
    });
    const reminders = async () =>
      (
        await ctx.store.db
          .selectFrom('audit_log')
          .select(['action', 'target_id'])
          .where('action', '=', 'playbook.review_due')
          .execute()
      ).filter((r) => r.target_id === 'reviewed');
    await createRunServices(ctx).startManualRun({ playbookId: 'reviewed', inputs: {}, actor: SYSTEM_ACTOR });
    await drainQueues(ctx, bindings);
    expect(await reminders()).toHaveLength(0);
    expect(await getPlaybookHealth(ctx, 'reviewed')).toMatchObject({
      reviewDue: false,
      timeSavedMinutes: 12,
    });
    const saved = clock.now();
    // Before the nightly playbook's first tick (02:00), so the schedule test below sees none run.
    clock.set(Date.UTC(2026, 0, 1, 1, 30));
    await drainQueues(ctx, bindings);
    expect(await reminders()).toHaveLength(1);
    expect(await getPlaybookHealth(ctx, 'reviewed')).toMatchObject({ reviewDue: true });
    clock.set(saved);
  });

  it('runs scheduled playbooks at their cron times, as timer rows', async () => {
    // Publishing a playbook with a schedule trigger enqueued its first tick.
    await drainQueues(ctx, bindings);
    expect(await listRuns(ctx.store.db, { playbookId: 'nightly', limit: 10 })).toHaveLength(0);
    clock.set(Date.UTC(2026, 0, 1, 2, 0));
    await drainQueues(ctx, bindings);
    clock.set(Date.UTC(2026, 0, 2, 2, 0));
    await drainQueues(ctx, bindings);
    const runs = await listRuns(ctx.store.db, { playbookId: 'nightly', limit: 10 });
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  });
});
