import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialects/store-dialect.js';

/** What a migration may know of the store it runs on (column types that differ). */
export interface MigrationContext {
  dialect: Pick<StoreDialect, 'name' | 'binaryType' | 'jsonType' | 'textSearch'>;
}

export interface RiposteMigration {
  up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
}
