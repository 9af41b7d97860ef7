import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import type { StoreDialect } from './dialects/store-dialect.js';
import { MIGRATIONS } from './migrations/index.js';
import type { MigrateOptions } from './migrations/migration.js';
import type { Database } from './schema.js';

export interface MigrateOutcome {
  applied: string[];
  pending: string[];
}

function createMigrator(
  db: Kysely<Database>,
  dialect: StoreDialect,
  schema?: string,
  options: MigrateOptions = {},
): Migrator {
  const ctx = { dialect, keyring: options.keyring };
  return new Migrator({
    db,
    provider: {
      async getMigrations() {
        return Object.fromEntries(
          Object.entries(MIGRATIONS).map(([name, m]) => [
            name,
            { up: (trxDb: Kysely<unknown>) => m.up(trxDb, ctx) },
          ]),
        );
      },
    },
    migrationTableName: 'riposte_migrations',
    migrationLockTableName: 'riposte_migrations_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/**
 * Brings the schema up to date, or up to `options.upTo`; on PostgreSQL several processes may call this at once
 * (Kysely locks).
 */
export async function applyMigrations(
  db: Kysely<Database>,
  dialect: StoreDialect,
  schema?: string,
  options: MigrateOptions = {},
): Promise<MigrateOutcome> {
  const names = Object.keys(MIGRATIONS);
  const last = options.upTo === undefined ? names.length - 1 : names.indexOf(options.upTo);
  if (last < 0) throw new Error(`no migration is named ${options.upTo}`);
  const migrator = createMigrator(db, dialect, schema, options);
  const { error, results } = await (options.upTo === undefined
    ? migrator.migrateToLatest()
    : migrator.migrateTo(options.upTo));
  const applied = (results ?? [])
    .filter((r: MigrationResult) => r.status === 'Success')
    .map((r) => r.migrationName);
  if (error) {
    const failed = (results ?? []).find((r) => r.status === 'Error');
    throw new Error(
      `migration ${failed?.migrationName ?? '(unknown)'} failed: ${(error as Error).message ?? String(error)}`,
      {
        cause: error,
      },
    );
  }
  return { applied, pending: names.slice(last + 1) };
}

/** Lists migrations not yet applied, without applying them. */
export async function pendingMigrations(
  db: Kysely<Database>,
  dialect: StoreDialect,
  schema?: string,
): Promise<string[]> {
  const all = await createMigrator(db, dialect, schema).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}
