import type { Kysely } from 'kysely';
import { sealSecret } from '../../governance/secrets/secret-box.js';
import { hmacSecretAad, isSealedHmacSecret } from '../alerts/ingest-source.repository.js';
import type { MigrationContext } from './migration.js';

/**
 * Ingest sources' HMAC secrets were stored in the clear; from here on they are sealed with the master key
 * (AES-256-GCM, bound to the source's name) like connector credentials. Rows written before are sealed
 * here. The keyring is loaded only when such a row exists, so a fresh database needs no key to migrate.
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const typed = db as Kysely<{ ingest_sources: { name: string; hmac_secret: string | null } }>;
  const rows = await typed
    .selectFrom('ingest_sources')
    .select(['name', 'hmac_secret'])
    .where('hmac_secret', 'is not', null)
    .execute();
  const plain = rows.filter((r) => r.hmac_secret !== null && !isSealedHmacSecret(r.hmac_secret));
  if (plain.length === 0) return;
  if (!ctx.keyring) {
    throw new Error(
      `ingest source ${plain[0]?.name} has an HMAC secret stored in the clear and no master key was given to seal it`,
    );
  }
  const keyring = ctx.keyring();
  for (const r of plain) {
    await typed
      .updateTable('ingest_sources')
      .set({ hmac_secret: sealSecret(keyring, r.hmac_secret, hmacSecretAad(r.name)) })
      .where('name', '=', r.name)
      .execute();
  }
}
