import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';
import type { ApiTokenRow } from './identity.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewApiToken {
  id: string;
  name: string;
  tokenHash: string;
  roles: readonly string[];
  sources: readonly string[] | null;
  createdBy: string;
  expiresAt: number | null;
}

export async function insertApiToken(db: Db, token: NewApiToken, now: number): Promise<void> {
  await db
    .insertInto('api_tokens')
    .values({
      id: token.id,
      name: token.name,
      token_hash: token.tokenHash,
      roles: JSON.stringify(token.roles),
      sources: token.sources ? JSON.stringify(token.sources) : null,
      created_by: token.createdBy,
      created_at: now,
      expires_at: token.expiresAt,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
}

export async function findApiTokenByHash(db: Db, tokenHash: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function findApiTokenById(db: Db, id: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listApiTokens(db: Db): Promise<ApiTokenRow[]> {
  return db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc').execute();
}

export async function revokeApiToken(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
