/**
 * Warm ingest harness: `npx tsx scripts/ingest-warm.ts <sqlite|postgres> [batchSize] [measured] [warmup]`.
 * Streams the bench's Suricata-like lines (200 rules, dedup and correlation on) through ingestLineStream after
 * a warm-up, and prints CPU per alert (process.cpuUsage, steadier than wall time on a shared machine), SQL
 * statements per alert, and how long each committed step took (the write lock's hold on SQLite). With
 * RIPOSTE_MIXED=1 a single alert is also ingested every 10 ms during the stream, and its latency printed: what
 * a single POST waits while bulk steps hold the store. With RIPOSTE_STATEMENTS=1 (SQLite) it also prints, per
 * statement shape, the time spent inside SQLite per measured alert (commits included), the costliest first.
 * RIPOSTE_REPEATS=N repeats every N-th line (see `line`), for the cost of de-duplication.
 * With RIPOSTE_MAP_WORKERS=N (N ≥ 1) the stream is parsed and mapped on N worker threads; `mainBusyUsPerAlert`
 * is the main thread's busy time (performance.eventLoopUtilization: wall time, so it includes time the OS gave
 * the core to another process), `mainCpuUsPerAlert` its CPU time alone (Linux /proc, 10 ms ticks).
 */
import { readFileSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import { ingestAlerts } from '../src/app/ingest/ingest-alerts.js';
import { ingestLineStream } from '../src/app/ingest/ingest-stream.js';
import { createMapWorkerPool } from '../src/app/ingest/map-worker-pool.js';
import { IngestSettings } from '../src/app/ingest/ingest-settings.js';
import { SYSTEM_ACTOR } from '../src/domain/shared/actor.js';
import type { LineRecord } from '../src/ingest/formats/ndjson-lines.js';
import { createTestContext } from '../test/support/api.js';
import { openTestStore, type TestDialect } from '../test/support/stores.js';

const dialect = (process.argv[2] ?? 'sqlite') as TestDialect;
const batchSize = Number(process.argv[3] ?? 500);
const measured = Number(process.argv[4] ?? 20_000);
const warmup = Number(process.argv[5] ?? 3_000);

/** With RIPOSTE_REPEATS=N, line i is line i % N again (a new flow): a stream of repeats that dedup counts. */
const repeatEvery = Number(process.env.RIPOSTE_REPEATS ?? 0);
const line = (n: number, run: string): string => {
  const i = repeatEvery > 0 ? n % repeatEvery : n;
  return JSON.stringify({
    timestamp: new Date(1_760_000_000_000 + i).toISOString(),
    flow_id: n,
    event_type: 'alert',
    src_ip: `45.33.${(i >> 8) & 255}.${i & 255}`,
    dest_ip: `10.${run === 'w' ? 9 : 0}.${(i >> 4) & 15}.${i & 15}`,
    alert: {
      gid: 1,
      signature_id: (run === 'w' ? 3_000_000 : 2_000_000) + (i % 200),
      signature: `ET RULE ${i % 200} ${run}`,
      severity: 2,
    },
  });
};

async function* lines(from: number, count: number, run: string): AsyncIterable<LineRecord> {
  for (let i = 0; i < count; i += 1) yield { line: i + 1, text: line(from + i, run) };
}

/** Per statement shape (its first 70 characters): ms spent inside SQLite, and how many times it ran. */
const shapes = new Map<string, { ms: number; runs: number }>();
if (process.env.RIPOSTE_STATEMENTS === '1') {
  // Wraps every statement better-sqlite3 prepares, so raw statements and commits are timed too.
  const prepare = Sqlite.prototype.prepare;
  Sqlite.prototype.prepare = function (this: Sqlite.Database, source: string) {
    const statement = prepare.call(this, source) as unknown as Record<
      string,
      (...args: unknown[]) => unknown
    >;
    const shape = source.replace(/\s+/g, ' ').slice(0, 70);
    for (const method of ['run', 'all', 'get', 'iterate']) {
      const original = statement[method]?.bind(statement);
      if (!original) continue;
      statement[method] = (...args: unknown[]) => {
        const at = performance.now();
        try {
          return original(...args);
          for (const [shape, { ms, runs }] of [...shapes].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25))
            console.log(
              `${((ms * 1000) / measured).toFixed(1).padStart(6)} µs/alert ${String(runs).padStart(6)}× ${shape}`,
            );
        } finally {
          const entry = shapes.get(shape) ?? { ms: 0, runs: 0 };
          entry.ms += performance.now() - at;
          entry.runs += 1;
          shapes.set(shape, entry);
        }
      };
    }
    return statement as unknown as Sqlite.Statement;
  } as typeof prepare;
}

/** CPU time of the main thread alone, in µs (user + system ticks of its /proc task entry); 0 off Linux. */
const mainThreadCpuUs = (): number => {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return 0;
  }
};

const handle = await openTestStore(dialect);
let statements = 0;
const db = handle.store.db;
const counting = db.withPlugin({
  transformQuery: (args) => {
    statements += 1;
    return args.node;
  },
  transformResult: (args) => Promise.resolve(args.result),
});
const mapThreads = Number(process.env.RIPOSTE_MAP_WORKERS ?? 0);
const mapWorkers = mapThreads > 0 ? createMapWorkerPool({ size: mapThreads }) : undefined;
const ctx = {
  ...createTestContext(handle.store),
  store: { ...handle.store, db: counting },
  ...(mapWorkers ? { mapWorkers } : {}),
};
const settings = IngestSettings.parse({ batchSize });
try {
  await ingestLineStream(
    ctx,
    { source: 'bench', lines: lines(0, warmup, 'w'), format: 'json' },
    SYSTEM_ACTOR,
    settings,
  );
  statements = 0;
  shapes.clear();
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
        { source: 'single', items: [{ kind: 'json', value: JSON.parse(line(500_000 + i, 's')) }] },
        SYSTEM_ACTOR,
        settings,
      );
      single.push(performance.now() - started);
    }
  };
  const side = process.env.RIPOSTE_MIXED === '1' ? mixed() : Promise.resolve();
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const mainCpu = mainThreadCpuUs();
  const t0 = performance.now();
  const summary = await ingestLineStream(
    ctx,
    { source: 'bench', lines: lines(warmup, measured, 'm'), format: 'json' },
    SYSTEM_ACTOR,
    settings,
    () => {
      const now = performance.now();
      steps.push(now - last);
      last = now;
    },
  );
  const wall = performance.now() - t0;
  const busy = performance.eventLoopUtilization(elu);
  const mainCpuUs = mainThreadCpuUs() - mainCpu;
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
      mainCpuUsPerAlert: Math.round(mainCpuUs / measured),
      mainBusyUsPerAlert: Math.round((busy.active * 1000) / measured),
      alertsPerCpuSecond: Math.round((measured / cpuUs) * 1e6),
      alertsPerSecond: Math.round((measured / wall) * 1000),
      statementsPerAlert: +(statements / measured).toFixed(3),
      stepMs: { p50: q(0.5), p90: q(0.9), max: q(1) },
      ...(single.length ? { singleMs: { n: single.length, p50: sq(0.5), p99: sq(0.99), max: sq(1) } } : {}),
    }),
  );
  for (const [shape, { ms, runs }] of [...shapes].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25))
    console.log(
      `${((ms * 1000) / measured).toFixed(1).padStart(6)} µs/alert ${String(runs).padStart(6)}× ${shape}`,
    );
} finally {
  await mapWorkers?.close();
  await handle.cleanup();
}
