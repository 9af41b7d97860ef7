import { randomUUID } from 'node:crypto';
import { claimJobs, completeJob, enqueueJobs } from '../src/store/queue/queue.repository.js';
import type { Store } from '../src/store/store.js';
import { perSecond, percentiles, timed, type Benchmark, type Figure } from './harness.js';

/** Inserts `count` jobs, 500 rows to a statement (SQLite allows 32,766 bound values; 15 columns × 500 fit). */
async function fillQueue(store: Store, queue: string, count: number): Promise<void> {
  const deps = { dialect: store.dialect, newId: randomUUID };
  for (let i = 0; i < count; i += 500) {
    const batch = Array.from({ length: Math.min(500, count - i) }, (_, j) => ({
      queue,
      kind: 'bench',
      payload: { j: i + j },
    }));
    await enqueueJobs(store.db, deps, batch, 0);
  }
}

async function drain(
  store: Store,
  queue: string,
  claimers: number,
): Promise<{ claimed: number; latencies: number[] }> {
  const deps = { dialect: store.dialect, newId: randomUUID };
  const latencies: number[] = [];
  let claimed = 0;
  const claimer = async (owner: string) => {
    for (;;) {
      const { ms, result: jobs } = await timed(() =>
        claimJobs(store.db, deps, {
          queue,
          owner,
          leaseMs: 60_000,
          limit: 1,
          now: Date.now(),
          newToken: randomUUID,
        }),
      );
      if (jobs.length === 0) return;
      latencies.push(ms);
      for (const job of jobs) await completeJob(store.db, job);
      claimed += jobs.length;
    }
  };
  await Promise.all(Array.from({ length: claimers }, (_, i) => claimer(`bench-${i}`)));
  return { claimed, latencies };
}

export const storeBenchmark: Benchmark = {
  name: 'store',
  description: 'batched inserts and queue claims (claim + complete, one job per claim)',
  async run(store, { quick }) {
    const figures: Figure[] = [];
    const rows = quick ? 2_000 : 20_000;
    const insert = await timed(() => fillQueue(store, 'bench-insert', rows));
    figures.push({
      name: 'batched inserts (500 rows/statement)',
      value: perSecond(rows, insert.ms),
      unit: 'rows/s',
    });

    for (const claimers of [1, 4]) {
      const jobs = quick ? 500 : 4_000;
      const queue = `bench-claim-${claimers}`;
      await fillQueue(store, queue, jobs);
      const { ms, result } = await timed(() => drain(store, queue, claimers));
      if (result.claimed !== jobs) throw new Error(`claimed ${result.claimed} of ${jobs} jobs`);
      const p = percentiles(result.latencies);
      figures.push({
        name: `queue claims, ${claimers} concurrent claimer(s)`,
        value: perSecond(jobs, ms),
        unit: 'claims/s',
      });
      figures.push({ name: `claim latency p50, ${claimers} claimer(s)`, value: round(p.p50), unit: 'ms' });
      figures.push({ name: `claim latency p99, ${claimers} claimer(s)`, value: round(p.p99), unit: 'ms' });
    }
    return figures;
  },
};

const round = (n: number): number => Math.round(n * 1000) / 1000;
