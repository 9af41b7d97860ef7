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

/** A signed statement that the chain up to `seq` ended in `hash` (Ed25519 over `seq|hash|at`). */
export interface AuditCheckpointTable {
  seq: number;
  hash: string;
  at: number;
  key_id: string;
  /** base64url Ed25519 signature. */
  signature: string;
}

/** A run of entries moved out of the table into an archive file; the chain continues from `last_hash`. */
export interface AuditSegmentTable {
  from_seq: number;
  to_seq: number;
  /** The hash the segment's first entry links to. */
  prev_hash: string;
  last_hash: string;
  /** File name (in the archive directory) of the NDJSON entries. */
  file: string;
  /** SHA-256 of the archive file. */
  file_sha256: string;
  archived_at: number;
}

export type AuditLogRow = Selectable<AuditLogTable>;
export type AuditCheckpointRow = Selectable<AuditCheckpointTable>;
export type AuditSegmentRow = Selectable<AuditSegmentTable>;

export interface AuditTables {
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointTable;
  audit_segments: AuditSegmentTable;
}
