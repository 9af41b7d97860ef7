import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';
import type { ConnectorInstanceRow } from './connector.table.js';

type Db = Kysely<Database> | Transaction<Database>;

/** An instance as stored: plain settings, and the secrets still sealed. */
export interface StoredConnectorInstance {
  name: string;
  connector: string;
  config: Record<string, unknown>;
  sealedSecrets: string | null;
  isDefault: boolean;
  createdAt: number;
  updatedAt: number;
}

export const instanceRowToInstance = (row: ConnectorInstanceRow): StoredConnectorInstance => ({
  name: row.name,
  connector: row.connector,
  config: JSON.parse(row.config) as Record<string, unknown>,
  sealedSecrets: row.secrets,
  isDefault: row.is_default === 1,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function findConnectorInstance(
  db: Db,
  name: string,
): Promise<StoredConnectorInstance | undefined> {
  const row = await db
    .selectFrom('connector_instances')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row && instanceRowToInstance(row);
}

/** The connector's default instance, or its only one. */
export async function findDefaultInstance(
  db: Db,
  connector: string,
): Promise<StoredConnectorInstance | undefined> {
  const rows = await db
    .selectFrom('connector_instances')
    .selectAll()
    .where('connector', '=', connector)
    .orderBy('is_default', 'desc')
    .orderBy('name')
    .limit(2)
    .execute();
  const [first, second] = rows;
  if (!first) return undefined;
  if (first.is_default === 1 || !second) return instanceRowToInstance(first);
  return undefined;
}

export async function listConnectorInstances(
  db: Db,
  connector?: string,
  options: { lockRows: boolean } = { lockRows: false },
): Promise<StoredConnectorInstance[]> {
  let q = db.selectFrom('connector_instances').selectAll().orderBy('name');
  if (connector) q = q.where('connector', '=', connector);
  // Locked until the transaction ends (PostgreSQL), for a read followed by writes of the same rows.
  if (options.lockRows) q = q.forUpdate();
  return (await q.execute()).map(instanceRowToInstance);
}

/**
 * Inserts or replaces an instance; a new default unsets the connector's previous one. With `onlyIfNew`, an
 * instance of that name already there is left as it is and false is returned: the insert itself decides, so
 * two creates of one name at once (PostgreSQL) cannot both succeed with the second silently replacing the first.
 */
export async function saveConnectorInstance(
  db: Transaction<Database>,
  instance: StoredConnectorInstance,
  options: { onlyIfNew?: boolean } = {},
): Promise<boolean> {
  if (instance.isDefault) {
    await db
      .updateTable('connector_instances')
      .set({ is_default: 0 })
      .where('connector', '=', instance.connector)
      .where('name', '!=', instance.name)
      .execute();
  }
  const values = {
    name: instance.name,
    connector: instance.connector,
    config: JSON.stringify(instance.config),
    secrets: instance.sealedSecrets,
    is_default: instance.isDefault ? 1 : 0,
    created_at: instance.createdAt,
    updated_at: instance.updatedAt,
  };
  const written = await db
    .insertInto('connector_instances')
    .values(values)
    .onConflict((oc) =>
      options.onlyIfNew
        ? oc.column('name').doNothing()
        : oc.column('name').doUpdateSet({
            config: values.config,
            secrets: values.secrets,
            is_default: values.is_default,
            updated_at: values.updated_at,
          }),
    )
    .executeTakeFirst();
  return Number(written.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function deleteConnectorInstance(db: Db, name: string): Promise<boolean> {
  const result = await db.deleteFrom('connector_instances').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Replaces the sealed secrets of one instance (key rotation). */
export async function updateSealedSecrets(
  db: Db,
  name: string,
  sealed: string | null,
  now: number,
): Promise<void> {
  await db
    .updateTable('connector_instances')
    .set({ secrets: sealed, updated_at: now })
    .where('name', '=', name)
    .execute();
}
