import type { AlertTables } from './alerts/alert.table.js';
import type { AuditTables } from './audit/audit.table.js';
import type { CaseTables } from './cases/case.table.js';
import type { ConnectorTables } from './connectors/connector.table.js';
import type { IdentityTables } from './identity/identity.table.js';
import type { PlaybookTables } from './playbooks/playbook.table.js';
import type { QueueTables } from './queue/job.table.js';
import type { RunTables } from './runs/run.table.js';

/**
 * Every table of the store, one interface per capability: row types follow the tables, and a query that
 * names a missing column does not compile.
 */
export type Database = IdentityTables &
  QueueTables &
  AuditTables &
  CaseTables &
  ConnectorTables &
  PlaybookTables &
  RunTables &
  AlertTables;
