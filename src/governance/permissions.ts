/**
 * Roles and what each may do. This table is the single source for every endpoint's and every writing CLI
 * command's check, and for the permissions table in the docs.
 */
export const Permissions = [
  'alerts:read',
  'alerts:ingest',
  'alerts:write',
  'cases:read',
  'cases:write',
  'cases:close',
  'evidence:read',
  'evidence:write',
  'playbooks:read',
  'playbooks:write',
  'playbooks:publish',
  'runs:read',
  'runs:start',
  'runs:control',
  'approvals:read',
  'approvals:decide',
  'connectors:read',
  'connectors:write',
  'connectors:test',
  'containment:read',
  'containment:undo',
  'audit:read',
  'metrics:read',
  'users:read',
  'users:admin',
  'tokens:admin',
  'settings:admin',
  'profile:read',
  'profile:write',
] as const;
export type Permission = (typeof Permissions)[number];

export const Roles = [
  'admin',
  'playbook_author',
  'responder',
  'approver',
  'analyst',
  'viewer',
  'ingest',
] as const;
export type Role = (typeof Roles)[number];

/** What every person may do to their own account: see it, sign out, change their password. */
const self: Permission[] = ['profile:read', 'profile:write'];

const read: Permission[] = [
  ...self,
  'alerts:read',
  'cases:read',
  'evidence:read',
  'playbooks:read',
  'runs:read',
  'approvals:read',
  'connectors:read',
  'containment:read',
  'metrics:read',
];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: Permissions,
  playbook_author: [...read, 'playbooks:write', 'runs:start', 'connectors:test'],
  responder: [
    ...read,
    'alerts:write',
    'cases:write',
    'cases:close',
    'evidence:write',
    'runs:start',
    'runs:control',
    'containment:undo',
  ],
  approver: [...read, 'approvals:decide', 'playbooks:publish'],
  analyst: [...read, 'alerts:write', 'cases:write', 'cases:close', 'evidence:write', 'runs:start'],
  viewer: read,
  ingest: ['alerts:ingest'],
};

/** True when any of the roles grants the permission. */
export function rolesAllow(roles: readonly Role[], permission: Permission): boolean {
  return roles.some((role) => ROLE_PERMISSIONS[role].includes(permission));
}

export const isRole = (value: string): value is Role => (Roles as readonly string[]).includes(value);
