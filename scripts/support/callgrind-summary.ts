/**
 * Sums a callgrind output file (one thread's) by where the instructions ran, per unit of work:
 * `npx tsx scripts/support/callgrind-summary.ts FILE UNITS`. Reads `callgrind_annotate`'s per-function totals
 * and prints one JSON line (thousands of instructions per unit).
 */
import { execFileSync } from 'node:child_process';

const [file, units] = [process.argv[2] ?? '', Number(process.argv[3] ?? 1)];
const annotated = execFileSync('callgrind_annotate', ['--threshold=100', file], {
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});

/** Where a function's instructions count, by its name and the library it is in. */
const CATEGORIES: Array<[string, RegExp]> = [
  ['sqlite', /better_sqlite3\.node/],
  [
    'gc',
    /Scaveng|Marking|Sweep|Heap::|Evacuat|MarkCompact|GCTracer|heap::base|BodyDescriptor|RememberedSet|SlotSet|Worklist/,
  ],
  ['compiler', /compiler::|Compil|Maglev|Baseline|Bytecode|Parser::|Scanner|interpreter::/],
];

const sums = new Map<string, number>([...CATEGORIES.map(([name]) => [name, 0] as const), ['rest', 0]]);
for (const line of annotated.split('\n')) {
  const match = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
  if (!match || line.includes('PROGRAM TOTALS')) continue;
  const count = Number((match[1] ?? '0').replaceAll(',', ''));
  const where = match[2] ?? '';
  const category = CATEGORIES.find(([, pattern]) => pattern.test(where))?.[0] ?? 'rest';
  sums.set(category, (sums.get(category) ?? 0) + count);
}
const perUnit = (n: number): number => Math.round(n / units / 100) / 10;
const total = [...sums.values()].reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify({
    kiloInstructionsPerAlert: {
      ...Object.fromEntries([...sums].map(([name, n]) => [name, perUnit(n)])),
      sqliteAndRest: perUnit((sums.get('sqlite') ?? 0) + (sums.get('rest') ?? 0)),
      total: perUnit(total),
    },
  }),
);
