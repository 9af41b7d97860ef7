// Shapes of the playbook, run and approval answers (src/api/playbooks, src/api/runs, src/api/approvals).

export interface PlaybookSummary {
  id: string;
  name: string;
  activeVersion: number | null;
  latestVersion: number;
  updatedAt: number;
}

export interface PlaybookVersionSummary {
  version: number;
  sha256: string;
  createdAt: number;
  createdBy: string;
}

export interface PlaybookDetail extends PlaybookSummary {
  versions: PlaybookVersionSummary[];
}

export interface PlaybookVersion extends PlaybookVersionSummary {
  source: string;
}

export const RUN_STATUSES = ['running', 'waiting', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
export const TERMINAL_RUN_STATUSES: readonly string[] = ['succeeded', 'failed', 'cancelled'];

export interface Run {
  id: string;
  playbookId: string;
  version: number;
  status: string;
  triggerType: string;
  caseId: string | null;
  alertId: string | null;
  parentRunId: string | null;
  dryRun: boolean;
  errorCode: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface RunStep {
  stepId: string;
  stepPath: string;
  attempt: number;
  kind: string;
  name: string;
  status: string;
  input: unknown;
  output: unknown;
  error: { code: string; message: string } | null;
  startedAt: number;
  finishedAt: number;
}

export interface RunEvent {
  at: number;
  type: string;
  stepId: string | null;
  stepPath: string | null;
  data: unknown;
}

export interface RunDetail extends Run {
  output: unknown;
  error: unknown;
  steps: RunStep[];
  events: RunEvent[];
}

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'closed'] as const;

export interface Approval {
  id: string;
  runId: string;
  stepId: string;
  message: string;
  approvers: string[];
  quorum: number;
  status: string;
  escalated: boolean;
  deadlineAt: number | null;
  createdAt: number;
  decidedAt: number | null;
  /** The action the approval lets run (null for an approval step that guards no single action). */
  action: string | null;
  /** Its rendered input, secrets shown as ***. */
  input: Record<string, unknown> | null;
  /** Who started the run; they cannot approve it. */
  requestedBy: string;
}

export interface ApprovalDecided {
  status: string;
  approvals: number;
  quorum: number;
}
