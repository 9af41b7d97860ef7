import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RiposteError } from '../../domain/shared/errors.js';
import { rolesAllow, type Permission } from '../../governance/permissions.js';
import type { Principal } from '../../governance/principal.js';

/** Who is asking: null when the request carries no credentials; throws 401 on bad ones. */
export type Authenticator = (request: FastifyRequest) => Promise<Principal | null>;

/** A route's access rule: a permission, or `public` for health checks and the API docs. */
export type RouteAccess = Permission | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route declares this; a route without it is refused (deny by default). */
    access?: RouteAccess;
    /**
     * The handler puts its own refusals in the audit log, with more to say than the status (sign-in records
     * `auth.login_failed` with the reason and the lockout), so the generic record would be a duplicate.
     */
    recordsOwnRefusals?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The statuses that mean "refused": not signed in, not allowed, or not now (a spent link, a double vote). */
export type RefusalStatus = 401 | 403 | 409;
const REFUSAL_STATUSES: ReadonlySet<number> = new Set<RefusalStatus>([401, 403, 409]);

/** Called when a request is refused, so governance can put it in the audit log. */
export type RefusalRecorder = (
  request: FastifyRequest,
  status: RefusalStatus,
  reason: string,
) => Promise<void>;

/**
 * One check for every endpoint: authenticate, then test the route's declared permission against the
 * principal's roles. Runs before the body is read, so a refused request costs nothing and changes nothing.
 */
export function registerAuthorization(
  app: FastifyInstance,
  authenticate: Authenticator,
  onRefused?: RefusalRecorder,
): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access;
    // Unknown URLs fall through to the 404 handler.
    if (!request.routeOptions.url) return;
    if (access === 'public') return;
    if (!access) {
      request.log.error({ url: request.routeOptions.url }, 'route declares no access rule; refusing');
      throw new RiposteError('RIPOSTE_FORBIDDEN', 'this route declares no access rule');
    }
    const principal = await authenticate(request);
    if (!principal) {
      throw new RiposteError(
        'RIPOSTE_UNAUTHENTICATED',
        'sign in or send an API token (Authorization: Bearer …)',
      );
    }
    request.principal = principal;
    if (!rolesAllow(principal.roles, access)) {
      throw new RiposteError(
        'RIPOSTE_FORBIDDEN',
        `${principal.name} may not do this: it needs the ${access} permission`,
      );
    }
  });
  // One place records every refusal, whether this hook refused the caller or a handler did later (a token
  // sending for a source outside its scope, a tampered or spent approval link, separation of duties). Handlers
  // refuse inside their transaction, so the refused request has changed nothing but this entry.
  if (onRefused) {
    app.addHook('onError', async (request, _reply, error) => {
      if (!request.routeOptions.url || request.routeOptions.config?.recordsOwnRefusals) return;
      if (!(error instanceof RiposteError) || !REFUSAL_STATUSES.has(error.status)) return;
      await onRefused(request, error.status as RefusalStatus, error.message);
    });
  }
}

/** The principal of an authorised request; routes behind a permission always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new RiposteError('RIPOSTE_UNAUTHENTICATED', 'no principal on this request');
  return request.principal;
}
