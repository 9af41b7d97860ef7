import type { AppContext } from '../context.js';
import { RiposteError, invalid, notFound } from '../../domain/shared/errors.js';
import { assertAllowed } from '../../governance/authorize-principal.js';
import { generateApiToken, hashSecret, API_TOKEN_PREFIX } from '../../governance/identity/secret-token.js';
import { isRole, type Role } from '../../governance/permissions.js';
import { actorOf, type Principal } from '../../governance/principal.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import {
  findApiTokenByHash,
  findApiTokenById,
  insertApiToken,
  listApiTokens as listTokenRows,
  revokeApiToken as revokeTokenRow,
} from '../../store/identity/api-token.repository.js';
import type { ApiTokenRow } from '../../store/identity/identity.table.js';
import { parseRoles } from '../../store/identity/user.repository.js';

/** A token as listed: never the token or its hash. */
export interface ApiTokenInfo {
  id: string;
  name: string;
  roles: Role[];
  sources: string[] | null;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

const tokenRowToInfo = (row: ApiTokenRow): ApiTokenInfo => ({
  id: row.id,
  name: row.name,
  roles: parseRoles(row.roles),
  sources: row.sources === null ? null : (JSON.parse(row.sources) as string[]),
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

export interface CreateApiTokenInput {
  name: string;
  roles: readonly string[];
  /** Sources an ingest token may send for; omit for any. */
  sources?: readonly string[];
  /** Lifetime; omit for a token that does not expire. */
  expiresInMs?: number;
}

/** Creates an API token (needs `tokens:admin`). The token is in the result and nowhere else, ever. */
export async function createApiToken(
  ctx: AppContext,
  by: Principal,
  input: CreateApiTokenInput,
): Promise<{ token: string; info: ApiTokenInfo }> {
  assertAllowed(by, 'tokens:admin');
  const name = input.name.trim();
  if (!name || name.length > 100)
    throw invalid('a token needs a name of 1-100 characters', [{ path: 'name', message: 'required' }]);
  const bad = input.roles.filter((r) => !isRole(r));
  if (input.roles.length === 0 || bad.length) {
    throw invalid(bad.length ? `unknown role ${bad.join(', ')}` : 'a token needs at least one role', [
      { path: 'roles', message: 'one or more role names' },
    ]);
  }
  // Nobody hands out more than they hold.
  const roles = input.roles.filter(isRole);
  if (!by.roles.includes('admin')) {
    const beyond = roles.filter((r) => !by.roles.includes(r));
    if (beyond.length) throw new RiposteError('RIPOSTE_FORBIDDEN', `you do not hold ${beyond.join(', ')}`);
  }
  if (input.expiresInMs !== undefined && !(input.expiresInMs > 0)) {
    throw invalid('expiry must be in the future', [{ path: 'expiresInMs', message: 'a positive duration' }]);
  }
  const now = ctx.clock.now();
  const token = generateApiToken();
  const id = ctx.newId();
  const sources = input.sources && input.sources.length ? [...input.sources] : null;
  const expiresAt = input.expiresInMs !== undefined ? now + input.expiresInMs : null;
  await ctx.store.db.transaction().execute(async (trx) => {
    await insertApiToken(
      trx,
      { id, name, tokenHash: hashSecret(token), roles, sources, createdBy: by.id, expiresAt },
      now,
    );
    await appendAudit(
      trx,
      ctx.store,
      {
        actor: actorOf(by),
        action: 'token.created',
        target: { type: 'api_token', id },
        details: { name, roles, sources, expiresAt },
      },
      now,
    );
  });
  return {
    token,
    info: { id, name, roles, sources, createdBy: by.id, createdAt: now, expiresAt, revokedAt: null },
  };
}

export async function listApiTokens(ctx: AppContext, by: Principal): Promise<ApiTokenInfo[]> {
  assertAllowed(by, 'tokens:admin');
  return (await listTokenRows(ctx.store.db)).map(tokenRowToInfo);
}

export async function revokeApiToken(ctx: AppContext, by: Principal, id: string): Promise<ApiTokenInfo> {
  assertAllowed(by, 'tokens:admin');
  const now = ctx.clock.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    const row = await findApiTokenById(trx, id);
    if (!row) throw notFound('API token', id);
    if (!(await revokeTokenRow(trx, id, now))) {
      throw new RiposteError('RIPOSTE_CONFLICT', `API token ${id} was already revoked`);
    }
    await appendAudit(
      trx,
      ctx.store,
      {
        actor: actorOf(by),
        action: 'token.revoked',
        target: { type: 'api_token', id },
        details: { name: row.name },
      },
      now,
    );
    return { ...tokenRowToInfo(row), revokedAt: now };
  });
}

/** The principal of a bearer token; 401 for an unknown, expired or revoked one. */
export async function resolveApiToken(ctx: AppContext, token: string): Promise<Principal> {
  if (!token.startsWith(API_TOKEN_PREFIX)) {
    throw new RiposteError('RIPOSTE_UNAUTHENTICATED', 'that is not a Riposte API token');
  }
  const row = await findApiTokenByHash(ctx.store.db, hashSecret(token));
  if (!row) throw new RiposteError('RIPOSTE_UNAUTHENTICATED', 'unknown API token');
  if (row.revoked_at !== null)
    throw new RiposteError('RIPOSTE_UNAUTHENTICATED', `API token ${row.name} was revoked`);
  if (row.expires_at !== null && row.expires_at <= ctx.clock.now()) {
    throw new RiposteError('RIPOSTE_UNAUTHENTICATED', `API token ${row.name} has expired`);
  }
  const info = tokenRowToInfo(row);
  return {
    kind: 'token',
    id: info.id,
    name: `token:${info.name}`,
    roles: info.roles,
    ...(info.sources ? { sources: info.sources } : {}),
  };
}
