import type { QueueTables } from './queue/job.table.js';

/**
 * Every table of the store, one interface per capability: row types follow the tables, and a query that
 * names a missing column does not compile.
 */
export type Database = QueueTables;
