import { sql, type Kysely, type Transaction } from 'kysely';
import { isRole, type Role } from '../../governance/permissions.js';
import type { Database } from '../schema.js';
import type { UserRow } from './identity.table.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A user as the rest of Riposte sees it: never the password hash. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  roles: Role[];
  disabled: boolean;
  failedLogins: number;
  lockedUntil: number | null;
  mustChangePassword: boolean;
  oidcSubject: string | null;
  createdAt: number;
  lastLoginAt: number | null;
}

export const parseRoles = (json: string): Role[] => {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((r): r is Role => typeof r === 'string' && isRole(r)) : [];
};

export const userRowToUser = (row: UserRow): User => ({
  id: row.id,
  username: row.username,
  displayName: row.display_name,
  email: row.email,
  roles: parseRoles(row.roles),
  disabled: row.disabled === 1,
  failedLogins: row.failed_logins,
  lockedUntil: row.locked_until,
  mustChangePassword: row.must_change_password === 1,
  oidcSubject: row.oidc_subject,
  createdAt: row.created_at,
  lastLoginAt: row.last_login_at,
});

export interface NewUser {
  id: string;
  username: string;
  displayName: string;
  email?: string | null;
  passwordHash: string | null;
  roles: readonly Role[];
  mustChangePassword?: boolean;
  oidcSubject?: string | null;
}

export async function insertUser(db: Db, user: NewUser, now: number): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: user.id,
      username: user.username,
      display_name: user.displayName,
      email: user.email ?? null,
      password_hash: user.passwordHash,
      roles: JSON.stringify(user.roles),
      disabled: 0,
      failed_logins: 0,
      locked_until: null,
      must_change_password: user.mustChangePassword ? 1 : 0,
      oidc_subject: user.oidcSubject ?? null,
      created_at: now,
      updated_at: now,
      last_login_at: null,
    })
    .execute();
}

/**
 * The user of that name in any case: `Alice`, `alice` and `ALICE` are one person (the `users_username_lower`
 * index keeps it so). Both sides go through the store's `lower()`, the function that index is on.
 */
/** Outside printable ASCII: no user name holds it, and only ASCII folds alike in both stores. */
const NON_ASCII = /[^ -~]/;

export async function findUserRowByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  // PostgreSQL's lower() folds the Kelvin sign to k and İ to i, SQLite's folds only ASCII: `\u212Aate`
  // signed in as kate on one store and not the other.
  if (NON_ASCII.test(username)) return undefined;
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(username)`, '=', sql<string>`lower(${username})`)
    .executeTakeFirst();
}

export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && userRowToUser(row);
}

export async function findUserByOidcSubject(db: Db, subject: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('oidc_subject', '=', subject).executeTakeFirst();
  return row && userRowToUser(row);
}

export async function listUsers(db: Db): Promise<User[]> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .orderBy(sql`lower(username)`)
    .orderBy('username')
    .execute();
  return rows.map(userRowToUser);
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateUser(
  db: Db,
  id: string,
  changes: Partial<{
    disabled: boolean;
    failedLogins: number;
    lockedUntil: number | null;
    passwordHash: string;
    mustChangePassword: boolean;
    lastLoginAt: number;
    roles: readonly Role[];
  }>,
  now: number,
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      updated_at: now,
      ...(changes.disabled !== undefined && { disabled: changes.disabled ? 1 : 0 }),
      ...(changes.failedLogins !== undefined && { failed_logins: changes.failedLogins }),
      ...(changes.lockedUntil !== undefined && { locked_until: changes.lockedUntil }),
      ...(changes.passwordHash !== undefined && { password_hash: changes.passwordHash }),
      ...(changes.mustChangePassword !== undefined && {
        must_change_password: changes.mustChangePassword ? 1 : 0,
      }),
      ...(changes.lastLoginAt !== undefined && { last_login_at: changes.lastLoginAt }),
      ...(changes.roles !== undefined && { roles: JSON.stringify(changes.roles) }),
    })
    .where('id', '=', id)
    .execute();
}
