import { hostname, userInfo } from 'node:os';
import type { Principal } from '../../governance/principal.js';

/**
 * Who a CLI command acts as. Whoever can run the CLI on this machine can read the data directory or the
 * database URL anyway, so the CLI is a local admin; its writes still pass the same permission check and are
 * recorded in the audit log under this name (`cli:<os user>@<host>`), so they stay attributable.
 */
export function localAdminPrincipal(): Principal {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "unknown".
  }
  const name = `cli:${user}@${hostname()}`;
  return { kind: 'system', id: name, name, roles: ['admin'] };
}
