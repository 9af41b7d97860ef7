import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { PlaybookCache, publishPlaybook } from '../../src/app/playbooks/playbook-catalog.js';
import { startRunInTrx } from '../../src/app/playbooks/run-start.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { createTestContext } from '../support/api.js';
import { ROOT } from '../support/processes.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { startFakeTarget, type FakeTarget } from './fake-target.js';

const RUNS = 20;
const ACTIONS_PER_RUN = 3;
const PLAYBOOK = `
id: reliable
name: Reliability
inputs:
  n: { type: number }
steps:
  - { id: enrich, kind: action, action: target.enrich, input: { n: "{{ inputs.n }}" } }
  - { id: mark, kind: set, vars: { seen: "{{ steps.enrich.output.ok }}" } }
  - { id: contain, kind: action, action: target.contain, input: { n: "{{ inputs.n }}" } }
  - { id: notify, kind: action, action: target.notify, input: { n: "{{ inputs.n }}" } }
`;

/** A small deterministic generator, so a failing schedule of kills can be replayed from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Workers that stopped without being killed by the test, with the end of what they wrote to stderr. */
const crashes: string[] = [];

function startWorker(options: object, targetUrl: string): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/engine/reliability-worker.ts', JSON.stringify(options), targetUrl],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  child.stdout?.on('data', () => undefined);
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGKILL') crashes.push(`worker ${child.pid} exited (${code ?? signal}): ${stderr}`);
  });
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DIALECTS)('runs survive kill -9 of their workers on %s', (dialect) => {
  let handle: TestStoreHandle;
  let ctx: AppContext;
  let target: FakeTarget;
  const workers = new Set<ChildProcess>();

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    ctx = createTestContext(handle.store);
    const random = prng(7);
    target = await startFakeTarget({ delayMs: () => Math.floor(random() * 40) });
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await target.close();
    await handle.cleanup();
  });

  // Generous limits: on a shared two-core machine a fresh worker process alone can take 20 s to start.
  it(`completes ${RUNS} runs with every action applied once per key`, { timeout: 240_000 }, async () => {
    await publishPlaybook(ctx, { source: PLAYBOOK, actor: SYSTEM_ACTOR });
    const deps = { newId: ctx.newId, dialect: ctx.store.dialect, playbooks: new PlaybookCache() };
    const runIds = await ctx.store.db.transaction().execute(async (trx) => {
      const ids: string[] = [];
      for (let n = 0; n < RUNS; n += 1)
        ids.push(
          (
            await startRunInTrx(
              trx,
              deps,
              {
                playbookId: 'reliable',
                triggerType: 'manual',
                trigger: { inputs: { n } },
                requestedBy: SYSTEM_ACTOR,
              },
              ctx.clock.now(),
            )
          ).runId,
        );
      return ids;
    });
    const random = prng(dialect === 'sqlite' ? 11 : 13);
    for (let i = 0; i < 3; i += 1) workers.add(startWorker(handle.options, target.url));
    let kills = 0;
    const deadline = ctx.clock.now() + 180_000;
    const unfinished = async () =>
      (
        await ctx.store.db
          .selectFrom('runs')
          .select(['id', 'status'])
          .where('playbook_id', '=', 'reliable')
          .execute()
      ).filter((r) => !['succeeded', 'failed', 'cancelled'].includes(r.status)).length;
    while ((await unfinished()) > 0 && ctx.clock.now() < deadline) {
      await sleep(150 + Math.floor(random() * 400));
      // Kill a random worker at a random moment (mid-call, mid-commit, idle) and start a fresh one.
      if (kills < 8 && target.effects.size > 0) {
        const victim = [...workers][Math.floor(random() * workers.size)];
        if (victim) {
          victim.kill('SIGKILL');
          workers.delete(victim);
          kills += 1;
          workers.add(startWorker(handle.options, target.url));
        }
      }
    }
    const runs = await ctx.store.db
      .selectFrom('runs')
      .select(['id', 'status'])
      .where('playbook_id', '=', 'reliable')
      .execute();
    if (runs.some((r) => r.status !== 'succeeded')) {
      const jobs = await ctx.store.db.selectFrom('queue_jobs').selectAll().execute();
      const states = await ctx.store.db
        .selectFrom('runs')
        .select(['id', 'status', 'lease_until', 'seq', 'state'])
        .where('status', '!=', 'succeeded')
        .execute();
      console.error(
        dialect,
        ctx.clock.now(),
        JSON.stringify(jobs, null, 1),
        JSON.stringify(
          states.map((s) => ({ ...s, state: JSON.parse(s.state).pending })),
          null,
          1,
        ),
      );
    }
    expect(crashes).toEqual([]);
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
    expect(kills).toBeGreaterThan(0);
    // One effect per key, and exactly the keys the runs should have produced.
    const expected = runIds
      .flatMap((id) => ['enrich', 'contain', 'notify'].map((step) => `${id}:${step}:1`))
      .sort();
    expect([...target.effects.keys()].sort()).toEqual(expected);
    expect(target.effects.size).toBe(RUNS * ACTIONS_PER_RUN);
    const steps = await ctx.store.db.selectFrom('run_steps').select('idempotency_key').execute();
    expect(steps).toHaveLength(RUNS * ACTIONS_PER_RUN);
    // Duplicates sent are allowed (a kill between call and commit) and deduplicated by the target.
    expect(target.duplicates()).toBeLessThanOrEqual(kills * 4);
  });
});
