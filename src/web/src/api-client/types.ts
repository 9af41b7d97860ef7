// Shapes of the API's answers, mirroring the zod response schemas of the routes under src/api/.

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CASE_STATUSES = ['new', 'triage', 'containment', 'eradication', 'recovery', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Which resolutions each phase may close with (src/domain/cases/case-lifecycle.ts). */
export const CLOSE_RESOLUTIONS: Partial<Record<CaseStatus, readonly string[]>> = {
  triage: ['false_positive', 'benign', 'duplicate'],
  recovery: ['resolved'],
};

export const TASK_STATES = ['open', 'in_progress', 'done', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const VERDICTS = ['malicious', 'suspicious', 'benign', 'unknown'] as const;

export interface Me {
  kind: string;
  id: string;
  name: string;
  roles: string[];
  csrfToken?: string;
}

export interface SignedIn {
  user: { id: string; username: string; displayName: string; roles: string[]; mustChangePassword: boolean };
  csrfToken: string;
  expiresAt: number;
}

export interface Case {
  id: string;
  number: number;
  title: string;
  description: string;
  severity: Severity;
  priority: number;
  status: CaseStatus;
  resolution: string | null;
  assignee: string | null;
  tags: string[];
  caseType: string | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  mergedInto: string | null;
}

export interface SlaClock {
  name: 'acknowledge' | 'contain' | 'resolve';
  startedAt: number;
  dueAt: number;
  stoppedAt: number | null;
  breached: boolean;
  remainingMs: number | null;
}

export interface CaseDetail extends Case {
  sla: SlaClock[];
  allowedTransitions: CaseStatus[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Actor {
  type: 'user' | 'token' | 'system';
  id: string;
  name: string;
}

export interface CaseEvent {
  id: string;
  caseId: string;
  at: number;
  type: string;
  actor: Actor;
  data: Record<string, unknown>;
}

export interface Task {
  id: string;
  caseId: string;
  title: string;
  description: string;
  assignee: string | null;
  dueAt: number | null;
  state: TaskState;
  createdAt: number;
  completedAt: number | null;
}

export interface CaseObservable {
  id: string;
  type: string;
  value: string;
  verdict: string | null;
  verdictSource: string | null;
  origin: string;
  addedAt: number;
  otherCases: number;
  /** Distinct alerts, in any case, that carry it. */
  alerts: number;
  /** Distinct alerts of this case that carry it. */
  caseAlerts: number;
}

export interface Evidence {
  id: string;
  caseId: string;
  sha256: string;
  size: number;
  contentType: string;
  filename: string;
  description: string;
  createdAt: number;
  createdBy: string;
}

/** Why an alert went to its case, as ingest decided it (src/domain/alerts/alert.ts). */
export interface Correlation {
  decision: 'new_case' | 'joined_case' | 'duplicate';
  reason: string;
  rule: 'same_rule' | 'shared_observable' | 'fingerprint' | 'none';
  matched?: Array<{ type: string; value: string }>;
  windowMs?: number;
  /** The case the decision put the alert in; absent on alerts stored before it was recorded. */
  caseId?: string;
}

export interface CaseAlert {
  id: string;
  title: string;
  source: string;
  severity: Severity;
  time: number;
  count: number;
  firstSeen: number;
  lastSeen: number;
  correlation: Correlation | null;
}

/** GET /cases/{id}/alerts: the newest alerts, and how many the case holds (header `x-total-count`). */
export interface CaseAlertList {
  items: CaseAlert[];
  total: number;
}

export interface Observable {
  type: string;
  value: string;
  role: string;
  scope?: string;
}

export interface AlertOrigin {
  product: string | null;
  vendor: string | null;
  ruleId: string | null;
  ruleName: string | null;
}

/** An alert's case as its answer carries it (`case`): only for callers who may read cases. */
export interface AlertCase {
  id: string;
  number: number;
  title: string;
  status: CaseStatus;
  severity: Severity;
}

/** A case named on a page by its number: a case read, or an alert's `case`; `mergedInto` only when read. */
export type NamedCase = Pick<Case, 'number' | 'title'> & { mergedInto?: string | null };

export interface Alert {
  id: string;
  /** When the source detected it (the event's own time). */
  time: number;
  title: string;
  description: string | null;
  severity: Severity;
  severityOriginal: string | null;
  category: string | null;
  origin: AlertOrigin;
  sourceEventId: string | null;
  techniques: string[];
  observables: Observable[];
  source: string;
  fingerprint: string;
  /** The first and last time its fingerprint was seen; `count` sightings in all. */
  firstSeen: number;
  lastSeen: number;
  count: number;
  caseId: string | null;
  correlation: Correlation | null;
  /** The network address it was delivered from (syslog sender, HTTP client); null when read from a file. */
  receivedFrom: string | null;
  /** When Riposte stored it: the list's order. */
  createdAt: number;
  /** The case `caseId` names, when the caller may read cases. */
  case?: AlertCase;
}

/** GET /alerts/{id}: the alert with its raw event as the text the API sent, never re-serialised. */
export interface AlertDetail extends Alert {
  /** The raw event's JSON text as stored (a text line is a JSON string). */
  rawText: string | undefined;
}

export interface AlertPage {
  alerts: Alert[];
  nextCursor: string | null;
}

export interface ResponseMetrics {
  cases: number;
  acknowledged: number;
  contained: number;
  closed: number;
  falsePositives: number;
  falsePositiveRate: number | null;
  mttaMs: number | null;
  mttcMs: number | null;
  mttrMs: number | null;
}

export interface ResponseReport {
  from: number;
  to: number;
  /** `merged`: cases merged into another, left out of every other figure. */
  total: ResponseMetrics & { merged: number };
  openCases: Array<{ severity: string; ageBucket: string; count: number }>;
  alertsPerSource: Array<{ source: string; count: number }>;
}
