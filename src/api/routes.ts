import { alertsRoutes } from './alerts/alerts.routes.js';
import { hecRoutes } from './alerts/hec.routes.js';
import { auditRoutes } from './audit/audit.routes.js';
import { identityRoutes } from './identity/identity.routes.js';
import { caseRoutes } from './cases/cases.routes.js';
import { connectorRoutes } from './connectors/connectors.routes.js';
import { metricsRoutes } from './metrics/metrics.routes.js';
import { approvalRoutes } from './approvals/approvals.routes.js';
import { playbookRoutes } from './playbooks/playbooks.routes.js';
import type { RoutePlugin } from './route-plugin.js';
import { runRoutes } from './runs/runs.routes.js';

/**
 * The capabilities served under /api/v1, one plugin each. Adding a capability's HTTP API is one line here.
 * `prefix` places one elsewhere: a protocol other tools call at fixed paths (Splunk HEC at the root).
 */
export const API_ROUTES: ReadonlyArray<{ name: string; plugin: RoutePlugin; prefix?: string }> = [
  { name: 'alerts', plugin: alertsRoutes },
  { name: 'hec', plugin: hecRoutes, prefix: '' },
  { name: 'identity', plugin: identityRoutes },
  { name: 'audit', plugin: auditRoutes },
  { name: 'cases', plugin: caseRoutes },
  { name: 'metrics', plugin: metricsRoutes },
  { name: 'playbooks', plugin: playbookRoutes },
  { name: 'runs', plugin: runRoutes },
  { name: 'approvals', plugin: approvalRoutes },
  { name: 'connectors', plugin: connectorRoutes },
];
