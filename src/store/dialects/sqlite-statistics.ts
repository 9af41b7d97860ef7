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
 * Analyses the tables whose statistics no longer fit them, as `pragma optimize` decides (never analysed, or
 * ten times larger or smaller since), when they hold at least STATISTICS_MIN_ROWS rows. A check that finds
 * nothing to do costs ~30 µs, so the store runs it every few seconds (store.ts). Each ANALYZE reads a bounded
 * sample (the connection's analysis_limit, set where it opens: about 260 ms for a 1 GB file).
 *
 * Without statistics SQLite once guessed that the (type, at) index of case_events suited a per-case read: the
 * milestone rebuild took 53 s at 100,000 cases instead of 1.8 s. SQLite re-plans the statements it had
 * prepared after an ANALYZE.
 */
export async function refreshSqliteStatistics(run: RunStatement): Promise<void> {
  // Mask 0x10003: every table (0x10000), and list the ANALYZE statements it would run (0x1) without running
  // any. Each names its table quoted by SQLite itself, as in `ANALYZE "main"."alerts"`.
  const planned = await run('pragma optimize = 0x10003');
  for (const row of planned) {
    const statement = String(Object.values(row)[0] ?? '');
    const table = /^ANALYZE ("(?:[^"]|"")+"\."(?:[^"]|"")+")$/.exec(statement)?.[1];
    if (!table) continue;
    const [{ rows } = { rows: 0 }] = (await run(
      `select count(*) as rows from (select 1 from ${table} limit ${STATISTICS_MIN_ROWS})`,
    )) as Array<{ rows: number }>;
    if (Number(rows) < STATISTICS_MIN_ROWS) continue;
    await run(`analyze ${table}`);
  }
}
