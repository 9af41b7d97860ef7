import { ErrorBoundary } from './components/error-boundary.js';
import { Layout } from './components/layout.js';
import { ApprovalsPage } from './pages/approvals-page.js';
import { PlaybookDetailPage, PlaybooksPage } from './pages/playbooks-page.js';
import { RunDetailPage } from './pages/run-detail-page.js';
import { RunsPage } from './pages/runs-page.js';
import { SourcesPage } from './pages/sources-page.js';
import { AccountPage } from './pages/account-page.js';
import { AlertDetailPage } from './pages/alert-detail-page.js';
import { AlertsPage } from './pages/alerts-page.js';
import { CaseDetailPage } from './pages/case-detail-page.js';
import { CasesPage } from './pages/cases-page.js';
import { ConnectorsPage } from './pages/connectors-page.js';
import { ContainmentsPage } from './pages/containments-page.js';
import { LoginPage } from './pages/login-page.js';
import { MetricsPage } from './pages/metrics-page.js';
import { matchPath, Redirect, useLocation } from './router.js';
import { SessionProvider, useSession } from './session.js';

function Page({ location }: { location: string }) {
  const path = location.split('?')[0] ?? '/';
  const kase = matchPath('/cases/:id', path);
  if (kase?.id) return <CaseDetailPage id={kase.id} />;
  if (path === '/cases') return <CasesPage location={location} />;
  if (path === '/alerts') return <AlertsPage location={location} />;
  const alert = matchPath('/alerts/:id', path);
  if (alert?.id) return <AlertDetailPage id={alert.id} />;
  if (path === '/metrics') return <MetricsPage />;
  if (path === '/connectors') return <ConnectorsPage />;
  if (path === '/sources') return <SourcesPage />;
  if (path === '/containments') return <ContainmentsPage location={location} />;
  if (path === '/account') return <AccountPage location={location} />;
  if (path === '/approvals') return <ApprovalsPage location={location} />;
  if (path === '/playbooks') return <PlaybooksPage />;
  const playbook = matchPath('/playbooks/:id', path);
  if (playbook?.id) return <PlaybookDetailPage id={playbook.id} />;
  if (path === '/runs') return <RunsPage location={location} />;
  const run = matchPath('/runs/:id', path);
  if (run?.id) return <RunDetailPage id={run.id} />;
  return (
    <section>
      <h1>Not found</h1>
      <p>There is no page at {path}.</p>
    </section>
  );
}

function Routes() {
  const location = useLocation();
  const { session } = useSession();
  if (session.status === 'loading') return <p className="loading-screen">Loading…</p>;
  if (location.startsWith('/login')) return <LoginPage location={location} />;
  if (session.status === 'signed-out') {
    // Remember where the user was going, so signing in lands there.
    return <Redirect to={`/login?next=${encodeURIComponent(location)}`} />;
  }
  if (location === '/' || location === '') return <Redirect to="/cases" />;
  return (
    <Layout>
      <ErrorBoundary resetKey={location}>
        <Page location={location} />
      </ErrorBoundary>
    </Layout>
  );
}

/** The Riposte console: the pages an analyst works in. */
export function App() {
  const location = useLocation();
  // The page's own boundary keeps the navigation; this one catches the frame, the session and sign-in.
  return (
    <ErrorBoundary resetKey={location}>
      <SessionProvider>
        <Routes />
      </SessionProvider>
    </ErrorBoundary>
  );
}
