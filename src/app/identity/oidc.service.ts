import type { AppContext } from '../context.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { createOidcClient, createPkce, type OidcClient } from '../../governance/identity/oidc-client.js';
import { generateSecret } from '../../governance/identity/secret-token.js';
import { appendAudit, recordAudit } from '../../store/audit/audit.repository.js';
import {
  deleteExpiredOidcLogins,
  insertOidcLogin,
  takeOidcLogin,
} from '../../store/identity/oidc-login.repository.js';
import {
  findUserByOidcSubject,
  findUserRowByUsername,
  insertUser,
  type User,
} from '../../store/identity/user.repository.js';
import { startSession, type SignedIn } from './sessions.service.js';

/** A sign-in must come back from the identity provider within ten minutes. */
const PENDING_TTL_MS = 10 * 60 * 1000;

/** The OpenID Connect client for this configuration, or undefined when OIDC is not configured. */
export function oidcClientOf(ctx: AppContext): OidcClient | undefined {
  const { oidcIssuer, oidcClientId, oidcClientSecret, oidcRedirectUrl } = ctx.config;
  if (!oidcIssuer || !oidcClientId || !oidcRedirectUrl) return undefined;
  return createOidcClient({
    issuer: oidcIssuer,
    clientId: oidcClientId,
    redirectUrl: oidcRedirectUrl,
    ...(oidcClientSecret ? { clientSecret: oidcClientSecret } : {}),
  });
}

/** Starts a sign-in: remembers state, nonce and PKCE verifier, and returns the provider URL to go to. */
export async function beginOidcLogin(ctx: AppContext, client: OidcClient): Promise<string> {
  const state = generateSecret();
  const nonce = generateSecret();
  const pkce = createPkce();
  const now = ctx.clock.now();
  await deleteExpiredOidcLogins(ctx.store.db, now);
  await insertOidcLogin(
    ctx.store.db,
    { state, nonce, codeVerifier: pkce.verifier, expiresAt: now + PENDING_TTL_MS },
    now,
  );
  return client.authorizationUrl({ state, nonce, codeChallenge: pkce.challenge });
}

/**
 * Finishes a sign-in: the state must be one we issued and not used, the ID token must verify. A person seen for
 * the first time gets an account with the `viewer` role only; an admin grants more.
 */
export async function completeOidcLogin(
  ctx: AppContext,
  client: OidcClient,
  input: { state: string; code: string; ip?: string },
): Promise<SignedIn> {
  const now = ctx.clock.now();
  const refuse = async (reason: string, err?: unknown): Promise<never> => {
    await recordAudit(
      ctx.store.db,
      ctx.store,
      {
        actor: { type: 'user', id: 'anonymous', name: 'anonymous' },
        action: 'auth.login_failed',
        target: { type: 'oidc', id: ctx.config.oidcIssuer ?? 'oidc' },
        outcome: 'denied',
        details: { reason, method: 'oidc', ip: input.ip },
      },
      now,
    );
    if (err instanceof RiposteError) throw err;
    throw new RiposteError('RIPOSTE_UNAUTHENTICATED', `OpenID Connect sign-in failed: ${reason}`);
  };
  const pending = await takeOidcLogin(ctx.store.db, input.state, now);
  if (!pending) return refuse('unknown, used or expired state');
  let identity;
  try {
    identity = await client.exchangeCode({
      code: input.code,
      codeVerifier: pending.codeVerifier,
      nonce: pending.nonce,
    });
  } catch (err) {
    return refuse(err instanceof Error ? err.message : 'code exchange failed', err);
  }
  let user = await findUserByOidcSubject(ctx.store.db, identity.subject);
  if (!user) user = await provisionOidcUser(ctx, identity);
  if (user.disabled) return refuse(`user ${user.username} is disabled`);
  return startSession(ctx, user, 'oidc');
}

async function provisionOidcUser(
  ctx: AppContext,
  identity: { subject: string; preferredUsername?: string; email?: string; name?: string },
): Promise<User> {
  const base = (identity.preferredUsername ?? identity.email ?? 'oidc-user')
    .toLowerCase()
    .replace(/[^a-z0-9._@-]/g, '-')
    .slice(0, 56);
  const now = ctx.clock.now();
  const id = ctx.newId();
  await ctx.store.db.transaction().execute(async (trx) => {
    let username = base.length >= 2 ? base : `user-${base}`;
    // A local user may already have the name: keep both apart.
    for (let n = 2; await findUserRowByUsername(trx, username); n += 1) username = `${base}-${n}`;
    await insertUser(
      trx,
      {
        id,
        username,
        displayName: identity.name ?? username,
        email: identity.email ?? null,
        passwordHash: null,
        roles: ['viewer'],
        oidcSubject: identity.subject,
      },
      now,
    );
    await appendAudit(
      trx,
      ctx.store,
      {
        actor: { type: 'system', id: 'oidc', name: 'OpenID Connect sign-in' },
        action: 'user.created',
        target: { type: 'user', id },
        details: { username, roles: ['viewer'], oidcSubject: identity.subject },
      },
      now,
    );
  });
  const created = await findUserByOidcSubject(ctx.store.db, identity.subject);
  if (!created) throw new RiposteError('RIPOSTE_INTERNAL', 'the new user was not found');
  return created;
}
