import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { decideApproval } from '../../src/app/playbooks/approval-decisions.js';
import { publishPlaybook } from '../../src/app/playbooks/playbook-catalog.js';
import { createRunServices } from '../../src/app/playbooks/run-control.js';
import { RunCaseEventType } from '../../src/app/playbooks/run-timeline.js';
import type { ActionExecutor } from '../../src/connectors/action-executor.js';
import type { CaseEvent } from '../../src/domain/cases/case.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { listCaseEvents } from '../../src/store/cases/case.repository.js';
import { listApprovals } from '../../src/store/runs/approval.repository.js';
import { findRunById } from '../../src/store/runs/run.repository.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRunQueueBindings } from '../../src/worker/runs/run-queue.js';
import { createTestContext } from '../support/api.js';
import { openCase } from '../cases/case-fixtures.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { drainQueues } from './run-driver.js';

const SECRET = 'tok-s3cr3t-value';
const PLAYBOOK = `
id: timeline
name: Timeline
secrets: [edr_token]
steps:
  - { id: lookup, kind: action, action: edr.lookup, input: { host: web-1, token: "{{ secrets.edr_token }}" } }
  - { id: ask, kind: approval, message: "Isolate web-1?", approvers: [approver] }
  - { id: isolate, kind: action, action: edr.isolate, input: { host: web-1, token: "{{ secrets.edr_token }}" } }
`;

describe.each(DIALECTS)('a run on the case timeline on %s', (dialect) => {
  let handle: TestStoreHandle;
  let ctx: AppContext;
  const actions: ActionExecutor = {
    describe: () => undefined,
    execute: async (r) => {
      if (r.action === 'edr.isolate') throw new Error('EDR unreachable');
      return { output: { seen: true } };
    },
  };
  const drain = () =>
    drainQueues(
      ctx,
      createRunQueueBindings(
        ctx,
        { actions, cases: createRecordingCaseOperations() },
        { secrets: (name) => (name === 'edr_token' ? SECRET : undefined) },
      ),
    );
  const timeline = async (caseId: string): Promise<CaseEvent[]> =>
    listCaseEvents(ctx.store.db, caseId, { limit: 100 });

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    ctx = createTestContext(handle.store);
    await publishPlaybook(ctx, { source: PLAYBOOK, actor: SYSTEM_ACTOR });
  });
  afterAll(() => handle.cleanup());

  it('shows the run starting and finishing, each action it took, and the approval asked and given', async () => {
    const kase = await openCase(ctx.store, { title: 'Beacon', severity: 'high' }, ctx.clock.now());
    const { runId } = await createRunServices(ctx).startManualRun({
      playbookId: 'timeline',
      inputs: {},
      caseId: kase.id,
      actor: { type: 'user', id: 'u-ann', name: 'ann' },
    });
    await drain();
    const parked = await timeline(kase.id);
    expect(parked.map((e) => e.type)).toEqual([
      'case_created',
      RunCaseEventType.runStarted,
      RunCaseEventType.actionTaken,
      RunCaseEventType.approvalRequested,
    ]);
    const started = parked[1];
    expect(started?.actor).toMatchObject({ id: 'u-ann' });
    expect(started?.data).toMatchObject({ runId, playbook: 'timeline', version: 1, trigger: 'manual' });
    expect(parked[2]?.data).toMatchObject({
      runId,
      action: 'edr.lookup',
      step: 'lookup',
      status: 'succeeded',
      input: { host: 'web-1', token: '***' },
    });
    const [approval] = await listApprovals(ctx.store.db, { runId, limit: 10 });
    expect(parked[3]?.data).toMatchObject({ runId, approvalId: approval?.id, message: 'Isolate web-1?' });
    // The request names the call it guards, its secrets redacted.
    expect(approval).toMatchObject({ action: 'edr.isolate', requested_by: 'u-ann' });
    expect(JSON.parse(approval?.action_input ?? 'null')).toEqual({ host: 'web-1', token: '***' });

    await decideApproval(ctx, {
      approvalId: approval?.id ?? '',
      approver: { kind: 'user', id: 'u-bob', name: 'bob', roles: ['approver'] },
      decision: 'approved',
      comment: 'go',
    });
    await drain();
    expect(await findRunById(ctx.store.db, runId)).toMatchObject({ status: 'failed' });
    const done = (await timeline(kase.id)).slice(parked.length);
    expect(done.map((e) => e.type)).toEqual([
      RunCaseEventType.approvalDecided,
      RunCaseEventType.actionTaken,
      RunCaseEventType.runFinished,
    ]);
    expect(done[0]).toMatchObject({
      actor: { id: 'u-bob' },
      data: { decision: 'approved', status: 'approved', comment: 'go' },
    });
    expect(done[1]?.data).toMatchObject({
      action: 'edr.isolate',
      status: 'failed',
      error: { message: 'EDR unreachable' },
    });
    expect(done[2]?.data).toMatchObject({ runId, status: 'failed' });
    expect(JSON.stringify(await timeline(kase.id))).not.toContain(SECRET);
  });

  it('writes nothing for runs without a case', async () => {
    const before = await ctx.store.db
      .selectFrom('case_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const { runId } = await createRunServices(ctx).startManualRun({
      playbookId: 'timeline',
      inputs: {},
      actor: SYSTEM_ACTOR,
    });
    await drain();
    expect(await findRunById(ctx.store.db, runId)).toMatchObject({ status: 'waiting' });
    const after = await ctx.store.db
      .selectFrom('case_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});
