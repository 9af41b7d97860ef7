import type { Selectable } from 'kysely';

export interface CaseTagTable {
  case_id: string;
  tag: string;
}

export interface CaseTaskTable {
  id: string;
  case_id: string;
  title: string;
  description: string;
  assignee: string | null;
  due_at: number | null;
  /** open, in_progress, done, cancelled. */
  state: string;
  template: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export interface CaseEvidenceTable {
  id: string;
  case_id: string;
  sha256: string;
  size: number;
  content_type: string;
  filename: string;
  description: string;
  storage: string;
  content: Buffer | null;
  created_at: number;
  created_by: string;
}

export interface CaseReviewTable {
  case_id: string;
  root_cause: string;
  lessons_learned: string;
  /** JSON array of `{ title, owner?, dueAt?, done }`. */
  follow_ups: string;
  updated_at: number;
  updated_by: string;
}

export interface ObservableVerdictTable {
  id: string;
  observable_type: string;
  observable_value: string;
  verdict: string;
  source: string;
  case_id: string | null;
  actor_id: string;
  at: number;
}

export type CaseTaskRow = Selectable<CaseTaskTable>;
export type CaseEvidenceRow = Selectable<CaseEvidenceTable>;
export type CaseReviewRow = Selectable<CaseReviewTable>;

export interface CaseManagementTables {
  case_tags: CaseTagTable;
  case_tasks: CaseTaskTable;
  case_evidence: CaseEvidenceTable;
  case_reviews: CaseReviewTable;
  observable_verdicts: ObservableVerdictTable;
}
