import { sql, type Kysely, type Transaction, type UpdateObject } from 'kysely';
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
  /**
   * Until when the token and the HMAC secret rotated away are still accepted beside the new ones (a rotation
   * with `previousValidForMs`); null when there is none. An instant already past means it no longer works.
   */
  previousTokenExpiresAt: number | null;
  previousHmacSecretExpiresAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** The generic mapper's field paths a source row keeps as JSON, parsed; undefined when it keeps none. */
export const mapperConfigOf = (row: Pick<IngestSourceRow, 'mapper_config'>): unknown =>
  row.mapper_config ? (JSON.parse(row.mapper_config) as unknown) : undefined;

export const sourceRowToSource = (row: IngestSourceRow): IngestSource => ({
  name: row.name,
  description: row.description,
  mapper: row.mapper,
  mapperConfig: mapperConfigOf(row) ?? null,
  enabled: row.enabled === 1,
  hasToken: row.token_hash !== null,
  hasHmacSecret: row.hmac_secret !== null,
  requireTimestamp: row.require_timestamp === 1,
  previousTokenExpiresAt:
    row.previous_token_hash === null || row.previous_token_expires_at === null
      ? null
      : Number(row.previous_token_expires_at),
  previousHmacSecretExpiresAt:
    row.previous_hmac_secret === null || row.previous_hmac_secret_expires_at === null
      ? null
      : Number(row.previous_hmac_secret_expires_at),
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

/**
 * The sources whose current token, or token rotated away, has this SHA-256 hash (hex): how a caller that
 * names no source (a Splunk HEC client, which sends only its token) is matched to one. Whether a previous
 * token's grace still lasts is the caller's to check. Both columns are indexed (migration 0023_a); tokens are
 * random, so this is one row, or none.
 */
export async function findIngestSourceRowsByTokenHash(db: Db, hash: string): Promise<IngestSourceRow[]> {
  return db
    .selectFrom('ingest_sources')
    .selectAll()
    .where((eb) => eb.or([eb('token_hash', '=', hash), eb('previous_token_hash', '=', hash)]))
    .orderBy('name')
    .execute();
}

/** What a long ingest finds when it asks again before a step (see `findIngestGrant`). */
export interface IngestGrant {
  /** The source's `enabled`; undefined when it has no row (never had, or was deleted). */
  enabled: number | undefined;
  /** Whether the API token asked about is still neither revoked nor expired; undefined when none was asked. */
  tokenValid: boolean | undefined;
}

/**
 * A source's `enabled` and, given an API token's id, whether that token still works at `now`: one statement
 * of scalar subqueries (primary-key lookups), asked once per step of a stream, never per alert. The token's
 * table is the identity store's; it is read here so that the step costs one round trip, not two.
 */
export async function findIngestGrant(
  db: Db,
  name: string,
  token?: { id: string; now: number },
): Promise<IngestGrant> {
  const row = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('ingest_sources').select('enabled').where('name', '=', name).as('enabled'),
      ...(token
        ? [
            eb
              .selectFrom('api_tokens')
              .select(sql<number>`1`.as('valid'))
              .where('id', '=', token.id)
              .where('revoked_at', 'is', null)
              .where((w) => w.or([w('expires_at', 'is', null), w('expires_at', '>', token.now)]))
              .as('token_valid'),
          ]
        : []),
    ])
    .executeTakeFirstOrThrow();
  const { enabled, token_valid: tokenValid } = row as { enabled: number | null; token_valid?: number | null };
  return {
    enabled: enabled === null ? undefined : Number(enabled),
    tokenValid: token ? tokenValid !== null && tokenValid !== undefined : undefined,
  };
}

/**
 * The row before a change, inside the change's transaction: locked on a store with row locks (PostgreSQL), so
 * no concurrent change slips in between it and the update; SQLite's writers already take turns.
 */
export async function lockIngestSourceRow(
  db: Db,
  name: string,
  options: { lockRow: boolean },
): Promise<IngestSourceRow | undefined> {
  const query = db.selectFrom('ingest_sources').selectAll().where('name', '=', name);
  return (options.lockRow ? query.forUpdate() : query).executeTakeFirst();
}

/** Where a source keeps a sealed HMAC secret: the current one, or the one rotated away. */
export type SealedSecretColumn = 'hmac_secret' | 'previous_hmac_secret';

/**
 * Every sealed HMAC secret of every source, current and previous: for a key rotation. With `lockRows`
 * (PostgreSQL), the rows stay locked until the transaction ends: a rotation of a source's secret committed
 * between this read and the re-sealed write would otherwise be overwritten by the secret it replaced.
 */
export async function listSealedHmacSecrets(
  db: Db,
  options: { lockRows: boolean },
): Promise<Array<{ name: string; column: SealedSecretColumn; sealed: string }>> {
  const query = db
    .selectFrom('ingest_sources')
    .select(['name', 'hmac_secret', 'previous_hmac_secret'])
    .orderBy('name');
  const rows = await (options.lockRows ? query.forUpdate() : query).execute();
  return rows.flatMap((r) =>
    (['hmac_secret', 'previous_hmac_secret'] as const).flatMap((column) => {
      const sealed = r[column];
      return sealed === null ? [] : [{ name: r.name, column, sealed }];
    }),
  );
}

/** Writes a sealed HMAC secret back in place (a key rotation: the secret itself is unchanged). */
export async function updateSealedHmacSecret(
  db: Db,
  name: string,
  column: SealedSecretColumn,
  sealed: string,
): Promise<void> {
  await db
    .updateTable('ingest_sources')
    .set({ [column]: sealed })
    .where('name', '=', name)
    .execute();
}

/**
 * Every source, with when its newest alert was received (`lastAlertAt`, null before its first): a source
 * that went quiet is how a broken integration shows. Each is one step down the `(source, id)` index (ids
 * follow the time they were given), whatever the source's volume.
 */
export async function listIngestSources(
  db: Db,
): Promise<Array<IngestSource & { lastAlertAt: number | null }>> {
  const rows = await db
    .selectFrom('ingest_sources as s')
    .selectAll('s')
    .select((eb) =>
      eb
        .selectFrom('alerts as a')
        .select('a.created_at')
        .whereRef('a.source', '=', 's.name')
        .orderBy('a.id', 'desc')
        .limit(1)
        .as('last_alert_at'),
    )
    .orderBy('s.name')
    .execute();
  return rows.map((r) => ({
    ...sourceRowToSource(r),
    lastAlertAt: r.last_alert_at === null ? null : Number(r.last_alert_at),
  }));
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
 * What becomes of the credential a change replaces or removes: kept as the previous one until `until` (from
 * the row as it is when updated, so two rotations at once chain: the first's new credential is the second's
 * previous), or `null`: no previous credential is left (the old one stops working now).
 */
export type PreviousCredential = { until: number } | null;

export interface IngestSourcePatch extends Partial<Omit<IngestSourceInput, 'name'>> {
  previousToken?: PreviousCredential;
  previousHmacSecret?: PreviousCredential;
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
  patch: IngestSourcePatch,
  now: number,
): Promise<IngestSourceRow | undefined> {
  const set: Partial<IngestSourceRow> = { updated_at: now };
  // Read from the row as it is before this update's own changes (SET expressions see the old values).
  const previous: UpdateObject<Database, 'ingest_sources'> = {};
  if (patch.previousToken !== undefined) {
    previous.previous_token_hash = patch.previousToken ? sql.ref('token_hash') : null;
    previous.previous_token_expires_at = patch.previousToken?.until ?? null;
  }
  if (patch.previousHmacSecret !== undefined) {
    previous.previous_hmac_secret = patch.previousHmacSecret ? sql.ref('hmac_secret') : null;
    previous.previous_hmac_secret_expires_at = patch.previousHmacSecret?.until ?? null;
  }
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.mapper !== undefined) set.mapper = patch.mapper;
  if (patch.mapperConfig !== undefined)
    set.mapper_config = patch.mapperConfig === null ? null : JSON.stringify(patch.mapperConfig);
  if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
  if (patch.tokenHash !== undefined) set.token_hash = patch.tokenHash;
  if (patch.sealedHmacSecret !== undefined) set.hmac_secret = patch.sealedHmacSecret;
  if (patch.requireTimestamp !== undefined) set.require_timestamp = patch.requireTimestamp ? 1 : 0;
  return db
    .updateTable('ingest_sources')
    .set({ ...set, ...previous })
    .where('name', '=', name)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes the source and returns its row as it was (for the audit log), or undefined when there was none. */
export async function deleteIngestSource(db: Db, name: string): Promise<IngestSourceRow | undefined> {
  return db.deleteFrom('ingest_sources').where('name', '=', name).returningAll().executeTakeFirst();
}
