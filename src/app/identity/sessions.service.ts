import type { AppContext } from '../context.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { afterFailedLogin, isLocked } from '../../governance/identity/lockout.js';
import { decoyPasswordHash, verifyPassword } from '../../governance/identity/password.js';
import { generateSecret, hashSecret } from '../../governance/identity/secret-token.js';
import { actorOf, type Principal } from '../../governance/principal.js';
import { appendAudit, recordAudit } from '../../store/audit/audit.repository.js';
import { findSession, insertSession, revokeSession } from '../../store/identity/session.repository.js';
import {
  findUserById,
  findUserRowByUsername,
  updateUser,
  userRowToUser,
  type User,
} from '../../store/identity/user.repository.js';

/** Sessions last a working day; signing in again is cheap, a stolen cookie should not be valuable for long. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface SignedIn {
  user: User;
  /** The cookie value; only its hash is stored. */
  sessionToken: string;
  /** Sent back in `x-csrf-token` on every unsafe request made with the cookie. */
  csrfToken: string;
  expiresAt: number;
}

const refused = (): RiposteError =>
  new RiposteError(
    'RIPOSTE_UNAUTHENTICATED',
    'wrong username or password, or the account is locked or disabled',
  );

export const userPrincipal = (user: User): Principal => ({
  kind: 'user',
  id: user.id,
  name: user.username,
  roles: user.roles,
});

/**
 * Signs in with a password. Every failure says the same thing to the caller (no username probing) and is
 * recorded in the audit log; repeated failures lock the account for a while.
 */
export async function login(
  ctx: AppContext,
  input: { username: string; password: string; ip?: string },
): Promise<SignedIn> {
  // Any case finds the account, so failures count against it (and lock it) whatever case they are typed in.
  const username = input.username.trim();
  const row = await findUserRowByUsername(ctx.store.db, username);
  const now = ctx.clock.now();
  const state = { failedLogins: row?.failed_logins ?? 0, lockedUntil: row?.locked_until ?? null };
  // Verify even for unknown or locked users so timing says nothing about which accounts exist.
  const passwordOk = await verifyPassword(row?.password_hash ?? (await decoyPasswordHash()), input.password);
  const reason = !row
    ? 'unknown user'
    : row.disabled === 1
      ? 'user disabled'
      : isLocked(state, now)
        ? 'account locked'
        : !row.password_hash
          ? 'user signs in through the identity provider'
          : !passwordOk
            ? 'wrong password'
            : undefined;
  const actor = row
    ? { type: 'user' as const, id: row.id, name: row.username }
    : { type: 'user' as const, id: 'anonymous', name: username.slice(0, 64) };
  if (reason) {
    await ctx.store.db.transaction().execute(async (trx) => {
      const details: Record<string, unknown> = { reason, ip: input.ip };
      if (row && reason === 'wrong password') {
        const next = afterFailedLogin(state, now);
        await updateUser(trx, row.id, next, now);
        details.failedLogins = next.failedLogins;
        if (next.lockedUntil !== null) details.lockedUntil = next.lockedUntil;
      }
      await appendAudit(
        trx,
        ctx.store,
        {
          actor,
          action: 'auth.login_failed',
          target: { type: 'user', id: actor.id },
          outcome: 'denied',
          details,
        },
        now,
      );
    });
    throw refused();
  }
  const user = userRowToUser(row as NonNullable<typeof row>);
  const sessionToken = generateSecret();
  const csrfToken = generateSecret();
  const expiresAt = now + SESSION_TTL_MS;
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateUser(trx, user.id, { failedLogins: 0, lockedUntil: null, lastLoginAt: now }, now);
    await insertSession(
      trx,
      { idHash: hashSecret(sessionToken), userId: user.id, csrfToken, expiresAt },
      now,
    );
    await appendAudit(
      trx,
      ctx.store,
      {
        actor,
        action: 'auth.login',
        target: { type: 'user', id: user.id },
        details: { method: 'password', ip: input.ip },
      },
      now,
    );
  });
  return {
    user: { ...user, failedLogins: 0, lockedUntil: null, lastLoginAt: now },
    sessionToken,
    csrfToken,
    expiresAt,
  };
}

/** Starts a session for a user already authenticated elsewhere (OpenID Connect). */
export async function startSession(ctx: AppContext, user: User, method: string): Promise<SignedIn> {
  const now = ctx.clock.now();
  const sessionToken = generateSecret();
  const csrfToken = generateSecret();
  const expiresAt = now + SESSION_TTL_MS;
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateUser(trx, user.id, { lastLoginAt: now }, now);
    await insertSession(
      trx,
      { idHash: hashSecret(sessionToken), userId: user.id, csrfToken, expiresAt },
      now,
    );
    await appendAudit(
      trx,
      ctx.store,
      {
        actor: actorOf(userPrincipal(user)),
        action: 'auth.login',
        target: { type: 'user', id: user.id },
        details: { method },
      },
      now,
    );
  });
  return { user, sessionToken, csrfToken, expiresAt };
}

export async function logout(ctx: AppContext, by: Principal, sessionToken: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    if (!(await revokeSession(trx, hashSecret(sessionToken), now))) return;
    await appendAudit(
      trx,
      ctx.store,
      { actor: actorOf(by), action: 'auth.logout', target: { type: 'user', id: by.id } },
      now,
    );
  });
}

/**
 * The principal behind a session cookie, and the session's CSRF token; throws 401 for an unknown, expired or
 * revoked session, or a user disabled since.
 */
export async function resolveSession(
  ctx: AppContext,
  sessionToken: string,
): Promise<{ principal: Principal; csrfToken: string; user: User }> {
  const session = await findSession(ctx.store.db, hashSecret(sessionToken));
  const now = ctx.clock.now();
  if (!session || session.revoked_at !== null || session.expires_at <= now) {
    throw new RiposteError('RIPOSTE_UNAUTHENTICATED', 'the session has ended: sign in again');
  }
  const user = await findUserById(ctx.store.db, session.user_id);
  if (!user || user.disabled) throw new RiposteError('RIPOSTE_UNAUTHENTICATED', 'the account is disabled');
  return { principal: userPrincipal(user), csrfToken: session.csrf_token, user };
}

/** The audit action of a refused request, by its status. */
const REFUSAL_ACTIONS: Record<number, string> = {
  401: 'auth.unauthenticated',
  403: 'auth.forbidden',
  // A request refused because of the state it met: a spent approval link, a second vote, a revoked token.
  409: 'request.conflict',
};

/**
 * Records a refusal that changed nothing else (a bad token, a missing CSRF token, a missing permission, a
 * token outside its sources, a tampered or spent approval link).
 */
export async function recordRefusal(
  ctx: AppContext,
  input: {
    principal: Principal | null;
    status: number;
    reason: string;
    method: string;
    path: string;
    ip?: string;
  },
): Promise<void> {
  const actor = input.principal
    ? actorOf(input.principal)
    : { type: 'user' as const, id: 'anonymous', name: 'anonymous' };
  await recordAudit(
    ctx.store.db,
    ctx.store,
    {
      actor,
      action: REFUSAL_ACTIONS[input.status] ?? 'auth.forbidden',
      target: { type: 'route', id: `${input.method} ${input.path}` },
      outcome: 'denied',
      details: { status: input.status, reason: input.reason, ip: input.ip },
    },
    ctx.clock.now(),
  );
}
