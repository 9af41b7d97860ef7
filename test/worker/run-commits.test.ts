import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob } from '../../src/store/queue/queue.repository.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { GENESIS_HASH, verifyAuditEntries } from '../../src/governance/audit/audit-chain.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { createRunCommitter } from '../../src/app/playbooks/run-commits.js';
import { publishPlaybook } from '../../src/app/playbooks/playbook-catalog.js';
import { createRunServices } from '../../src/app/playbooks/run-control.js';
import type { ActionExecutor } from '../../src/connectors/action-executor.js';
import { findRunById } from '../../src/store/runs/run.repository.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRuntimeDeps } from '../../src/worker/runs/run-queue.js';
import { advanceRun } from '../../src/worker/runs/run-runtime.js';
import { createTestContext } from '../support/api.js';
import { DIALECTS, newTestId, openTestStore, type TestStoreHandle } from '../support/stores.js';

describe.each(DIALECTS)('run commits grouped on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(() => handle.cleanup());

  const audited = (id: string) => ({
    actor: SYSTEM_ACTOR,
    action: 'test.unit',
    target: { type: 'unit', id },
  });

  it("puts concurrent units in one transaction, in their runs' order, and chains their audit entries once", async () => {
    const store = handle.store;
    const committer = createRunCommitter(store, () => Date.now());
    const before = (await readAuditEntries(store.db, 0, 1_000)).length;
    const queue = `q-${newTestId()}`;
    // Each unit counts the jobs of this queue it can see: in a shared transaction the later ones see the
    // earlier ones' uncommitted rows.
    const seen = await Promise.all(
      ['c', 'a', 'b'].map((id) =>
        committer.commit(id, async (trx, tick) => {
          await enqueueJob(
            trx,
            { dialect: store.dialect, newId: newTestId },
            { queue, kind: 'k', payload: { id } },
            Date.now(),
          );
          tick.audit.push(audited(id));
          const rows = await trx.selectFrom('queue_jobs').select('id').where('queue', '=', queue).execute();
          return rows.length;
        }),
      ),
    );
    // Units run in their runs' order, whatever the order they came in: c saw a's and b's rows.
    expect(seen).toEqual([3, 1, 2]);
    const entries = (await readAuditEntries(store.db, 0, 1_000)).slice(before);
    expect(entries.map((e) => e.target.id)).toEqual(['a', 'b', 'c']);
    expect(
      verifyAuditEntries(await readAuditEntries(store.db, 0, 1_000), {
        prevHash: GENESIS_HASH,
        expectedSeq: 1,
      }).ok,
    ).toBe(true);
  });

  it('fails only the unit that threw: the others of its batch still commit', async () => {
    const store = handle.store;
    const committer = createRunCommitter(store, () => Date.now());
    const queue = `q-${newTestId()}`;
    const deps = { dialect: store.dialect, newId: newTestId };
    const unit = (id: string, fail: boolean) =>
      committer.commit(id, async (trx, tick) => {
        await enqueueJob(trx, deps, { queue, kind: 'k', payload: { id } }, Date.now());
        tick.audit.push(audited(id));
        if (fail) throw new Error(`unit ${id} failed`);
        return id;
      });
    const results = await Promise.allSettled([unit('x', false), unit('y', true), unit('z', false)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('unit y failed'));
    const payloads = await store.db
      .selectFrom('queue_jobs')
      .select('payload')
      .where('queue', '=', queue)
      .orderBy('id')
      .execute();
    expect(payloads.map((p) => (JSON.parse(p.payload) as { id: string }).id).sort()).toEqual(['x', 'z']);
    const ids = (await readAuditEntries(store.db, 0, 10_000)).map((e) => e.target.id);
    expect(ids).toContain('x');
    expect(ids).toContain('z');
    expect(ids).not.toContain('y');
  });
});

const TWO_BRANCHES = `
id: two-branches
name: Two branches
steps:
  - id: both
    kind: parallel
    branches:
      - { name: a, steps: [{ id: a1, kind: action, action: edr.a }] }
      - { name: b, steps: [{ id: b1, kind: action, action: edr.b }] }
  - { id: after, kind: action, action: chat.post }
`;

describe.each(DIALECTS)('parallel effects of one run on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(() => handle.cleanup());

  it('commit in one shared transaction, the later on the state the earlier wrote, without redoing it', async () => {
    const ctx = createTestContext(handle.store);
    await publishPlaybook(ctx, { source: TWO_BRANCHES, actor: SYSTEM_ACTOR });
    const { runId } = await createRunServices(ctx).startManualRun({
      playbookId: 'two-branches',
      inputs: {},
      actor: SYSTEM_ACTOR,
    });
    // Both branches' actions answer at the same moment, so their commits queue for the same transaction.
    const waiting: Array<() => void> = [];
    const seen: string[] = [];
    const actions: ActionExecutor = {
      describe: () => undefined,
      async execute(r) {
        seen.push(r.action);
        if (r.action.startsWith('edr.')) {
          await new Promise<void>((resolve) => {
            waiting.push(resolve);
            if (waiting.length === 2) for (const go of waiting) go();
          });
        }
        return { output: { ok: true } };
      },
    };
    const deps = createRuntimeDeps(ctx, { actions, cases: createRecordingCaseOperations() });
    await advanceRun(deps, runId, new AbortController().signal);
    expect(seen.sort()).toEqual(['chat.post', 'edr.a', 'edr.b']);
    expect((await findRunById(ctx.store.db, runId))?.status).toBe('succeeded');
    expect(deps.commits.redone).toBe(0);
  });
});

const ONE_STEP = `
id: one-step
name: One step
inputs:
  n: { type: number, required: true }
steps:
  - { id: only, kind: set, vars: { n: "{{ inputs.n }}" } }
`;

describe.each(DIALECTS)('concurrent run starts on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(() => handle.cleanup());

  /** Counts the transactions opened on the store's database while `body` runs. */
  const countTransactions = async <T>(
    body: () => Promise<T>,
  ): Promise<{ value: T; transactions: number }> => {
    const db = handle.store.db;
    const original = db.transaction.bind(db);
    let transactions = 0;
    db.transaction = () => {
      transactions += 1;
      return original();
    };
    try {
      return { value: await body(), transactions };
    } finally {
      db.transaction = original;
    }
  };

  it('share one transaction and one audit append, each acknowledged once it committed', async () => {
    const ctx = createTestContext(handle.store);
    await publishPlaybook(ctx, { source: ONE_STEP, actor: SYSTEM_ACTOR });
    const services = createRunServices(ctx);
    await services.playbooks.load(ctx.store.db, 'one-step');
    const before = (await readAuditEntries(ctx.store.db, 0, 10_000)).length;
    const { value: started, transactions } = await countTransactions(() =>
      Promise.all(
        Array.from({ length: 8 }, (_, n) =>
          services.startManualRun({ playbookId: 'one-step', inputs: { n }, actor: SYSTEM_ACTOR }),
        ),
      ),
    );
    expect(transactions).toBe(1);
    // Acknowledged means committed: each run, its start event and its job are there.
    for (const { runId } of started) {
      const run = await findRunById(ctx.store.db, runId);
      expect(run?.status).toBe('running');
      const jobs = await ctx.store.db
        .selectFrom('queue_jobs')
        .select('payload')
        .where('queue', '=', 'runs')
        .execute();
      expect(jobs.some((j) => (JSON.parse(j.payload) as { runId?: string }).runId === runId)).toBe(true);
    }
    const entries = (await readAuditEntries(ctx.store.db, 0, 10_000)).slice(before);
    expect(entries.filter((e) => e.action === 'run.started').map((e) => e.target.id)).toEqual(
      started.map((s) => s.runId),
    );
    expect(
      verifyAuditEntries(await readAuditEntries(ctx.store.db, 0, 10_000), {
        prevHash: GENESIS_HASH,
        expectedSeq: 1,
      }).ok,
    ).toBe(true);
  });

  it('fail alone: a start with bad inputs is refused, the others of its transaction start', async () => {
    const ctx = createTestContext(handle.store);
    await publishPlaybook(ctx, { source: ONE_STEP, actor: SYSTEM_ACTOR });
    const services = createRunServices(ctx);
    const results = await Promise.allSettled(
      [1, 'two', 3].map((n) =>
        services.startManualRun({ playbookId: 'one-step', inputs: { n }, actor: SYSTEM_ACTOR }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/inputs for playbook one-step/);
    for (const r of results)
      if (r.status === 'fulfilled')
        expect((await findRunById(ctx.store.db, r.value.runId))?.status).toBe('running');
  });
});
