import { Kysely, sql } from 'kysely';
import { createSqliteDialect } from './dialects/sqlite.js';
import type { Notifier, StoreDialect } from './dialects/store-dialect.js';
import { applyMigrations, pendingMigrations, type MigrateOutcome } from './migrate.js';
import type { MigrateOptions } from './migrations/migration.js';
import type { Database } from './schema.js';

/**
 * How often, while the store is open, it checks whether the planner's statistics still fit the tables. A table
 * is analysed again only once its size moved tenfold, or doubled while young (sqlite-statistics.ts), and a
 * check costs ~30 µs (~2 ms while young tables are counted), so it can run often. It must: statistics taken
 * on a small table stay until a check replaces them,
 * and with them SQLite scans the table instead of seeking a short list of keys. With the hourly refresh this
 * was before, a server whose first check found a thousand alerts scanned the whole alerts table in every
 * ingest transaction's de-duplication lookup for the next hour, however large the table grew.
 */
const STATISTICS_REFRESH_MS = 5_000;
/**
 * The first refresh waits this long after opening, so a short CLI command never pays for it (about 260 ms on a
 * 1 GB SQLite file); a long-lived process gets it at once in practice, and a migration takes it first.
 */
const STATISTICS_FIRST_REFRESH_MS = 1_000;

export interface StoreOptions {
  /** PostgreSQL when set; the embedded SQLite file otherwise. */
  databaseUrl?: string;
  databaseSchema?: string;
  sqlitePath: string;
  poolSize?: number;
  /** Delay of the first planner-statistics refresh after opening (STATISTICS_FIRST_REFRESH_MS by default). */
  statisticsFirstRefreshMs?: number;
  /** Interval of the later refreshes (STATISTICS_REFRESH_MS by default). */
  statisticsRefreshMs?: number;
  /** SQLite: write WAL frames coalesced (default true; see dialects/sqlite-wal-coalesce.c). */
  sqliteWalCoalescing?: boolean;
}

/** The open store: the typed query builder, what its dialect can do, and cross-process wake-ups. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  readonly notifier: Notifier;
  readonly schema: string | undefined;
  /**
   * Brings the schema up to date (or up to `upTo`); `keyring` lets a migration seal secrets it finds stored in
   * the clear. When migrations are pending, the planner's statistics are refreshed first: a backfill planned
   * from guesses took 53 s instead of 1.8 s.
   */
  migrate(options?: MigrateOptions): Promise<MigrateOutcome>;
  /** Refreshes the planner's statistics now (done soon after opening and hourly; worth it after a bulk load). */
  refreshStatistics(): Promise<void>;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** The store could not be opened; the message is one line that says what to check. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function explainConnectError(err: unknown, url: string): StoreUnavailableError {
  const e = err as NodeJS.ErrnoException & { code?: string };
  const where = redactUrl(url);
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'nothing listens there: is PostgreSQL running?',
    ENOTFOUND: 'the host name does not resolve',
    ETIMEDOUT: 'the connection timed out',
    '3D000': 'that database does not exist: create it or fix the name',
    '28P01': 'the password was refused',
    '28000': 'the role is not allowed to connect',
  };
  const reason = (e.code && reasons[e.code]) ?? e.message;
  return new StoreUnavailableError(`cannot reach PostgreSQL at ${where}: ${reason}`, { cause: err });
}

/** Opens the store named by the options and checks that it answers. Does not migrate. */
export async function openStore(options: StoreOptions): Promise<Store> {
  let dialect: StoreDialect;
  if (options.databaseUrl) {
    // Loaded only for PostgreSQL: importing `pg` took ~100 ms of every start on the embedded store.
    const { createPostgresDialect, ensurePostgresSchema } = await import('./dialects/postgres.js');
    const url = options.databaseUrl;
    if (options.databaseSchema) {
      try {
        await ensurePostgresSchema(url, options.databaseSchema);
      } catch (err) {
        throw explainConnectError(err, url);
      }
    }
    dialect = createPostgresDialect({ url, schema: options.databaseSchema, poolSize: options.poolSize });
  } else {
    try {
      dialect = createSqliteDialect(options.sqlitePath, { walCoalescing: options.sqliteWalCoalescing });
    } catch (err) {
      throw new StoreUnavailableError(
        `cannot open the SQLite file ${options.sqlitePath}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  const db = new Kysely<Database>({ dialect: dialect.createKyselyDialect() });
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    await dialect.close();
    throw options.databaseUrl
      ? explainConnectError(err, options.databaseUrl)
      : new StoreUnavailableError(
          `cannot use the SQLite file ${options.sqlitePath}: ${(err as Error).message}`,
          { cause: err },
        );
  }
  const notifier = dialect.createNotifier();
  const refreshStatistics = async (): Promise<void> => {
    try {
      await dialect.refreshStatistics?.(
        async (statement) => (await sql.raw<Record<string, unknown>>(statement).execute(db)).rows,
      );
    } catch {
      // Statistics only guide the planner: a refresh that finds the store busy waits for the next one.
    }
  };
  let statisticsTimer: NodeJS.Timeout | undefined;
  const scheduleStatistics = (delayMs: number): void => {
    statisticsTimer = setTimeout(() => {
      void refreshStatistics().then(() => {
        if (!closed) scheduleStatistics(options.statisticsRefreshMs ?? STATISTICS_REFRESH_MS);
      });
    }, delayMs);
    statisticsTimer.unref();
  };
  let closed = false;
  if (dialect.refreshStatistics)
    scheduleStatistics(options.statisticsFirstRefreshMs ?? STATISTICS_FIRST_REFRESH_MS);
  return {
    db,
    dialect,
    notifier,
    schema: options.databaseSchema,
    async migrate(migrateOptions) {
      const planned = dialect.refreshStatistics !== undefined;
      if (planned && (await pendingMigrations(db, dialect, options.databaseSchema)).length > 0)
        await refreshStatistics();
      return applyMigrations(db, dialect, options.databaseSchema, migrateOptions);
    },
    refreshStatistics,
    async ping() {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(statisticsTimer);
      await notifier.close();
      // Kysely's destroy closes the pool (PostgreSQL) or the file (SQLite).
      await db.destroy();
    },
  };
}
