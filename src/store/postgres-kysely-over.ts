import { Kysely, PostgresAdapter, PostgresQueryCompiler, type DatabaseConnection } from 'kysely';
import { SchemaScopedPostgresIntrospector } from './dialects/postgres-introspector.js';
import type { Database } from './schema.js';

// One adapter for every such instance: compiled statements are cached by adapter (insert-rows.ts,
// prepared-query.ts), and a new adapter per batch compiled every hot statement again.
const ADAPTER = new PostgresAdapter();
// Compiling is synchronous and the compiler resets itself for each query, so one serves all.
const COMPILER = new PostgresQueryCompiler();

/**
 * A Kysely for PostgreSQL whose queries go to `connection` instead of a server: the builders, the compiler
 * and the cached statements of a real one, for code that sends statements its own way (deferred-writes.ts,
 * read-together.ts). It has no transactions of its own.
 */
export function postgresKyselyOver(connection: DatabaseConnection): Kysely<Database> {
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => ADAPTER,
      createQueryCompiler: () => COMPILER,
      createIntrospector: (k) => new SchemaScopedPostgresIntrospector(k),
      createDriver: () => ({
        init: async () => undefined,
        acquireConnection: async () => connection,
        beginTransaction: async () => {
          throw new Error('runs in the transaction it was made for');
        },
        commitTransaction: async () => undefined,
        rollbackTransaction: async () => undefined,
        releaseConnection: async () => undefined,
        destroy: async () => undefined,
      }),
    },
  });
}
