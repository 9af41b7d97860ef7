import { Permissions, ROLE_PERMISSIONS, Roles, rolesAllow, type Permission } from './permissions.js';

export interface RouteAccessRow {
  method: string;
  url: string;
  access: Permission | 'public';
}

const ROLE_NOTES: Record<(typeof Roles)[number], string> = {
  admin: 'everything, including users, tokens, settings and break-glass approvals',
  playbook_author: 'writes playbooks and tests them; cannot publish them or approve their actions',
  responder: 'works cases and runs, contains and undoes containment',
  approver: 'decides approvals and publishes playbook versions',
  analyst: 'triages alerts and works cases, starts runs',
  viewer: 'reads everything but the audit log and settings',
  ingest: 'API tokens that only send alerts (optionally for named sources)',
};

/**
 * The permissions page of the docs, generated from ROLE_PERMISSIONS and the routes' declared access, so the
 * docs say exactly what the code enforces (a test keeps docs/permissions.md current).
 */
export function renderPermissionsDoc(routes: readonly RouteAccessRow[]): string {
  const lines: string[] = [
    '# Roles and permissions',
    '',
    "<!-- Generated from src/governance/permissions.ts and the routes' `config.access`; do not edit by hand.",
    '     Regenerate: UPDATE_PERMISSIONS_DOC=1 npx vitest run test/governance/route-permissions.test.ts -->',
    '',
    'Every endpoint declares one permission (or `public`), checked in one place before the request body is read;',
    'CLI commands that write (`riposte user`, `token`, `audit`) make the same check as a local admin: whoever can',
    'run the CLI on the host can read the data directory or the database URL anyway. They are recorded in the audit',
    'log under `cli:<os user>@<host>`. A session signed in with a one-time password may only change that password.',
    '',
    '## Roles',
    '',
    '| role | for |',
    '|---|---|',
    ...Roles.map((r) => `| \`${r}\` | ${ROLE_NOTES[r]} |`),
    '',
    '## Permissions by role',
    '',
    `| permission | ${Roles.join(' | ')} |`,
    `|---|${Roles.map(() => ':-:').join('|')}|`,
    ...Permissions.map(
      (p) => `| \`${p}\` | ${Roles.map((r) => (ROLE_PERMISSIONS[r].includes(p) ? '✓' : '')).join(' | ')} |`,
    ),
    '',
    '## Endpoints',
    '',
    `| method | path | permission | ${Roles.join(' | ')} |`,
    `|---|---|---|${Roles.map(() => ':-:').join('|')}|`,
  ];
  const sorted = [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
  for (const route of sorted) {
    const cells = Roles.map((r) => (route.access === 'public' || rolesAllow([r], route.access) ? '✓' : ''));
    lines.push(`| ${route.method} | \`${route.url}\` | \`${route.access}\` | ${cells.join(' | ')} |`);
  }
  lines.push('');
  return lines.join('\n');
}
