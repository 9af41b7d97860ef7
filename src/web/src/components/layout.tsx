import type { ReactNode } from 'react';
import { useHasApi } from '../capabilities.js';
import { Link, useLocation } from '../router.js';
import { useSession } from '../session.js';

/** A console section; with `roles`, shown only to users holding one of them (the API refuses everyone else). */
interface Section {
  to: string;
  label: string;
  api: string;
  roles?: readonly string[];
}

/** Console sections, each shown only when the server has the API it reads. */
export const SECTIONS: readonly Section[] = [
  { to: '/alerts', label: 'Alerts', api: '/alerts' },
  { to: '/cases', label: 'Cases', api: '/cases' },
  { to: '/approvals', label: 'Approvals', api: '/approvals' },
  { to: '/playbooks', label: 'Playbooks', api: '/playbooks' },
  { to: '/runs', label: 'Runs', api: '/runs' },
  { to: '/connectors', label: 'Connectors', api: '/connectors' },
  { to: '/containments', label: 'Containments', api: '/containments' },
  { to: '/sources', label: 'Sources', api: '/sources', roles: ['admin'] },
  { to: '/metrics', label: 'Metrics', api: '/metrics/response' },
];

const mayUse = (section: Section, roles: readonly string[]): boolean =>
  !section.roles || section.roles.some((r) => roles.includes(r));

/** The console frame: left navigation, a top bar with the signed-in user, and the page. */
export function Layout({ children }: { children: ReactNode }) {
  const location = useLocation();
  const hasApi = useHasApi();
  const { session, signOut } = useSession();
  const me = session.status === 'signed-in' ? session.me : undefined;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/cases" className="brand">
          Riposte
        </Link>
        <div className="topbar-user">
          {me && (
            <span data-testid="signed-in-user">
              <Link to="/account" title="Your account">
                <strong>{me.name}</strong>
              </Link>{' '}
              <span className="muted">{me.roles.join(', ')}</span>
            </span>
          )}
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <nav className="sidenav" aria-label="Sections">
        <ul>
          {SECTIONS.filter((s) => hasApi?.(s.api) && mayUse(s, me?.roles ?? [])).map((s) => {
            const current =
              location === s.to || location.startsWith(`${s.to}/`) || location.startsWith(`${s.to}?`);
            return (
              <li key={s.to}>
                <Link to={s.to} aria-current={current ? 'page' : undefined}>
                  {s.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
