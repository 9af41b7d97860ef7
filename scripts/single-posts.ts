/**
 * Single POSTs at 16 concurrent clients, as the ingest bench sends them but more of them, for a steadier tail:
 * `npx tsx scripts/single-posts.ts <sqlite|postgres> [count] [clients]`. Prints ack p50/p90/p99/max, alerts/s,
 * CPU µs per alert and alerts per transaction (of the measured posts, as the bench counts them). With RIPOSTE_STATEMENTS=1 (SQLite) it also
 * prints, per statement shape, the time spent inside SQLite per alert (commits included), the costliest first;
 * with RIPOSTE_PROFILE=FILE.cpuprofile it writes a CPU profile of the measured requests. On PostgreSQL it always
 * counts round trips (every query a pooled client sends, BEGIN and COMMIT included) per transaction that
 * committed alerts, and with RIPOSTE_STATEMENTS=1 prints how many of each statement shape ran per committed
 * transaction.
 */
import pg from 'pg';
import { closedLoop } from '../bench/harness.js';
import { ingestSteps } from '../bench/ingest-steps.js';
import { singleAlertPoster } from '../bench/single-alert-poster.js';
import { alertsRoutes } from '../src/api/alerts/alerts.routes.js';
import { buildTestApi } from '../test/support/api.js';
import { openTestStore, type TestDialect } from '../test/support/stores.js';
import { startCpuProfile } from './support/inspector-profiles.js';
import { printStatementTimes, timeSqliteStatements } from './support/sqlite-statement-times.js';

const dialect = (process.argv[2] ?? 'sqlite') as TestDialect;
const count = Number(process.argv[3] ?? 3_000);
const clients = Number(process.argv[4] ?? 16);
const run = String(process.hrtime.bigint());

let measuring = false;
const statementTimes =
  process.env.RIPOSTE_STATEMENTS === '1' ? timeSqliteStatements(() => measuring, 60) : undefined;

/** PostgreSQL: queries sent per statement shape while measuring; commits counted to divide by. */
let roundTrips = 0;
const pgShapes = new Map<string, number>();
if (dialect === 'postgres') {
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (measuring) {
      const first = args[0];
      const text = typeof first === 'string' ? first : String((first as { text?: unknown }).text ?? '');
      const shape = text.replace(/\s+/g, ' ').slice(0, 60);
      roundTrips += 1;
      pgShapes.set(shape, (pgShapes.get(shape) ?? 0) + 1);
    }
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
}

const handle = await openTestStore(dialect);
try {
  const api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }]);
  const { post, warm } = singleAlertPoster(api.app, { run });
  // Warm-up: the statements are prepared, the code compiled and the rules' cases exist, as in a running server.
  await warm(0, 1_000);
  const stepsBefore = await ingestSteps(handle.store);
  measuring = true;
  const profiling = process.env.RIPOSTE_PROFILE ? await startCpuProfile() : undefined;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const latencies = await closedLoop(count, clients, async (i) => {
    const res = await post(10_000 + i);
    if (res.statusCode >= 300) throw new Error(`${res.statusCode} ${res.body}`);
  });
  const wall = performance.now() - t0;
  const steps = (await ingestSteps(handle.store)) - stepsBefore;
  if (profiling && process.env.RIPOSTE_PROFILE) await profiling.stop(process.env.RIPOSTE_PROFILE);
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    +(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(2);
  console.log(
    JSON.stringify({
      dialect,
      count,
      clients,
      p50: q(0.5),
      p90: q(0.9),
      p99: q(0.99),
      max: q(1),
      alertsPerSecond: Math.round((count / wall) * 1000),
      cpuUsPerAlert: Math.round((used.user + used.system) / count),
      alertsPerStep: +(count / Math.max(1, steps)).toFixed(1),
      ...(dialect === 'postgres'
        ? {
            commits: pgShapes.get('commit') ?? 0,
            roundTripsPerCommit: +(roundTrips / Math.max(1, pgShapes.get('commit') ?? 0)).toFixed(1),
          }
        : {}),
    }),
  );
  if (process.env.RIPOSTE_STATEMENTS === '1')
    for (const [shape, runs] of [...pgShapes].sort((a, b) => b[1] - a[1]).slice(0, 40))
      console.log(
        `${(runs / Math.max(1, pgShapes.get('commit') ?? 0)).toFixed(2).padStart(7)} per commit ${shape}`,
      );
  if (statementTimes) printStatementTimes(statementTimes, count);
  await api.app.close();
} finally {
  await handle.cleanup();
}
