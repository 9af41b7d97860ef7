import type { AuditTables } from './audit/audit.table.js';
import type { CaseTables } from './cases/case.table.js';
import type { QueueTables } from './queue/job.table.js';

/**
 * Every table of the store, one interface per capability: row types follow the tables, and a query that
 * names a missing column does not compile.
 */
export type Database = QueueTables & AuditTables & CaseTables;
