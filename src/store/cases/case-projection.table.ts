import type { Selectable } from 'kysely';

/**
 * Per-case milestones, a projection of the lifecycle events in `case_events`: written in the transaction that
 * appends each event, and rebuildable from the log (`rebuildCaseMilestones`). Metrics read this, never
 * hand-kept fields.
 */
export interface CaseMilestoneTable {
  case_id: string;
  created_at: number;
  acknowledged_at: number | null;
  contained_at: number | null;
  /** Set while the case is closed (the last close); cleared by a reopen. */
  resolved_at: number | null;
  resolution: string | null;
  status: string;
  /** The case's labels, copied from its row with each event that may change them (metrics group by them). */
  severity: string;
  assignee: string | null;
}

/** Alerts per source per UTC day (by the alert's `time`), kept where alerts are stored. */
export interface AlertSourceDayTable {
  /** UTC midnight, epoch ms. */
  day: number;
  source: string;
  alerts: number;
}

/**
 * Alerts per detection rule, case and UTC day: what the false-positive rate per rule needs without reading
 * every alert. A missing product or rule id is stored as '' (key columns cannot be null on PostgreSQL).
 */
export interface AlertCaseRuleDayTable {
  day: number;
  case_id: string;
  product: string;
  rule_id: string;
  rule_name: string | null;
  alerts: number;
}

/** Configured SLA targets per severity; severities without a row use the built-in defaults. */
export interface SlaPolicyTable {
  severity: string;
  acknowledge_ms: number;
  contain_ms: number;
  resolve_ms: number;
  updated_at: number;
  updated_by: string;
}

/**
 * The searchable words of each case (title, description, comments), kept in step with them; the store's
 * full-text index over `body` (FTS5 table `case_search_fts`, or the tsvector column `document`) is
 * maintained by the database itself.
 */
export interface CaseSearchTable {
  case_id: string;
  body: string;
}

export type CaseMilestoneRow = Selectable<CaseMilestoneTable>;

export interface CaseProjectionTables {
  case_milestones: CaseMilestoneTable;
  alert_source_days: AlertSourceDayTable;
  alert_case_rule_days: AlertCaseRuleDayTable;
  sla_policies: SlaPolicyTable;
  case_search: CaseSearchTable;
}
