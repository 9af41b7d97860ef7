import pg from 'pg';
import { TEST_PG_URL } from './stores.js';

/**
 * A PostgreSQL connection that holds a lock, so the transactions under test stop behind it, and can tell how
 * many do: tests make two transactions overlap for certain this way instead of hoping they race.
 */
export interface PgBlocker {
  /** Begins a transaction and runs `statement` in it (`select … for update`), the transaction left open. */
  hold(statement: string): Promise<void>;
  /** Commits the held transaction: whoever waited goes on. */
  release(): Promise<void>;
  /** Backends waiting, directly or through others, on the held transaction. */
  waiting(): Promise<number>;
  close(): Promise<void>;
}

export async function openPgBlocker(schema: string): Promise<PgBlocker> {
  const blocker = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
  const watcher = new pg.Client({ connectionString: TEST_PG_URL });
  await Promise.all([blocker.connect(), watcher.connect()]);
  const { rows } = await blocker.query<{ pid: number }>('select pg_backend_pid() as pid');
  const blockerPid = rows[0]?.pid ?? 0;
  return {
    async hold(statement) {
      await blocker.query('begin');
      await blocker.query(statement);
    },
    async release() {
      await blocker.query('commit');
    },
    async waiting() {
      const blocked = await watcher.query<{ pid: number; by: number[] }>(
        'select pid, pg_blocking_pids(pid) as by from pg_stat_activity where cardinality(pg_blocking_pids(pid)) > 0',
      );
      const behind = new Set<number>([blockerPid]);
      for (let grew = true; grew;) {
        grew = false;
        for (const r of blocked.rows)
          if (!behind.has(r.pid) && r.by.some((pid) => behind.has(pid))) {
            behind.add(r.pid);
            grew = true;
          }
      }
      return behind.size - 1;
    },
    async close() {
      await Promise.all([blocker.end(), watcher.end()]);
    },
  };
}
