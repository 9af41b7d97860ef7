import { readdirSync, readFileSync } from 'node:fs';
import type { Store } from '../src/store/store.js';

/** One figure a benchmark reports: a value with its unit, and which way is better. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
}

/** A benchmark runs once per store dialect on a fresh, migrated store of its own. */
export interface Benchmark {
  name: string;
  description: string;
  run(store: Store, options: { quick: boolean }): Promise<Figure[]>;
}

/** Latency percentiles over samples in milliseconds. */
export function percentiles(samples: number[]): { p50: number; p99: number; max: number } {
  if (samples.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
}

/** Wall time of `fn` in milliseconds, with high resolution. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

export const perSecond = (count: number, ms: number): number => Math.round((count / ms) * 1000);

/**
 * `count` requests from `clients` concurrent callers, each sending its next as soon as its last is answered
 * (a closed loop, as keep-alive senders do); request `i` is `send(i)`. Each request's latency in ms.
 */
export async function closedLoop(
  count: number,
  clients: number,
  send: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < count; i = next++) {
        const started = performance.now();
        await send(i);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

/**
 * CPU µs of every thread of this process (user and system ticks of its /proc task entries, 10 ms each), by
 * thread: `main`, else node's name for it and its id (V8's helpers, the SQLite checkpointer). Empty off Linux.
 */
export function threadCpuUs(): Map<string, { user: number; system: number }> {
  const byThread = new Map<string, { user: number; system: number }>();
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
      const name =
        task === String(process.pid)
          ? 'main'
          : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}-${task}`;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byThread.set(name, { user: Number(fields[11]) * 1e4, system: Number(fields[12]) * 1e4 });
    }
  } catch {
    // Off Linux: no per-thread figures.
  }
  return byThread;
}
