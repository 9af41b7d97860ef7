/**
 * Warm ingest harness: `npx tsx scripts/ingest-warm.ts <sqlite|postgres> [batchSize] [measured] [warmup]`.
 * Streams the bench's Suricata-like lines (200 rules, dedup and correlation on) through ingestLineStream after
 * a warm-up, and prints CPU per alert (process.cpuUsage, steadier than wall time on a shared machine) and how
 * long each committed step took (the write lock's hold on SQLite), and on SQLite the largest the WAL file
 * got (`walMaxMiB`). The store is used as a server uses it:
 * no Kysely plugin, which would send the hot statements through Kysely's executor instead of straight to the
 * transaction's connection. With
 * RIPOSTE_MIXED=1 a single alert is also ingested every 10 ms during the stream, and its latency printed: what
 * a single POST waits while bulk steps hold the store. With RIPOSTE_STATEMENTS=1 (SQLite) it also prints, per
 * statement shape, the time spent inside SQLite per measured alert (commits included), the costliest first.
 * RIPOSTE_REPEATS=N repeats every N-th line (see `line`), for the cost of de-duplication.
 * With RIPOSTE_MAP_WORKERS=N (N ≥ 1) the stream is parsed and mapped on N worker threads; `mainBusyUsPerAlert`
 * is the main thread's busy time (performance.eventLoopUtilization: wall time, so it includes time the OS gave
 * the core to another process), `mainCpuUsPerAlert` its CPU time alone (Linux /proc, 10 ms ticks), and
 * `mainSystemUsPerAlert` the part of it spent in the kernel (writing the WAL, mostly); `threadUsPerAlert` is every
 * thread's CPU (Linux: V8's helper threads collect garbage; the SQLite checkpointer is another). With
 * RIPOSTE_PROFILE=FILE.cpuprofile it writes a CPU profile of the measured stream, with
 * RIPOSTE_ALLOCATIONS=FILE.heapprofile a profile of the bytes it allocated, garbage included.
 */
import { execFileSync } from 'node:child_process';
import { ingestAlerts } from '../src/app/ingest/ingest-alerts.js';
import { ingestLineStream } from '../src/app/ingest/ingest-stream.js';
import { createMapWorkerPool } from '../src/app/ingest/map-worker-pool.js';
import { walFileBytes } from '../src/store/dialects/sqlite-checkpointer.js';
import { IngestSettings } from '../src/app/ingest/ingest-settings.js';
import { SYSTEM_ACTOR } from '../src/domain/shared/actor.js';
import { threadCpuUs } from '../bench/harness.js';
import { suricataAlertLine, suricataLines } from '../bench/suricata-lines.js';
import type { LineRecord } from '../src/ingest/formats/ndjson-lines.js';
import { createTestContext } from '../test/support/api.js';
import { openTestStore, type TestDialect } from '../test/support/stores.js';
import { startAllocationProfile, startCpuProfile } from './support/inspector-profiles.js';
import { printStatementTimes, timeSqliteStatements } from './support/sqlite-statement-times.js';

const dialect = (process.argv[2] ?? 'sqlite') as TestDialect;
// Without a size: the steps streams take by default.
const batchSize = Number(process.argv[3] ?? IngestSettings.parse({}).batchSize);
const measured = Number(process.argv[4] ?? 20_000);
// Statistics are taken at two thirds of it: of 4,000 alerts by default, past the size (~3,000) from which
// SQLite seeks a step's 500 fingerprint prefixes rather than scan the table.
const warmup = Number(process.argv[5] ?? 6_000);

/** With RIPOSTE_REPEATS=N, line i is line i % N again (a new flow): a stream of repeats that dedup counts. */
const repeatEvery = Number(process.env.RIPOSTE_REPEATS ?? 0);
// The warm-up's rules are another family, so the measured alerts do not join the warm-up's cases.
const warmLines = { run: 'w', ruleOffset: 1_000_000, repeatEvery };
const measuredLines = { run: 'm', repeatEvery };

let measuring = false;
const statementTimes =
  process.env.RIPOSTE_STATEMENTS === '1' ? timeSqliteStatements(() => measuring) : undefined;

async function* fromArray<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}

// Statistics are refreshed by hand after part of the warm-up (below), never by the store's timer: under valgrind
// the timer fired inside the measured stream, and the ANALYZE it ran re-prepared every statement there.
const handle = await openTestStore(dialect, {
  statisticsFirstRefreshMs: 3_600_000,
  statisticsRefreshMs: 3_600_000,
});
if (process.env.RIPOSTE_DDL) {
  const { sql } = await import('kysely');
  for (const statement of process.env.RIPOSTE_DDL.split(';').filter((s) => s.trim()))
    await sql.raw(statement).execute(handle.store.db);
}
const mapThreads = Number(process.env.RIPOSTE_MAP_WORKERS ?? 0);
const mapWorkers = mapThreads > 0 ? createMapWorkerPool({ size: mapThreads }) : undefined;
const ctx = {
  ...createTestContext(handle.store),
  ...(mapWorkers ? { mapWorkers } : {}),
};
const settings = IngestSettings.parse({ batchSize });
try {
  const warmStream = (from: number, count: number) =>
    ingestLineStream(
      ctx,
      { source: 'bench', lines: suricataLines(from, count, warmLines), format: 'json' },
      SYSTEM_ACTOR,
      settings,
    );
  // The planner's statistics as a running server keeps them (the store checks them every few seconds): of the
  // warm tables, taken two thirds into the warm-up so that the statements they re-plan are prepared again
  // before measuring. Left to the store's first check, under valgrind they were of 32 alerts, and in steps of
  // 16 the de-duplication lookup then scanned the whole alerts table (748k of SQLite's instructions per alert
  // instead of ~220k).
  const statisticsAt = Math.floor((warmup * 2) / 3);
  await warmStream(0, statisticsAt);
  await handle.store.refreshStatistics();
  await warmStream(statisticsAt, warmup - statisticsAt);
  measuring = true;
  const steps: number[] = [];
  let last = performance.now();
  const single: number[] = [];
  let streaming = true;
  const mixed = async () => {
    for (let i = 0; streaming; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const started = performance.now();
      await ingestAlerts(
        ctx,
        {
          source: 'single',
          items: [{ kind: 'json', value: JSON.parse(suricataAlertLine(500_000 + i, { run: 's' })) }],
        },
        SYSTEM_ACTOR,
        settings,
      );
      single.push(performance.now() - started);
    }
  };
  const side = process.env.RIPOSTE_MIXED === '1' ? mixed() : Promise.resolve();
  // Written before measuring, as the bench writes its request bodies: making the lines is not ingest's work.
  const records: LineRecord[] = [];
  for await (const record of suricataLines(warmup, measured, measuredLines)) records.push(record);
  const profiling = process.env.RIPOSTE_PROFILE
    ? await startCpuProfile()
    : process.env.RIPOSTE_ALLOCATIONS
      ? await startAllocationProfile()
      : undefined;
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const threadsBefore = threadCpuUs();
  // Under valgrind (scripts/ingest-instructions.sh): instructions are counted for the measured stream alone.
  if (process.env.RIPOSTE_CALLGRIND === '1')
    execFileSync('callgrind_control', ['-i', 'on', String(process.pid)]);
  // SQLite: the largest the WAL file got, read after each step (a WAL that never starts again grows through
  // the whole stream, see BULK_WRITE_WAIT_MS).
  let walBytesMax = 0;
  const t0 = performance.now();
  const summary = await ingestLineStream(
    ctx,
    { source: 'bench', lines: fromArray(records), format: 'json' },
    SYSTEM_ACTOR,
    settings,
    () => {
      const now = performance.now();
      walBytesMax = Math.max(walBytesMax, walFileBytes(handle.options.sqlitePath));
      steps.push(now - last);
      last = now;
    },
  );
  const wall = performance.now() - t0;
  if (process.env.RIPOSTE_CALLGRIND === '1')
    execFileSync('callgrind_control', ['-i', 'off', String(process.pid)]);
  measuring = false;
  await profiling?.stop(process.env.RIPOSTE_PROFILE ?? process.env.RIPOSTE_ALLOCATIONS ?? '');
  const busy = performance.eventLoopUtilization(elu);
  const threadsAfter = threadCpuUs();
  const spent = (thread: string): { user: number; system: number } => {
    const before = threadsBefore.get(thread) ?? { user: 0, system: 0 };
    const after = threadsAfter.get(thread) ?? before;
    return { user: after.user - before.user, system: after.system - before.system };
  };
  const main = spent('main');
  streaming = false;
  await side;
  single.sort((a, b) => a - b);
  const sq = (p: number) =>
    (single[Math.min(single.length - 1, Math.floor(p * single.length))] ?? 0).toFixed(1);
  const used = process.cpuUsage(cpu);
  const cpuUs = used.user + used.system;
  steps.sort((a, b) => a - b);
  const q = (p: number) => (steps[Math.min(steps.length - 1, Math.floor(p * steps.length))] ?? 0).toFixed(1);
  console.log(
    JSON.stringify({
      dialect,
      batchSize,
      alerts: summary.accepted + summary.duplicates,
      cases: summary.casesCreated,
      mapThreads,
      cpuUsPerAlert: Math.round(cpuUs / measured),
      mainCpuUsPerAlert: Math.round((main.user + main.system) / measured),
      mainSystemUsPerAlert: Math.round(main.system / measured),
      mainBusyUsPerAlert: Math.round((busy.active * 1000) / measured),
      alertsPerCpuSecond: Math.round((measured / cpuUs) * 1e6),
      alertsPerSecond: Math.round((measured / wall) * 1000),
      threadUsPerAlert: Object.fromEntries(
        [...threadsAfter.keys()]
          .map((thread) => {
            const { user, system } = spent(thread);
            return [thread, Math.round((user + system) / measured)] as const;
          })
          .filter(([, us]) => us > 0),
      ),
      stepMs: { p50: q(0.5), p90: q(0.9), max: q(1) },
      ...(dialect === 'sqlite' ? { walMaxMiB: Math.round(walBytesMax / 1_048_576) } : {}),
      ...(single.length ? { singleMs: { n: single.length, p50: sq(0.5), p99: sq(0.99), max: sq(1) } } : {}),
    }),
  );
  if (statementTimes) printStatementTimes(statementTimes, measured);
} finally {
  await mapWorkers?.close();
  await handle.cleanup();
}
