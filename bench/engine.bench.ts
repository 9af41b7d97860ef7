import type { AppContext } from '../src/app/context.js';
import { publishPlaybook } from '../src/app/playbooks/playbook-catalog.js';
import { createRunServices } from '../src/app/playbooks/run-control.js';
import { loadConfig } from '../src/config/config.js';
import type { ActionExecutor } from '../src/connectors/action-executor.js';
import { SYSTEM_ACTOR } from '../src/domain/shared/actor.js';
import { createLogger } from '../src/observability/logger.js';
import { appContextOver } from '../src/app/create-app-context.js';
import type { Store } from '../src/store/store.js';
import type { JobHandler, QueueBinding } from '../src/app/job-handlers.js';
import { createQueueWorker } from '../src/worker/queue-worker.js';
import { createRecordingCaseOperations } from '../src/worker/runs/case-operations.js';
import { createRunQueueBindings } from '../src/worker/runs/run-queue.js';
import { percentiles, type Benchmark } from './harness.js';

/** parse, enrich, decide, contain, respond: the five-step shape the targets are stated for. */
const FIVE_STEPS = `
id: bench-five
name: Five steps
inputs:
  ip: { type: string }
steps:
  - { id: parse, kind: set, vars: { ip: "{{ inputs.ip }}" } }
  - { id: enrich, kind: action, action: fake.enrich, input: { ip: "{{ vars.ip }}" } }
  - id: decide
    kind: if
    condition: steps.enrich.output.score > 50
    then:
      - { id: contain, kind: action, action: fake.block, input: { ip: "{{ vars.ip }}" } }
  - { id: respond, kind: action, action: fake.notify, input: { text: "blocked {{ vars.ip }}" } }
`;

const STEPS = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs/s for the five-step playbook at 1, 16 and 64 concurrent runs against in-process fake connectors,
 * step overhead p50 (a run's handler time over its five steps, at one run at a time: claims, commits, the
 * reducer, everything but queue waits), this process's CPU time per run at each concurrency, and
 * alert-to-first-action latency p50/p99.
 */
export async function benchEngine(
  store: Store,
  options: { quick?: boolean } = {},
): Promise<Record<string, number>> {
  const ctx: AppContext = appContextOver(store, {
    config: loadConfig({ env: {} }),
    log: createLogger({ level: 'silent' }),
  });
  await publishPlaybook(ctx, { source: FIVE_STEPS, actor: SYSTEM_ACTOR });
  const firstAction = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const actions: ActionExecutor = {
    describe: () => undefined,
    async execute(r) {
      if (!firstAction.has(r.context.runId)) {
        firstAction.set(r.context.runId, performance.now());
        waiters.get(r.context.runId)?.();
      }
      return { output: { score: 90 } };
    },
  };
  // Handler time per run (all its jobs), to divide by its five steps: a claim may run one step or a whole run.
  const runMs = new Map<string, number>();
  const [runs] = createRunQueueBindings(ctx, { actions, cases: createRecordingCaseOperations() });
  if (!runs) throw new Error('no run queue');
  const timedHandlers: Record<string, JobHandler> = {};
  for (const [kind, h] of Object.entries(runs.handlers))
    timedHandlers[kind] = async (job, jctx) => {
      const t = performance.now();
      try {
        return await h(job, jctx);
      } finally {
        const runId = String((job.payload as { runId?: unknown }).runId);
        runMs.set(runId, (runMs.get(runId) ?? 0) + performance.now() - t);
      }
    };
  const binding: QueueBinding = { queue: runs.queue, handlers: timedHandlers };
  const services = createRunServices(ctx);
  const results: Record<string, number> = {};
  const unfinished = async () =>
    Number(
      (
        await store.db
          .selectFrom('runs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', 'in', ['running', 'waiting'])
          .executeTakeFirstOrThrow()
      ).n,
    );

  for (const concurrency of [1, 16, 64]) {
    const count = options.quick ? 50 : concurrency === 1 ? 200 : 1_000;
    const worker = createQueueWorker(ctx, {
      binding,
      owner: `bench:${concurrency}`,
      concurrency,
      leaseMs: 30_000,
      pollMs: 5,
    });
    runMs.clear();
    const cpu = process.cpuUsage();
    const started = performance.now();
    // As many clients as concurrent runs start them (the API under concurrent clients), each waiting for its
    // start to be acknowledged before the next: at c1 one start at a time.
    await Promise.all(
      Array.from({ length: concurrency }, async (_, client) => {
        for (let i = client; i < count; i += concurrency)
          await services.startManualRun({
            playbookId: 'bench-five',
            inputs: { ip: `10.0.${i >> 8}.${i & 255}` },
            actor: SYSTEM_ACTOR,
          });
      }),
    );
    await worker.start();
    while ((await unfinished()) > 0) await sleep(5);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    await worker.stop(1_000);
    results[`runs_per_s_c${concurrency}`] = Math.round((count / ms) * 1000);
    // This process's CPU (user + system) per run, starts included: steadier than wall time on a shared machine.
    results[`cpu_ms_per_run_c${concurrency}`] = Number(((used.user + used.system) / 1000 / count).toFixed(3));
    if (concurrency === 1)
      results.step_overhead_p50_ms = Number(
        percentiles([...runMs.values()].map((ms) => ms / STEPS)).p50.toFixed(3),
      );
  }

  // Alert to first action: a run is started (as a trigger would) while a worker waits for work.
  const worker = createQueueWorker(ctx, {
    binding,
    owner: 'bench:latency',
    concurrency: 16,
    leaseMs: 30_000,
    pollMs: 5,
  });
  await worker.start();
  const latencies: number[] = [];
  for (let i = 0; i < (options.quick ? 20 : 100); i += 1) {
    const t0 = performance.now();
    let runId = '';
    const seen = new Promise<void>((resolve) => {
      void services
        .startManualRun({ playbookId: 'bench-five', inputs: { ip: '192.0.2.1' }, actor: SYSTEM_ACTOR })
        .then((r) => {
          runId = r.runId;
          if (firstAction.has(runId)) resolve();
          else waiters.set(runId, resolve);
        });
    });
    await seen;
    latencies.push((firstAction.get(runId) ?? performance.now()) - t0);
    waiters.delete(runId);
  }
  await worker.stop(1_000);
  const p = percentiles(latencies);
  results.alert_to_first_action_p50_ms = Number(p.p50.toFixed(2));
  results.alert_to_first_action_p99_ms = Number(p.p99.toFixed(2));
  return results;
}

export const engineBenchmark: Benchmark = {
  name: 'engine',
  description: 'five-step playbook runs on the durable runtime',
  async run(store, options) {
    const r = await benchEngine(store, options);
    return Object.entries(r).map(([name, value]) => ({
      name,
      value,
      unit: name.endsWith('_ms') || name.startsWith('cpu_ms') ? 'ms' : 'runs/s',
    }));
  },
};
