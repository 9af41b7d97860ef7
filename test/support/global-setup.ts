import pg from 'pg';
import { ensureCliBuilt } from './cli-build.js';
import { TEST_PG_URL } from './stores.js';

/** A schema younger than this may belong to a run in another PID namespace of this machine, still going. */
const STALE_AFTER_MS = 60 * 60 * 1000;

/**
 * The CLI tests run the built command: build it if a source file changed since. The suite needs this machine's
 * PostgreSQL: say so plainly, once, instead of failing every store test, and sweep schemas left behind by runs
 * that were killed before their cleanup.
 */
export default async function setup(): Promise<void> {
  ensureCliBuilt();
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `the store tests need PostgreSQL at ${TEST_PG_URL} (${(err as Error).message}); start it or set RIPOSTE_TEST_PG_URL`,
    );
  }
  try {
    const { rows } = await client.query<{ nspname: string }>(
      `select nspname from pg_namespace where nspname ~ '^t_[0-9]+_([0-9a-z]+_)?[0-9a-f]{8}$'`,
    );
    for (const { nspname } of rows) {
      const parts = nspname.split('_');
      const pid = Number(parts[1]);
      const createdAt = parts.length === 4 ? parseInt(parts[2] ?? '', 36) : 0;
      if (!isAlive(pid) && Date.now() - createdAt > STALE_AFTER_MS)
        await client.query(`drop schema if exists "${nspname}" cascade`);
    }
  } finally {
    await client.end();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
