import type { AppContext } from '../context.js';
import { RiposteError, invalid, notFound } from '../../domain/shared/errors.js';
import { assertAllowed } from '../../governance/authorize-principal.js';
import {
  checkPasswordPolicy,
  generatePassword,
  hashPassword,
  verifyPassword,
} from '../../governance/identity/password.js';
import { isRole, type Role } from '../../governance/permissions.js';
import { actorOf, type Principal } from '../../governance/principal.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { revokeUserSessions } from '../../store/identity/session.repository.js';
import {
  countUsers,
  findUserById,
  findUserRowByUsername,
  insertUser,
  listUsers as listUserRows,
  updateUser,
  userRowToUser,
  type User,
} from '../../store/identity/user.repository.js';

export type { User } from '../../store/identity/user.repository.js';

// Either case: the name is shown as created, and compared in any case (see findUserRowByUsername).
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/;

export interface CreateUserInput {
  username: string;
  displayName?: string;
  email?: string;
  roles: readonly string[];
  /** Omit to generate a one-time password (returned once, to be changed at first sign-in). */
  password?: string;
}

function validateRoles(roles: readonly string[]): Role[] {
  const bad = roles.filter((r) => !isRole(r));
  if (roles.length === 0 || bad.length > 0) {
    throw invalid(bad.length ? `unknown role ${bad.join(', ')}` : 'a user needs at least one role', [
      {
        path: 'roles',
        message: 'one or more of admin, playbook_author, responder, approver, analyst, viewer',
      },
    ]);
  }
  if (roles.includes('ingest')) {
    throw invalid('ingest is for API tokens, not people', [
      { path: 'roles', message: 'use `riposte token create`' },
    ]);
  }
  return roles.filter(isRole);
}

/** Creates a local user (needs `users:admin`). Returns the generated one-time password when none was given. */
export async function createUser(
  ctx: AppContext,
  by: Principal,
  input: CreateUserInput,
): Promise<{ user: User; oneTimePassword?: string }> {
  assertAllowed(by, 'users:admin');
  const username = input.username.trim();
  if (!USERNAME.test(username)) {
    throw invalid(`username "${input.username}" is not allowed`, [
      { path: 'username', message: '2-64 characters: letters, digits, . _ @ -' },
    ]);
  }
  const roles = validateRoles(input.roles);
  const oneTimePassword = input.password === undefined ? generatePassword() : undefined;
  const password = input.password ?? (oneTimePassword as string);
  const problems = checkPasswordPolicy(password, username);
  if (problems.length) throw invalid('the password does not meet the policy', problems);
  const passwordHash = await hashPassword(password);
  const id = ctx.newId();
  const now = ctx.clock.now();
  const taken = (existing: string): RiposteError =>
    new RiposteError(
      'RIPOSTE_CONFLICT',
      existing === username
        ? `a user named ${username} already exists`
        : `a user named ${existing} already exists (user names do not differ by case alone)`,
    );
  try {
    await ctx.store.db.transaction().execute(async (trx) => {
      const existing = await findUserRowByUsername(trx, username);
      if (existing) throw taken(existing.username);
      await insertUser(
        trx,
        {
          id,
          username,
          displayName: input.displayName ?? username,
          email: input.email ?? null,
          passwordHash,
          roles,
          mustChangePassword: oneTimePassword !== undefined,
        },
        now,
      );
      await appendAudit(
        trx,
        ctx.store,
        {
          actor: actorOf(by),
          action: 'user.created',
          target: { type: 'user', id },
          details: { username, roles },
        },
        now,
      );
    });
  } catch (err) {
    // Another request made the same name, in some case, since the check: the unique index refused this one.
    const existing =
      err instanceof RiposteError ? undefined : await findUserRowByUsername(ctx.store.db, username);
    if (existing) throw taken(existing.username);
    throw err;
  }
  const user = await findUserById(ctx.store.db, id);
  if (!user) throw notFound('user', id);
  return oneTimePassword ? { user, oneTimePassword } : { user };
}

export async function listUsers(ctx: AppContext, by: Principal): Promise<User[]> {
  assertAllowed(by, 'users:read');
  return listUserRows(ctx.store.db);
}

/** Disables a user and ends their sessions; their past actions stay attributed to them. */
export async function disableUser(ctx: AppContext, by: Principal, username: string): Promise<User> {
  assertAllowed(by, 'users:admin');
  const now = ctx.clock.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    const row = await findUserRowByUsername(trx, username.trim());
    if (!row) throw notFound('user', username);
    if (row.id === by.id) throw new RiposteError('RIPOSTE_CONFLICT', 'you cannot disable your own account');
    await updateUser(trx, row.id, { disabled: true }, now);
    await revokeUserSessions(trx, row.id, now);
    await appendAudit(
      trx,
      ctx.store,
      {
        actor: actorOf(by),
        action: 'user.disabled',
        target: { type: 'user', id: row.id },
        details: { username: row.username },
      },
      now,
    );
    return { ...userRowToUser(row), disabled: true };
  });
}

/** Changes the caller's own password; the current one must be given. Ends their other sessions. */
export async function changeOwnPassword(
  ctx: AppContext,
  by: Principal,
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  assertAllowed(by, 'profile:write');
  const user = by.kind === 'user' ? await findUserById(ctx.store.db, by.id) : undefined;
  if (!user) throw new RiposteError('RIPOSTE_FORBIDDEN', 'only a signed-in user has a password');
  const row = await findUserRowByUsername(ctx.store.db, user.username);
  if (!row?.password_hash || !(await verifyPassword(row.password_hash, input.currentPassword))) {
    throw new RiposteError('RIPOSTE_FORBIDDEN', 'the current password is wrong');
  }
  const problems = checkPasswordPolicy(input.newPassword, user.username);
  if (problems.length) throw invalid('the new password does not meet the policy', problems);
  const passwordHash = await hashPassword(input.newPassword);
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateUser(trx, user.id, { passwordHash, mustChangePassword: false }, now);
    await appendAudit(
      trx,
      ctx.store,
      { actor: actorOf(by), action: 'user.password_changed', target: { type: 'user', id: user.id } },
      now,
    );
  });
}

/** The account the first start creates, when there is no user at all. */
export const BOOTSTRAP_ADMIN = 'admin';

/**
 * First start: creates `admin` with the password from RIPOSTE_ADMIN_PASSWORD, or a generated one-time
 * password returned here for the caller to print once. Does nothing when any user exists.
 */
export async function bootstrapAdmin(
  ctx: AppContext,
  options: { password?: string },
): Promise<{ created: false } | { created: true; oneTimePassword?: string }> {
  if ((await countUsers(ctx.store.db)) > 0) return { created: false };
  const system: Principal = {
    kind: 'system',
    id: 'bootstrap',
    name: 'riposte first start',
    roles: ['admin'],
  };
  try {
    const { oneTimePassword } = await createUser(ctx, system, {
      username: BOOTSTRAP_ADMIN,
      displayName: 'Administrator',
      roles: ['admin'],
      ...(options.password ? { password: options.password } : {}),
    });
    return oneTimePassword ? { created: true, oneTimePassword } : { created: true };
  } catch (err) {
    // Another process starting at the same moment created it first (a conflict, or the unique index).
    if ((await countUsers(ctx.store.db)) > 0) return { created: false };
    throw err;
  }
}
