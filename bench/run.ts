// `npm run bench [-- --quick] [-- --only name]`: every benchmark on SQLite and on PostgreSQL, printed as a table
// and written as JSON to bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { walCoalescingState } from '../src/store/dialects/sqlite-wal-coalescing.js';
import { DIALECTS, openTestStore } from '../test/support/stores.js';
import type { Benchmark, Figure } from './harness.js';
import { calibrateMachine } from './calibration.js';
import { auditBenchmark } from './audit.bench.js';
import { casesBenchmark } from './cases.bench.js';
import { connectorsBenchmark } from './connectors.bench.js';
import { engineBenchmark } from './engine.bench.js';
import { ingestBenchmark } from './ingest.bench.js';
import { storeBenchmark } from './store.bench.js';

const BENCHMARKS: Benchmark[] = [
  storeBenchmark,
  ingestBenchmark,
  casesBenchmark,
  engineBenchmark,
  connectorsBenchmark,
  auditBenchmark,
];

interface ResultRow extends Figure {
  benchmark: string;
  store: string;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
const selected = BENCHMARKS.filter((b) => !only || b.name === only);
if (selected.length === 0) {
  process.stderr.write(`no benchmark named ${only}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}

const calibrationBefore = calibrateMachine();
const rows: ResultRow[] = [];
for (const bench of selected) {
  for (const dialect of DIALECTS) {
    const handle = await openTestStore(dialect);
    try {
      process.stderr.write(`running ${bench.name} on ${dialect}…\n`);
      for (const figure of await bench.run(handle.store, { quick }))
        rows.push({ benchmark: bench.name, store: dialect, ...figure });
    } finally {
      await handle.cleanup();
    }
  }
}

const calibrationAfter = calibrateMachine();
// Decided by the first SQLite store above: SQLite figures depend on it.
const walCoalescing = walCoalescingState() ?? { state: 'off' };
const memory = process.memoryUsage();
const header = ['benchmark', 'store', 'figure', 'value', 'unit'];
/**
 * The young generation's ceiling this run had (the riposte command asks for 64 MiB; see src/cli/main.ts):
 * figures taken under V8's default are not comparable with the others, so the report says which it was.
 */
// Node reads NODE_OPTIONS before its command line, so a flag given on both counts as the command line's.
const maxSemiSpaceMiB = [...(process.env.NODE_OPTIONS ?? '').split(/\s+/), ...process.execArgv]
  .map((flag) => /^--max-semi-space-size=(\d+)$/.exec(flag)?.[1])
  .filter((size) => size !== undefined)
  .map(Number)
  .at(-1);

/** glibc's malloc tunables this run had (the riposte command sets a trim threshold; see src/cli/main.ts). */
const mallocTunables = process.env.GLIBC_TUNABLES;

const table = [
  header,
  ...rows.map((r) => [r.benchmark, r.store, r.name, r.value.toLocaleString('en-US'), r.unit]),
];
const widths = header.map((_, i) => Math.max(...table.map((row) => String(row[i]).length)));
const line = (row: string[]) =>
  row.map((cell, i) => (i === 3 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ');
process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
for (const row of table.slice(1)) process.stdout.write(`${line(row)}\n`);
process.stdout.write(
  `\nmachine calibration ${calibrationBefore} ms before, ${calibrationAfter} ms after (a fixed task; lower is faster, see bench/calibration.ts)`,
);
process.stdout.write(
  `\nSQLite WAL writes coalesced: ${walCoalescing.state === 'unavailable' ? `no (${walCoalescing.reason})` : walCoalescing.state}`,
);
process.stdout.write(
  `\nV8 semi-spaces up to ${maxSemiSpaceMiB ?? "V8's default (16)"} MiB${maxSemiSpaceMiB === undefined ? ': not as Riposte runs (npm run bench passes the flag)' : ''}`,
);
process.stdout.write(
  `\nglibc malloc tunables: ${mallocTunables ?? "glibc's defaults: not as Riposte runs (npm run bench sets them)"}`,
);
process.stdout.write(
  `\npeak RSS ${(memory.rss / 1024 / 1024).toFixed(1)} MiB, heap used ${(memory.heapUsed / 1024 / 1024).toFixed(1)} MiB\n`,
);

const report = {
  at: new Date().toISOString(),
  node: process.version,
  maxSemiSpaceMiB,
  mallocTunables: mallocTunables ?? null,
  quick,
  machine: { calibrationMs: { before: calibrationBefore, after: calibrationAfter } },
  sqliteWalCoalescing: walCoalescing.state,
  memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
  results: rows,
};
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}${report.at.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(`${dir}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`JSON: ${file}\n`);
process.stdout.write(`${JSON.stringify(report)}\n`);
