import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { resolveApiToken } from '../../app/identity/api-tokens.service.js';
import { recordRefusal, resolveSession } from '../../app/identity/sessions.service.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { secretsEqual } from '../../governance/identity/secret-token.js';
import { createRateLimiter } from '../../governance/hardening/rate-limiter.js';
import type { Authenticator, RefusalRecorder } from './authorize.js';
import { CSRF_HEADER, SESSION_COOKIE, readCookie } from './cookies.js';
import { clientAddress } from '../client-address.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the caller: `Authorization: Bearer rpt_…` (an API token) or the session cookie. Bad, expired or
 * revoked credentials are 401. A cookie-authenticated unsafe request must carry the session's CSRF token in
 * `x-csrf-token` (synchronizer token), or it is 403. Ingest routes are rate limited per principal here, because
 * this is the one hook every request passes after its caller is known.
 */
export function createAuthenticator(ctx: AppContext): Authenticator {
  // Ingest may burst (a SIEM flushing its buffer, twice the rate) but one caller cannot flood the store.
  const perSecond = ctx.config.ingestRatePerSecond;
  const ingestLimiter =
    perSecond > 0
      ? createRateLimiter({ capacity: 2 * perSecond, perSecond, now: () => ctx.clock.now() })
      : undefined;
  return async (request) => {
    const principal = await resolveCaller(ctx, request);
    if (ingestLimiter && principal && request.routeOptions.config?.access === 'alerts:ingest') {
      const verdict = ingestLimiter.take(`${principal.kind}:${principal.id}`);
      if (!verdict.ok) {
        throw new RiposteError(
          'RIPOSTE_RATE_LIMITED',
          `over ${perSecond} ingest requests a second for this caller; retry in ${Math.ceil(verdict.retryAfterMs / 1000)} s`,
          { retryAfterMs: verdict.retryAfterMs },
        );
      }
    }
    return principal;
  };
}

async function resolveCaller(ctx: AppContext, request: FastifyRequest) {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      throw new RiposteError('RIPOSTE_UNAUTHENTICATED', 'the Authorization header must be `Bearer <token>`');
    }
    return resolveApiToken(ctx, match[1]);
  }
  const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
  if (!cookie) return null;
  const { principal, csrfToken, user } = await resolveSession(ctx, cookie);
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !secretsEqual(sent, csrfToken)) {
      request.principal = principal;
      throw new RiposteError(
        'RIPOSTE_FORBIDDEN',
        `this request needs the session's CSRF token in the ${CSRF_HEADER} header`,
      );
    }
  }
  // A one-time password only opens the door to changing it.
  const access = request.routeOptions.config?.access;
  if (user.mustChangePassword && access !== 'profile:read' && access !== 'profile:write') {
    request.principal = principal;
    throw new RiposteError(
      'RIPOSTE_FORBIDDEN',
      'change your one-time password first (POST /api/v1/auth/password)',
    );
  }
  return principal;
}

/** Puts every refused request in the audit log, with who (if known), what and why; changes nothing else. */
export function createRefusalRecorder(ctx: AppContext): RefusalRecorder {
  return async (request, status, reason) => {
    try {
      await recordRefusal(ctx, {
        principal: request.principal,
        status,
        reason,
        method: request.method,
        path: request.routeOptions.url ?? request.url.split('?')[0] ?? '',
        ip: clientAddress(request),
      });
    } catch (err) {
      // The refusal stands whether or not it could be recorded.
      request.log.error({ err }, 'could not record a refused request in the audit log');
    }
  };
}
