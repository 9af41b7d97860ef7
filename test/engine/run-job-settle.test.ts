import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishPlaybook } from '../../src/app/playbooks/playbook-catalog.js';
import { createRunServices } from '../../src/app/playbooks/run-control.js';
import { RUN_QUEUE } from '../../src/app/playbooks/run-start.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { claimJobs } from '../../src/store/queue/queue.repository.js';
import { findRunById } from '../../src/store/runs/run.repository.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRunQueueBindings } from '../../src/worker/runs/run-queue.js';
import { createTestContext } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { recordingActions } from './run-driver.js';

const TWO_STEPS = `
id: settle-two
name: Two steps
steps:
  - { id: look, kind: action, action: ti.lookup, input: { ip: "192.0.2.7" } }
  - { id: tell, kind: action, action: chat.post, input: { text: "seen" } }
`;

describe.each(DIALECTS)('a run job on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(() => handle.cleanup());

  it('is deleted in the commit that finishes its run, so the worker has nothing left to settle', async () => {
    const ctx = createTestContext(handle.store);
    await publishPlaybook(ctx, { source: TWO_STEPS, actor: SYSTEM_ACTOR });
    const { runId } = await createRunServices(ctx).startManualRun({
      playbookId: 'settle-two',
      inputs: {},
      actor: SYSTEM_ACTOR,
    });
    const { actions, requests } = recordingActions({ ok: true });
    const [runs] = createRunQueueBindings(ctx, { actions, cases: createRecordingCaseOperations() });
    const [job] = await claimJobs(
      ctx.store.db,
      { dialect: ctx.store.dialect, newId: randomUUID },
      {
        queue: RUN_QUEUE,
        owner: 'test',
        leaseMs: 60_000,
        limit: 1,
        now: ctx.clock.now(),
        newToken: randomUUID,
      },
    );
    if (!job || !runs) throw new Error('no run job');
    const handler = runs.handlers[job.kind];
    if (!handler) throw new Error(`no handler for ${job.kind}`);
    const outcome = await handler(job, { ...ctx, signal: new AbortController().signal });
    expect(outcome).toEqual({ type: 'completed' });
    expect(requests.map((r) => r.action)).toEqual(['ti.lookup', 'chat.post']);
    expect((await findRunById(ctx.store.db, runId))?.status).toBe('succeeded');
    const left = await ctx.store.db.selectFrom('queue_jobs').select('id').where('id', '=', job.id).execute();
    expect(left).toEqual([]);
  });
});
