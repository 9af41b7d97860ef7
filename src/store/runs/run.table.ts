import type { Selectable } from 'kysely';

export interface RunTable {
  id: string;
  playbook_id: string;
  version: number;
  status: string;
  /** The state's decision counter: a write that expects another seq lost a race and is retried. */
  seq: number;
  /** The reducer's RunState (JSON). */
  state: string;
  trigger_type: string;
  case_id: string | null;
  alert_id: string | null;
  parent_run_id: string | null;
  start_key: string | null;
  dry_run: number;
  requested_by: string;
  /** A worker executing this run's next step holds it until then. */
  lease_token: string | null;
  lease_until: number | null;
  error_code: string | null;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** Events for a run not yet applied (start, approvals, cancel, …): applied and deleted in one commit. */
export interface RunInboxTable {
  id: string;
  run_id: string;
  event: string;
  created_at: number;
}

/** One attempt of an action or case step, with inputs (secrets redacted) and outputs. */
export interface RunStepTable {
  id: string;
  run_id: string;
  step_id: string;
  step_path: string;
  attempt: number;
  kind: string;
  name: string;
  idempotency_key: string;
  status: string;
  input: string;
  output: string | null;
  output_ref: string | null;
  error_code: string | null;
  error_message: string | null;
  started_at: number;
  finished_at: number;
}

export interface RunBlobTable {
  id: string;
  run_id: string;
  content: string;
  size: number;
}

export interface RunEventTable {
  id: string;
  run_id: string;
  at: number;
  type: string;
  step_id: string | null;
  step_path: string | null;
  data: string;
}

export interface ApprovalTable {
  id: string;
  key: string;
  run_id: string;
  step_id: string;
  message: string;
  approvers: string;
  quorum: number;
  status: string;
  requested_by: string;
  escalated: number;
  deadline_at: number | null;
  created_at: number;
  decided_at: number | null;
  /** The action the approval lets run, and its rendered input (secrets redacted); null when unknown. */
  action: string | null;
  action_input: string | null;
}

export interface ApprovalDecisionTable {
  approval_id: string;
  actor_id: string;
  actor_name: string;
  decision: string;
  comment: string | null;
  at: number;
}

export interface ApprovalLinkUseTable {
  jti: string;
  approval_id: string;
  used_at: number;
}

export type RunRow = Selectable<RunTable>;
export type RunStepRow = Selectable<RunStepTable>;
export type RunEventRow = Selectable<RunEventTable>;
export type ApprovalRow = Selectable<ApprovalTable>;

export interface RunTables {
  runs: RunTable;
  run_inbox: RunInboxTable;
  run_steps: RunStepTable;
  run_blobs: RunBlobTable;
  run_events: RunEventTable;
  approvals: ApprovalTable;
  approval_decisions: ApprovalDecisionTable;
  approval_link_uses: ApprovalLinkUseTable;
}
