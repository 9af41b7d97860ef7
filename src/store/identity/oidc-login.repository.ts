import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertOidcLogin(
  db: Db,
  login: { state: string; codeVerifier: string; nonce: string; expiresAt: number },
  now: number,
): Promise<void> {
  await db
    .insertInto('oidc_logins')
    .values({
      state: login.state,
      code_verifier: login.codeVerifier,
      nonce: login.nonce,
      created_at: now,
      expires_at: login.expiresAt,
    })
    .execute();
}

/** Takes a pending sign-in by its state, once: a replayed callback finds nothing. */
export async function takeOidcLogin(
  db: Db,
  state: string,
  now: number,
): Promise<{ codeVerifier: string; nonce: string } | undefined> {
  const row = await db.selectFrom('oidc_logins').selectAll().where('state', '=', state).executeTakeFirst();
  if (!row) return undefined;
  const deleted = await db.deleteFrom('oidc_logins').where('state', '=', state).executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0 || row.expires_at <= now) return undefined;
  return { codeVerifier: row.code_verifier, nonce: row.nonce };
}

/** Forgets sign-ins that were started and never finished. */
export async function deleteExpiredOidcLogins(db: Db, now: number): Promise<void> {
  await db.deleteFrom('oidc_logins').where('expires_at', '<=', now).execute();
}
