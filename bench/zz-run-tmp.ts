import { benchCases } from '/work/main/bench/cases.bench.js';
import { openTestStore } from '/work/main/test/support/stores.js';
const [dialect, cases, per] = process.argv.slice(2);
const handle = await openTestStore(dialect as 'sqlite' | 'postgres');
try {
  const t = Date.now();
  console.log(dialect, await benchCases(handle.store, { cases: Number(cases), alertsPerCase: Number(per) }), 'total', Date.now() - t);
} finally { await handle.cleanup(); }
