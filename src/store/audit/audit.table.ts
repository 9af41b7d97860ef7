import type { Selectable } from 'kysely';

export interface AuditLogTable {
  seq: number;
  at: number;
  actor_type: string;
  actor_id: string;
  actor_name: string;
  action: string;
  target_type: string;
  target_id: string;
  outcome: string;
  details: string;
  prev_hash: string;
  hash: string;
}

/** One row that holds the chain's tip; locking it serialises appends on PostgreSQL. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export type AuditLogRow = Selectable<AuditLogTable>;

export interface AuditTables {
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
}
