import type { Selectable } from 'kysely';
import type { CaseManagementTables } from './case-management.table.js';
import type { CaseProjectionTables } from './case-projection.table.js';

export interface CaseTable {
  id: string;
  number: number;
  title: string;
  description: string;
  severity: string;
  priority: number;
  status: string;
  resolution: string | null;
  assignee: string | null;
  /** JSON array of strings. */
  tags: string;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  merged_into: string | null;
  /** phishing, malware, vulnerability, account_compromise… (added by 0005). */
  case_type: string | null;
}

export interface CaseEventTable {
  id: string;
  case_id: string;
  at: number;
  type: string;
  actor_type: string;
  actor_id: string;
  actor_name: string;
  /** JSON object. */
  data: string;
}

/** Observables attached to a case (from its alerts or added by hand). */
export interface CaseObservableTable {
  case_id: string;
  observable_id: string;
  /** `alert` when it came with an alert, `manual` or `playbook` otherwise. */
  origin: string;
  added_at: number;
  /**
   * When an alert of this case carrying the observable was last seen (null while none has): what observable
   * correlation reads, one index walk per observable instead of a join over every alert that carried it.
   * Kept by ingest, repeats, merges and moves (`refreshCaseObservableSeen` is its definition).
   */
  last_seen: number | null;
}

/** Monotonic counters (case numbers) that stay unique under concurrent writers on both stores. */
export interface CounterTable {
  name: string;
  value: number;
}

export type CaseRow = Selectable<CaseTable>;
export type CaseEventRow = Selectable<CaseEventTable>;

export interface CaseTables extends CaseManagementTables, CaseProjectionTables {
  cases: CaseTable;
  case_events: CaseEventTable;
  case_observables: CaseObservableTable;
  counters: CounterTable;
}
