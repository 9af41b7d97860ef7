import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export const ProtectedAssetKinds = ['ip', 'host', 'user', 'domain'] as const;
export type ProtectedAssetKind = (typeof ProtectedAssetKinds)[number];

export interface StoredProtectedAsset {
  id: string;
  kind: ProtectedAssetKind;
  value: string;
  reason: string;
  createdAt: number;
}

export async function listProtectedAssets(db: Db): Promise<StoredProtectedAsset[]> {
  const rows = await db.selectFrom('protected_assets').selectAll().orderBy('kind').orderBy('value').execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind as ProtectedAssetKind,
    value: r.value,
    reason: r.reason,
    createdAt: r.created_at,
  }));
}

export async function insertProtectedAsset(db: Db, asset: StoredProtectedAsset): Promise<void> {
  await db
    .insertInto('protected_assets')
    .values({
      id: asset.id,
      kind: asset.kind,
      value: asset.value,
      reason: asset.reason,
      created_at: asset.createdAt,
    })
    .onConflict((oc) => oc.columns(['kind', 'value']).doUpdateSet({ reason: asset.reason }))
    .execute();
}

export async function deleteProtectedAsset(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('protected_assets').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export interface OpenBreaker {
  scope: string;
  openedAt: number;
  openUntil: number;
  reason: string;
}

/** The breakers among `scopes` still open at `now`. */
export async function findOpenBreakers(
  db: Db,
  scopes: readonly string[],
  now: number,
): Promise<OpenBreaker[]> {
  if (scopes.length === 0) return [];
  const rows = await db
    .selectFrom('circuit_breakers')
    .selectAll()
    .where('scope', 'in', scopes)
    .where('open_until', '>', now)
    .execute();
  return rows.map((r) => ({
    scope: r.scope,
    openedAt: r.opened_at,
    openUntil: r.open_until,
    reason: r.reason,
  }));
}

export async function openBreaker(db: Db, breaker: OpenBreaker): Promise<void> {
  await db
    .insertInto('circuit_breakers')
    .values({
      scope: breaker.scope,
      opened_at: breaker.openedAt,
      open_until: breaker.openUntil,
      reason: breaker.reason,
    })
    .onConflict((oc) =>
      oc
        .column('scope')
        .doUpdateSet({ opened_at: breaker.openedAt, open_until: breaker.openUntil, reason: breaker.reason }),
    )
    .execute();
}

/** Closes a breaker by hand (after a person reviewed what tripped it). */
export async function resetBreaker(db: Db, scope: string): Promise<boolean> {
  const result = await db.deleteFrom('circuit_breakers').where('scope', '=', scope).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listBreakers(db: Db): Promise<OpenBreaker[]> {
  const rows = await db.selectFrom('circuit_breakers').selectAll().orderBy('scope').execute();
  return rows.map((r) => ({
    scope: r.scope,
    openedAt: r.opened_at,
    openUntil: r.open_until,
    reason: r.reason,
  }));
}
