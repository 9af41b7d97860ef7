import type { Kysely } from 'kysely';
import type { Keyring } from '../../governance/secrets/secret-box.js';
import type { StoreDialect } from '../dialects/store-dialect.js';

/** What a migration may know of the store it runs on (column types that differ), and the secrets keyring. */
export interface MigrationContext {
  dialect: Pick<StoreDialect, 'name' | 'binaryType' | 'jsonType' | 'textSearch'>;
  /** Loaded only by a migration that has secrets to seal; absent where none was configured. */
  keyring?: () => Keyring;
}

/** What the caller of a migration run supplies beyond the store. */
export interface MigrateOptions {
  keyring?: () => Keyring;
  /**
   * Stops after this migration (its name in MIGRATIONS) instead of the latest: the schema an earlier version
   * left, for a test of the migrations after it on the rows that version stored.
   */
  upTo?: string;
}

export interface RiposteMigration {
  up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
}
