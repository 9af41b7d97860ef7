import type { Kysely, Transaction } from 'kysely';
import { preparedQuery } from '../prepared-query.js';
import type { Database } from '../schema.js';
import type { IngestSourceRow } from './alert.table.js';

type Db = Kysely<Database> | Transaction<Database>;

/** An ingest source as the rest of the system sees it: never the token hash or the HMAC secret. */
export interface IngestSource {
  name: string;
  description: string;
  mapper: string;
  mapperConfig: unknown;
  enabled: boolean;
  hasToken: boolean;
  hasHmacSecret: boolean;
  /** Signatures must cover `X-Riposte-Timestamp`; body-only ones are refused. */
  requireTimestamp: boolean;
  createdAt: number;
  updatedAt: number;
}

export const sourceRowToSource = (row: IngestSourceRow): IngestSource => ({
  name: row.name,
  description: row.description,
  mapper: row.mapper,
  mapperConfig: row.mapper_config ? (JSON.parse(row.mapper_config) as unknown) : null,
  enabled: row.enabled === 1,
  hasToken: row.token_hash !== null,
  hasHmacSecret: row.hmac_secret !== null,
  requireTimestamp: row.require_timestamp === 1,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

/**
 * What a source's sealed HMAC secret is bound to: an envelope copied into another source's row does not
 * open there.
 */
export const hmacSecretAad = (name: string): string => `ingest_source:${name}:hmac_secret`;

/** Sealed envelopes read `v1.<key id>.<base64>`; the secrets made before sealing were bare base64url. */
export const isSealedHmacSecret = (stored: string): boolean => stored.startsWith('v1.');

// Read for every burst of ingest requests to a source (readSourceRowForIngest): compiled once.
const sourceRowQuery = preparedQuery<{ name: string }, IngestSourceRow>((db, slot) =>
  db.selectFrom('ingest_sources').selectAll().where('name', '=', slot('name')),
);

/** The full row, credentials included (the HMAC secret sealed): only the webhook check reads it. */
export async function findIngestSourceRow(db: Db, name: string): Promise<IngestSourceRow | undefined> {
  const {
    rows: [row],
  } = await sourceRowQuery(db, { name });
  return row;
}

/** Every source's sealed HMAC secret, by name (sources without one left out): for a key rotation. */
export async function listSealedHmacSecrets(db: Db): Promise<Array<{ name: string; sealed: string }>> {
  const rows = await db
    .selectFrom('ingest_sources')
    .select(['name', 'hmac_secret'])
    .where('hmac_secret', 'is not', null)
    .orderBy('name')
    .execute();
  return rows.flatMap((r) => (r.hmac_secret === null ? [] : [{ name: r.name, sealed: r.hmac_secret }]));
}

export async function listIngestSources(db: Db): Promise<IngestSource[]> {
  const rows = await db.selectFrom('ingest_sources').selectAll().orderBy('name').execute();
  return rows.map(sourceRowToSource);
}

export interface IngestSourceInput {
  name: string;
  description: string;
  mapper: string;
  mapperConfig: unknown;
  enabled: boolean;
  tokenHash: string | null;
  /** Sealed with the master key (see `hmacSecretAad`), never the secret itself. */
  sealedHmacSecret: string | null;
  requireTimestamp: boolean;
}

/**
 * Inserts the source and returns its row, or undefined when the name is taken: on PostgreSQL a concurrent
 * insert of the same name is waited for rather than failing with a unique violation.
 */
export async function insertIngestSource(
  db: Db,
  input: IngestSourceInput,
  now: number,
): Promise<IngestSourceRow | undefined> {
  return db
    .insertInto('ingest_sources')
    .values({
      name: input.name,
      description: input.description,
      mapper: input.mapper,
      mapper_config:
        input.mapperConfig === null || input.mapperConfig === undefined
          ? null
          : JSON.stringify(input.mapperConfig),
      token_hash: input.tokenHash,
      hmac_secret: input.sealedHmacSecret,
      require_timestamp: input.requireTimestamp ? 1 : 0,
      enabled: input.enabled ? 1 : 0,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('name').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/**
 * Updates the given fields (`null` clears a credential) and returns the row as updated, or undefined when no
 * such source exists. On PostgreSQL the row returned is this update applied over any concurrent one committed
 * first, so a check of it sees what will be stored.
 */
export async function updateIngestSource(
  db: Db,
  name: string,
  patch: Partial<Omit<IngestSourceInput, 'name'>>,
  now: number,
): Promise<IngestSourceRow | undefined> {
  const set: Partial<IngestSourceRow> = { updated_at: now };
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.mapper !== undefined) set.mapper = patch.mapper;
  if (patch.mapperConfig !== undefined)
    set.mapper_config = patch.mapperConfig === null ? null : JSON.stringify(patch.mapperConfig);
  if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
  if (patch.tokenHash !== undefined) set.token_hash = patch.tokenHash;
  if (patch.sealedHmacSecret !== undefined) set.hmac_secret = patch.sealedHmacSecret;
  if (patch.requireTimestamp !== undefined) set.require_timestamp = patch.requireTimestamp ? 1 : 0;
  return db.updateTable('ingest_sources').set(set).where('name', '=', name).returningAll().executeTakeFirst();
}

export async function deleteIngestSource(db: Db, name: string): Promise<boolean> {
  const result = await db.deleteFrom('ingest_sources').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
