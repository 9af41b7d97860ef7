import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { publishPlaybook } from '../../src/app/playbooks/playbook-catalog.js';
import { getPlaybookHealth } from '../../src/app/playbooks/playbook-health.js';
import { RUN_QUEUE, sendRunEvent, startRunInTrx } from '../../src/app/playbooks/run-start.js';
import {
  ConnectorError,
  type ActionExecutor,
  type ActionRequest,
} from '../../src/connectors/action-executor.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { ManualClock } from '../../src/domain/shared/clock.js';
import type { RunState } from '../../src/engine/run-state.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { findRunById, listRunEvents, listRunSteps } from '../../src/store/runs/run.repository.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRunQueueBindings, createRuntimeDeps } from '../../src/worker/runs/run-queue.js';
import { advanceRun } from '../../src/worker/runs/run-runtime.js';
import type { QueueBinding } from '../../src/app/job-handlers.js';
import { createTestContext } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { drainQueues } from './run-driver.js';

const MAIN = `
id: contain
name: Contain
secrets: [fw_token]
inputs:
  ip: { type: string, required: true }
steps:
  - { id: lookup, kind: action, action: ti.lookup, input: { ip: "{{ inputs.ip }}" } }
  - id: decide
    kind: if
    condition: steps.lookup.output.score > 50
    then:
      - { id: block, kind: action, action: fw.block, input: { ip: "{{ inputs.ip }}", auth: "{{ secrets.fw_token }}" }, retry: { attempts: 2, backoff: 1s } }
  - { id: note, kind: case, op: add_note, input: { body: "blocked {{ inputs.ip }}" } }
  - { id: cool, kind: wait, duration: 5m }
  - { id: child, kind: playbook, playbook: enrich, inputs: { ip: "{{ inputs.ip }}" } }
  - { id: done, kind: succeed, output: "{{ steps.child.output }}" }
`;
const CHILD = `
id: enrich
name: Enrich
inputs:
  ip: { type: string }
steps:
  - { id: geo, kind: action, action: geo.lookup, input: { ip: "{{ inputs.ip }}" } }
outputs:
  country: "{{ steps.geo.output.country }}"
`;

function recordingExecutor(
  answer: (r: ActionRequest, n: number) => unknown,
): ActionExecutor & { requests: ActionRequest[] } {
  const requests: ActionRequest[] = [];
  return {
    requests,
    describe: () => undefined,
    async execute(request) {
      requests.push(request);
      return { output: answer(request, requests.filter((r) => r.action === request.action).length) };
    },
  };
}

describe.each(DIALECTS)('durable runs on %s', (dialect) => {
  let handle: TestStoreHandle;
  let ctx: AppContext;
  const clock = new ManualClock(1_700_000_000_000);

  const start = async (playbookId: string, inputs: Record<string, unknown>): Promise<string> =>
    ctx.store.db.transaction().execute(async (trx) => {
      const deps = createRuntimeDeps(ctx, {
        actions: recordingExecutor(() => ({})),
        cases: createRecordingCaseOperations(),
      });
      return (
        await startRunInTrx(
          trx,
          deps,
          { playbookId, triggerType: 'manual', trigger: { inputs }, requestedBy: SYSTEM_ACTOR },
          clock.now(),
        )
      ).runId;
    });
  const stateOf = async (runId: string): Promise<RunState> =>
    JSON.parse((await findRunById(ctx.store.db, runId))?.state ?? '{}') as RunState;

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    ctx = createTestContext(handle.store, { clock });
    await publishPlaybook(ctx, { source: CHILD, actor: SYSTEM_ACTOR });
    await publishPlaybook(ctx, { source: MAIN, actor: SYSTEM_ACTOR });
  });
  afterAll(() => handle.cleanup());

  it('runs a playbook through actions, a retry, a case operation, a timer and a sub-run', async () => {
    const actions = recordingExecutor((r, n) => {
      if (r.action === 'fw.block' && n === 1)
        throw new ConnectorError('CONNECTOR_UNAVAILABLE', `down, token ${String(r.input.auth)}`, {
          retryable: true,
        });
      if (r.action === 'ti.lookup') return { score: 90 };
      if (r.action === 'geo.lookup') return { country: 'NL' };
      return { ok: true };
    });
    const cases = createRecordingCaseOperations();
    const bindings = createRunQueueBindings(
      ctx,
      { actions, cases },
      { secrets: (n) => (n === 'fw_token' ? 's3cr3t-value' : undefined) },
    );
    const runId = await start('contain', { ip: '203.0.113.9' });
    await drainQueues(ctx, bindings);
    expect(actions.requests.map((r) => r.action)).toEqual(['ti.lookup', 'fw.block']);
    // The connector saw the real secret; nothing stored does.
    expect(actions.requests[1]?.input.auth).toBe('s3cr3t-value');
    expect((await stateOf(runId)).status).toBe('waiting');
    // The status column follows the state (a state write leaves out only an unchanged status).
    expect((await findRunById(ctx.store.db, runId))?.status).toBe('waiting');
    clock.advance(1_000);
    await drainQueues(ctx, bindings);
    expect(actions.requests.map((r) => r.idempotencyKey)).toEqual([
      `${runId}:lookup:1`,
      `${runId}:block:1`,
      `${runId}:block:2`,
    ]);
    expect(cases.calls).toEqual([
      { op: 'addNote', caseId: undefined, input: { body: 'blocked 203.0.113.9' } },
    ]);
    clock.advance(5 * 60_000);
    await drainQueues(ctx, bindings);
    const run = await findRunById(ctx.store.db, runId);
    expect(run).toMatchObject({ status: 'succeeded', version: 1 });
    expect((await stateOf(runId)).output).toEqual({ country: 'NL' });
    const steps = await listRunSteps(ctx.store.db, runId);
    expect(steps.map((s) => [s.step_id, s.attempt, s.status])).toEqual([
      ['lookup', 1, 'succeeded'],
      ['block', 1, 'failed'],
      ['block', 2, 'succeeded'],
      ['note', 1, 'succeeded'],
    ]);
    const everything = JSON.stringify([steps, await listRunEvents(ctx.store.db, runId), run]);
    expect(everything).not.toContain('s3cr3t-value');
    expect(everything).toContain('***');
    const audit = (await readAuditEntries(ctx.store.db, 0, 1_000)).map((e) => e.action);
    expect(audit).toEqual(
      expect.arrayContaining(['playbook.published', 'run.started', 'run.action', 'run.finished']),
    );
  });

  it('repeats an action that may have been sent but was not recorded, with the same key', async () => {
    const abort = new AbortController();
    const actions = recordingExecutor((r) => {
      if (r.action === 'ti.lookup') {
        abort.abort(new Error('worker killed'));
        throw new Error('connection reset');
      }
      return {};
    });
    const runId = await start('contain', { ip: '198.51.100.1' });
    const deps = createRuntimeDeps(
      ctx,
      { actions, cases: createRecordingCaseOperations() },
      { runLeaseMs: 1_000 },
    );
    await expect(advanceRun(deps, runId, abort.signal)).rejects.toThrow();
    expect((await stateOf(runId)).pending.map((e) => e.name)).toEqual(['ti.lookup']);
    const retried = recordingExecutor(() => ({ score: 1 }));
    await advanceRun(
      createRuntimeDeps(ctx, { actions: retried, cases: createRecordingCaseOperations() }),
      runId,
      new AbortController().signal,
    );
    expect(retried.requests[0]?.idempotencyKey).toBe(actions.requests[0]?.idempotencyKey);
    // The claim goes on past the lookup (to the case note, then the wait); the lookup is recorded once.
    const steps = await listRunSteps(ctx.store.db, runId);
    expect(steps.map((s) => s.step_id)).toEqual(['lookup', 'note']);
  });

  it('pauses, resumes and cancels through the inbox', async () => {
    const actions = recordingExecutor((r) => (r.action === 'ti.lookup' ? { score: 1 } : {}));
    const bindings: QueueBinding[] = createRunQueueBindings(ctx, {
      actions,
      cases: createRecordingCaseOperations(),
    });
    const deps = createRuntimeDeps(ctx, { actions, cases: createRecordingCaseOperations() });
    const runId = await start('contain', { ip: '192.0.2.1' });
    await ctx.store.db
      .transaction()
      .execute((trx) => sendRunEvent(trx, deps, runId, { type: 'pause' }, clock.now()));
    await drainQueues(ctx, bindings);
    expect((await stateOf(runId)).status).toBe('paused');
    expect((await findRunById(ctx.store.db, runId))?.status).toBe('paused');
    const mine = () => actions.requests.filter((r) => r.context.runId === runId);
    expect(mine()).toHaveLength(0);
    await ctx.store.db
      .transaction()
      .execute((trx) => sendRunEvent(trx, deps, runId, { type: 'resume' }, clock.now()));
    await drainQueues(ctx, bindings);
    expect(mine().map((r) => r.action)).toEqual(['ti.lookup']);
    expect((await stateOf(runId)).status).toBe('waiting');
    expect((await findRunById(ctx.store.db, runId))?.status).toBe('waiting');
    await ctx.store.db
      .transaction()
      .execute((trx) => sendRunEvent(trx, deps, runId, { type: 'cancel', reason: 'test' }, clock.now()));
    await drainQueues(ctx, bindings);
    expect((await findRunById(ctx.store.db, runId))?.status).toBe('cancelled');
    clock.advance(10 * 60_000);
    await drainQueues(ctx, bindings);
    expect(mine()).toHaveLength(1);
    const left = await ctx.store.db
      .selectFrom('queue_jobs')
      .select('payload')
      .where('queue', '=', RUN_QUEUE)
      .execute();
    expect(left.filter((j) => j.payload.includes(runId))).toEqual([]);
  });

  it('fails a case step whose operation throws, without failing the worker', async () => {
    await publishPlaybook(ctx, {
      source: `id: noted\nname: N\nsteps:\n  - { id: n, kind: case, op: set_status, input: { status: closed } }\n`,
      actor: SYSTEM_ACTOR,
    });
    const cases = createRecordingCaseOperations();
    cases.changeStatus = async () => {
      throw Object.assign(new Error('illegal transition new → closed'), {
        code: 'RIPOSTE_ILLEGAL_TRANSITION',
      });
    };
    const bindings = createRunQueueBindings(ctx, { actions: recordingExecutor(() => ({})), cases });
    const runId = await start('noted', {});
    await drainQueues(ctx, bindings);
    const run = await findRunById(ctx.store.db, runId);
    expect(run).toMatchObject({ status: 'failed', error_code: 'RIPOSTE_ILLEGAL_TRANSITION' });
  });

  it('reports playbook health: outcomes per version and the step that fails most', async () => {
    const health = await getPlaybookHealth(ctx, 'noted');
    expect(health.versions).toEqual([
      expect.objectContaining({
        version: 1,
        runs: 1,
        succeeded: 0,
        failed: 1,
        failureRate: 1,
        mostFailingStep: { stepId: 'n', failures: 1 },
      }),
    ]);
    const contain = await getPlaybookHealth(ctx, 'contain');
    expect(contain.versions[0]).toMatchObject({
      succeeded: 1,
      successRate: expect.any(Number),
      meanDurationMs: expect.any(Number),
    });
    expect(contain.reviewDue).toBe(false);
  });

  it('rejects manual inputs of the wrong type', async () => {
    await expect(start('contain', { ip: 42 })).rejects.toThrow(/inputs for playbook contain are invalid/);
  });
});
