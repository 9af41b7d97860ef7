import type { Actor } from '../shared/actor.js';
import type { Severity } from '../shared/severity.js';

/** NIST SP 800-61 phases, plus the closures an analyst can reach from triage. */
export const CaseStatus = {
  new: 'new',
  triage: 'triage',
  containment: 'containment',
  eradication: 'eradication',
  recovery: 'recovery',
  closed: 'closed',
} as const;
export type CaseStatus = (typeof CaseStatus)[keyof typeof CaseStatus];

export interface Case {
  id: string;
  number: number;
  title: string;
  description: string;
  severity: Severity;
  priority: number;
  status: CaseStatus;
  /** Why it closed: resolved, false_positive, benign, duplicate. */
  resolution: string | null;
  assignee: string | null;
  tags: string[];
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  mergedInto: string | null;
  /** Which task templates fit (phishing, malware…); null when not yet classified. */
  caseType: string | null;
}

/** One entry of a case's timeline: the single event log the UI, the SSE stream and the metrics read. */
export interface CaseEvent {
  id: string;
  caseId: string;
  at: number;
  type: string;
  actor: Actor;
  data: Record<string, unknown>;
}
