import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { publishPlaybook } from '../../src/app/playbooks/playbook-catalog.js';
import { sendRunEvent, startRunInTrx } from '../../src/app/playbooks/run-start.js';
import type { ActionExecutor, ActionRequest } from '../../src/connectors/action-executor.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { ManualClock } from '../../src/domain/shared/clock.js';
import type { RunState } from '../../src/engine/run-state.js';
import {
  findRunById,
  INLINE_OUTPUT_LIMIT,
  listRunEvents,
  listRunSteps,
} from '../../src/store/runs/run.repository.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRunQueueBindings, createRuntimeDeps } from '../../src/worker/runs/run-queue.js';
import { advanceRun } from '../../src/worker/runs/run-runtime.js';
import { createTestContext } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { drainQueues } from './run-driver.js';

const BIG = `
id: big-output
name: Big output
steps:
  - { id: dump, kind: action, action: logs.dump }
  - { id: pick, kind: set, vars: { tenth: "{{ steps.dump.output.rows[10].v }}" } }
  - id: each
    kind: foreach
    items: "[steps.dump.output.rows[1], steps.dump.output.rows[2]]"
    do:
      - { id: use, kind: action, action: logs.use, input: { v: "{{ item.v }}" } }
  - { id: after, kind: action, action: logs.after, input: { n: "{{ size(steps.dump.output.rows) }}", t: "{{ vars.tenth }}" } }
`;

const FANOUT = `
id: fanout
name: Fan-out
steps:
  - id: all
    kind: parallel
    branches:
      - { name: a, steps: [{ id: a1, kind: action, action: edr.a }, { id: a2, kind: action, action: edr.a2 }] }
      - { name: b, steps: [{ id: b1, kind: action, action: edr.b }] }
      - { name: c, steps: [{ id: c1, kind: action, action: edr.c }] }
  - id: each
    kind: foreach
    items: "[1, 2, 3, 4, 5]"
    concurrency: 2
    do:
      - { id: hit, kind: action, action: fw.hit, input: { n: "{{ item }}" } }
`;

const BUSY = `
id: busy
name: Busy
steps:
  - id: both
    kind: parallel
    branches:
      - { name: slow, steps: [{ id: slow, kind: action, action: edr.slow }] }
      - name: gated
        steps:
          - { id: ask, kind: approval, message: go?, approvers: [responder] }
          - { id: fast, kind: action, action: edr.fast }
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An executor whose answers are async functions, recording every request and how many ran at once. */
function executor(answer: (r: ActionRequest) => Promise<unknown>): ActionExecutor & {
  requests: ActionRequest[];
  maxConcurrent: Map<string, number>;
} {
  const requests: ActionRequest[] = [];
  const running = new Map<string, number>();
  const maxConcurrent = new Map<string, number>();
  return {
    requests,
    maxConcurrent,
    describe: () => undefined,
    async execute(request) {
      requests.push(request);
      const n = (running.get(request.action) ?? 0) + 1;
      running.set(request.action, n);
      maxConcurrent.set(request.action, Math.max(maxConcurrent.get(request.action) ?? 0, n));
      try {
        return { output: await answer(request) };
      } finally {
        running.set(request.action, (running.get(request.action) ?? 1) - 1);
      }
    },
  };
}

describe.each(DIALECTS)('fan-out, large outputs and busy runs on %s', (dialect) => {
  let handle: TestStoreHandle;
  let ctx: AppContext;
  const clock = new ManualClock(1_700_000_000_000);

  const start = async (playbookId: string): Promise<string> =>
    ctx.store.db.transaction().execute(async (trx) => {
      const deps = createRuntimeDeps(ctx, {
        actions: executor(async () => ({})),
        cases: createRecordingCaseOperations(),
      });
      return (
        await startRunInTrx(
          trx,
          deps,
          { playbookId, triggerType: 'manual', trigger: {}, requestedBy: SYSTEM_ACTOR },
          clock.now(),
        )
      ).runId;
    });
  const rowOf = async (runId: string) => {
    const row = await findRunById(ctx.store.db, runId);
    if (!row) throw new Error(`no run ${runId}`);
    return { row, state: JSON.parse(row.state) as RunState };
  };

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    ctx = createTestContext(handle.store, { clock });
    for (const source of [BIG, FANOUT, BUSY]) await publishPlaybook(ctx, { source, actor: SYSTEM_ACTOR });
  });
  afterAll(() => handle.cleanup());

  it('keeps a large output out of the run state and reads it back when an expression needs it, in a new process too', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ i, v: `row-${i}-${'x'.repeat(40)}` }));
    const outputSize = JSON.stringify({ rows }).length;
    expect(outputSize).toBeGreaterThan(1_000_000);
    const abort = new AbortController();
    const first = executor(async (r) => {
      if (r.action === 'logs.dump') return { rows };
      // The worker dies in the loop: the next one has none of the output in memory.
      abort.abort(new Error('worker killed'));
      throw new Error('connection reset');
    });
    const runId = await start('big-output');
    await expect(
      advanceRun(
        createRuntimeDeps(ctx, { actions: first, cases: createRecordingCaseOperations() }),
        runId,
        abort.signal,
      ),
    ).rejects.toThrow();
    const held = await rowOf(runId);
    expect(held.row.state.length).toBeLessThan(INLINE_OUTPUT_LIMIT);
    expect(held.state.blobs).toHaveLength(1);
    expect(held.state.vars.tenth).toBe(rows[10]?.v);

    const second = executor(async () => ({ ok: true }));
    await advanceRun(
      createRuntimeDeps(ctx, { actions: second, cases: createRecordingCaseOperations() }),
      runId,
      new AbortController().signal,
    );
    const done = await rowOf(runId);
    expect(done.state.status).toBe('succeeded');
    expect(done.row.state.length).toBeLessThan(INLINE_OUTPUT_LIMIT);
    expect(second.requests.map((r) => [r.action, r.input])).toEqual([
      ['logs.use', { v: rows[1]?.v }],
      ['logs.use', { v: rows[2]?.v }],
      ['logs.after', { n: 20_000, t: rows[10]?.v }],
    ]);
    // The step record and the step events hold the reference too, never the megabytes.
    const events = JSON.stringify(await listRunEvents(ctx.store.db, runId));
    expect(events.length).toBeLessThan(outputSize / 10);
    const dump = (await listRunSteps(ctx.store.db, runId)).find((s) => s.step_id === 'dump');
    expect(dump).toMatchObject({ output: null });
    expect(dump?.output_ref).toBe(held.state.blobs?.[0]);
  });

  it('runs branch effects concurrently up to the foreach limit, each committed once, and repeats only the uncommitted one', async () => {
    const abort = new AbortController();
    let arrived = 0;
    let letGo: () => void = () => undefined;
    const together = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const first = executor(async (r) => {
      if (r.action === 'edr.a2') {
        // The worker dies while branch a's second step is out; b and c were committed before.
        abort.abort(new Error('worker killed'));
        throw new Error('connection reset');
      }
      if (['edr.a', 'edr.b', 'edr.c'].includes(r.action)) {
        arrived += 1;
        if (arrived === 3) letGo();
        // Each call waits for all three to be out at once: sequential execution would time out here.
        await Promise.race([together, sleep(5_000).then(() => Promise.reject(new Error('not concurrent')))]);
      }
      return { ok: r.action };
    });
    const runId = await start('fanout');
    await expect(
      advanceRun(
        createRuntimeDeps(ctx, { actions: first, cases: createRecordingCaseOperations() }),
        runId,
        abort.signal,
      ),
    ).rejects.toThrow();
    expect(first.maxConcurrent.get('edr.a')).toBe(1);
    expect(arrived).toBe(3);
    const held = await rowOf(runId);
    expect(held.state.pending.map((e) => e.name)).toEqual(['edr.a2']);

    const second = executor(async (r) => {
      await sleep(20);
      return { ok: r.action };
    });
    await advanceRun(
      createRuntimeDeps(ctx, { actions: second, cases: createRecordingCaseOperations() }),
      runId,
      new AbortController().signal,
    );
    expect((await rowOf(runId)).state.status).toBe('succeeded');
    const a2 = first.requests.find((r) => r.action === 'edr.a2');
    expect(second.requests[0]).toMatchObject({ action: 'edr.a2', idempotencyKey: a2?.idempotencyKey });
    expect(second.requests.filter((r) => r.action === 'fw.hit')).toHaveLength(5);
    expect(second.maxConcurrent.get('fw.hit')).toBe(2);
    const steps = await listRunSteps(ctx.store.db, runId);
    const keys = steps.map((s) => s.idempotency_key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(steps.map((s) => s.step_path).sort()).toEqual(
      [
        'a1',
        'a2',
        'b1',
        'c1',
        'each[0]/hit',
        'each[1]/hit',
        'each[2]/hit',
        'each[3]/hit',
        'each[4]/hit',
      ].sort(),
    );
  });

  it('has the worker holding a run pick up what an event added, without waiting for its lease to end', async () => {
    let release: () => void = () => undefined;
    const slowDone = new Promise<void>((resolve) => {
      release = resolve;
    });
    let slowStarted: () => void = () => undefined;
    const slowOut = new Promise<void>((resolve) => {
      slowStarted = resolve;
    });
    const actions = executor(async (r) => {
      if (r.action === 'edr.slow') {
        slowStarted();
        await slowDone;
      }
      return { ok: true };
    });
    const deps = createRuntimeDeps(ctx, { actions, cases: createRecordingCaseOperations() });
    const runId = await start('busy');
    const holder = advanceRun(deps, runId, new AbortController().signal);
    await slowOut;
    // The approval arrives while this worker is out on the slow branch; its job finds the run busy.
    await ctx.store.db
      .transaction()
      .execute((trx) =>
        sendRunEvent(
          trx,
          deps,
          runId,
          { type: 'approval_decided', key: `${runId}:ask:1`, decision: 'approved', by: 'u1' },
          clock.now(),
        ),
      );
    await drainQueues(ctx, createRunQueueBindings(ctx, { actions, cases: createRecordingCaseOperations() }));
    expect((await rowOf(runId)).state.pending.map((e) => e.name)).toEqual(['edr.slow', 'edr.fast']);
    release();
    await holder;
    // The clock never moved: nobody waited for a lease to run out.
    expect(actions.requests.map((r) => r.action)).toEqual(['edr.slow', 'edr.fast']);
    expect((await rowOf(runId)).state.status).toBe('succeeded');
  });
});
