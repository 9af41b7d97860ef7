import type { RunStatement } from './store-dialect.js';

/**
 * A table smaller than this keeps the statistics it has, or none. Without any SQLite plans as if every table
 * were large, and seeks its indexes, which suits a small table too. Statistics of a small table are what
 * hurt: with those of 32 alerts SQLite scans the table rather than seek 16 fingerprint prefixes, of 1,000
 * alerts rather than seek 500, and it keeps doing so as the table grows, until it is analysed again. And a
 * small table whose size swings tenfold and back (a job queue: 2 rows, then 25) would be analysed at every
 * check, each time making SQLite prepare every statement of the connection again.
 */
export const STATISTICS_MIN_ROWS = 1_000;

/**
 * Statistics of fewer rows than this are taken again each time their table doubles; larger ones only when it
 * grows or shrinks tenfold (`pragma optimize`'s rule). Analysed at 2,000 alerts, SQLite scans the table
 * rather than seek an ingest step's 500 fingerprint prefixes; from 3,000 it seeks them. Under the tenfold rule
 * alone, statistics of 2,000 alerts lasted until 20,000 and every ingest step scanned up to 20,000 rows twice
 * (a fifth of a bulk step's CPU); doubling bounds such a scan to twice the size the plan was made for.
 */
export const STATISTICS_SETTLED_ROWS = 10_000;

/** Rows of `table` (quoted), counted no further than `limit`. */
async function rowsUpTo(run: RunStatement, table: string, limit: number): Promise<number> {
  const [{ rows } = { rows: 0 }] = (await run(
    `select count(*) as rows from (select 1 from ${table} limit ${limit})`,
  )) as Array<{ rows: number }>;
  return Number(rows);
}

/** Tables analysed at fewer than STATISTICS_SETTLED_ROWS rows, quoted as `pragma optimize` names them. */
async function youngStatistics(run: RunStatement): Promise<Array<{ table: string; analysedRows: number }>> {
  const exists = await run(`select 1 from sqlite_schema where name = 'sqlite_stat1'`);
  if (exists.length === 0) return [];
  // A row's stat starts with the rows its index held when analysed: the table's, or fewer for a partial
  // index. A table whose indexes are all partial (or that has none) gets a row of its own (idx null) with
  // its rows, so the largest is the table's.
  const young = (await run(
    `select tbl, max(cast(stat as integer)) as analysed from sqlite_stat1 group by tbl
     having analysed < ${STATISTICS_SETTLED_ROWS}`,
  )) as Array<{ tbl: string; analysed: number }>;
  return young.map((r) => ({
    table: `"main"."${r.tbl.replaceAll('"', '""')}"`,
    analysedRows: Number(r.analysed),
  }));
}

/**
 * Analyses the tables whose statistics no longer fit them, when they hold at least STATISTICS_MIN_ROWS rows:
 * those `pragma optimize` picks (never analysed, or ten times larger or smaller since), and those analysed
 * young (STATISTICS_SETTLED_ROWS) that have doubled since. A check that finds nothing to do costs ~30 µs, or
 * ~2 ms while young tables are counted (alerts and observables at 9,000 rows), so the store runs it every few
 * seconds (store.ts). Each ANALYZE reads a bounded sample (the connection's analysis_limit, set where it
 * opens: about 260 ms for a 1 GB file).
 *
 * Without statistics SQLite once guessed that the (type, at) index of case_events suited a per-case read: the
 * milestone rebuild took 53 s at 100,000 cases instead of 1.8 s. SQLite re-plans the statements it had
 * prepared after an ANALYZE.
 */
export async function refreshSqliteStatistics(run: RunStatement): Promise<void> {
  const due = new Set<string>();
  // Mask 0x10003: every table (0x10000), and list the ANALYZE statements it would run (0x1) without running
  // any. Each names its table quoted by SQLite itself, as in `ANALYZE "main"."alerts"`.
  for (const row of await run('pragma optimize = 0x10003')) {
    const statement = String(Object.values(row)[0] ?? '');
    const table = /^ANALYZE ("(?:[^"]|"")+"\."(?:[^"]|"")+")$/.exec(statement)?.[1];
    if (table && (await rowsUpTo(run, table, STATISTICS_MIN_ROWS)) >= STATISTICS_MIN_ROWS) due.add(table);
  }
  for (const { table, analysedRows } of await youngStatistics(run)) {
    // Already due by the tenfold rule: not counted again.
    if (due.has(table)) continue;
    const doubled = Math.max(2 * analysedRows, STATISTICS_MIN_ROWS);
    if ((await rowsUpTo(run, table, doubled)) >= doubled) due.add(table);
  }
  for (const table of due) await run(`analyze ${table}`);
}
