import { RiposteError } from '../domain/shared/errors.js';
import { rolesAllow, type Permission } from './permissions.js';
import type { Principal } from './principal.js';

/**
 * The same check the HTTP hook makes, for application services and CLI commands that write: throws 403 when
 * the principal's roles do not grant the permission.
 */
export function assertAllowed(principal: Principal, permission: Permission): void {
  if (!rolesAllow(principal.roles, permission)) {
    throw new RiposteError(
      'RIPOSTE_FORBIDDEN',
      `${principal.name} may not do this: it needs the ${permission} permission`,
    );
  }
}

/** For source-scoped tokens (ingest): refuses a source the token was not issued for. */
export function assertSourceAllowed(principal: Principal, source: string): void {
  if (principal.sources && !principal.sources.includes(source)) {
    throw new RiposteError(
      'RIPOSTE_FORBIDDEN',
      `${principal.name} may only send for ${principal.sources.join(', ')}, not ${source}`,
    );
  }
}
