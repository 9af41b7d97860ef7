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
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Called when a request is refused, so governance can put it in the audit log. */
export type RefusalRecorder = (request: FastifyRequest, status: 401 | 403, reason: string) => Promise<void>;

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
    let principal: Principal | null;
    try {
      principal = await authenticate(request);
    } catch (err) {
      if (err instanceof RiposteError && (err.status === 401 || err.status === 403)) {
        await onRefused?.(request, err.status, err.message);
      }
      throw err;
    }
    if (!principal) {
      await onRefused?.(request, 401, 'no credentials');
      throw new RiposteError(
        'RIPOSTE_UNAUTHENTICATED',
        'sign in or send an API token (Authorization: Bearer …)',
      );
    }
    request.principal = principal;
    if (!rolesAllow(principal.roles, access)) {
      await onRefused?.(request, 403, `lacks ${access}`);
      throw new RiposteError(
        'RIPOSTE_FORBIDDEN',
        `${principal.name} may not do this: it needs the ${access} permission`,
      );
    }
  });
}

/** The principal of an authorised request; routes behind a permission always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new RiposteError('RIPOSTE_UNAUTHENTICATED', 'no principal on this request');
  return request.principal;
}
