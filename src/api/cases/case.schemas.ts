import { z } from 'zod';
import { CorrelationSchema } from '../../domain/alerts/alert.js';
import { CaseResolution } from '../../domain/cases/case-lifecycle.js';
import { CaseStatus } from '../../domain/cases/case.js';
import { CaseType } from '../../domain/cases/task-templates.js';
import { queryInteger } from '../query-integer.js';
import { ObservableType } from '../../domain/observables/observable.js';
import { Severity } from '../../domain/shared/severity.js';
import { decodeCaseCursor } from '../../store/cases/case-query.repository.js';
import { TaskState } from '../../store/cases/case-task.repository.js';

const STATUSES = Object.values(CaseStatus);

export const CaseParams = z.object({ id: z.string().min(1).max(64) }).strict();
export const CaseTaskParams = CaseParams.extend({ taskId: z.string().min(1).max(64) }).strict();
export const CaseEvidenceParams = CaseParams.extend({ evidenceId: z.string().min(1).max(64) }).strict();

const Tag = z.string().min(1).max(64);
const Actor = z.object({ type: z.enum(['user', 'token', 'system']), id: z.string(), name: z.string() });

export const CaseBody = z.object({
  id: z.string(),
  number: z.number().int(),
  title: z.string(),
  description: z.string(),
  severity: z.enum(Severity),
  priority: z.number().int(),
  status: z.enum(STATUSES),
  resolution: z.string().nullable(),
  assignee: z.string().nullable(),
  tags: z.array(z.string()),
  caseType: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  closedAt: z.number().nullable(),
  mergedInto: z.string().nullable(),
});

export const SlaClockBody = z.object({
  name: z.enum(['acknowledge', 'contain', 'resolve']),
  startedAt: z.number(),
  dueAt: z.number(),
  stoppedAt: z.number().nullable(),
  breached: z.boolean(),
  remainingMs: z.number().nullable(),
});

export const CaseDetailBody = CaseBody.extend({
  sla: z.array(SlaClockBody),
  allowedTransitions: z.array(z.enum(STATUSES)),
});

export const CasePageBody = z.object({ items: z.array(CaseBody), nextCursor: z.string().nullable() });

const csvOf = (values: readonly string[]) =>
  z
    .string()
    .max(200)
    .regex(
      new RegExp(`^(${values.join('|')})(,(${values.join('|')}))*$`),
      `comma-separated, each one of ${values.join(', ')}`,
    );

export const CaseListQuery = z
  .object({
    status: csvOf(STATUSES).optional(),
    severity: csvOf(Severity).optional(),
    assignee: z.string().min(1).max(200).optional(),
    tag: Tag.optional(),
    observable: z.string().min(1).max(2048).optional(),
    q: z.string().min(1).max(200).optional(),
    cursor: z
      .string()
      .max(200)
      .refine((cursor) => decodeCaseCursor(cursor) !== undefined, 'the nextCursor of an earlier page')
      .optional(),
    limit: queryInteger(1, 200).default(50),
  })
  .strict();

export const NewCaseBody = z
  .object({
    title: z.string().min(1).max(500),
    description: z.string().max(100_000).optional(),
    severity: z.enum(Severity),
    priority: z.number().int().min(1).max(5).optional(),
    assignee: z.string().min(1).max(200).nullable().optional(),
    tags: z.array(Tag).max(50).optional(),
    caseType: z.enum(CaseType).optional(),
  })
  .strict();

export const CasePatchBody = z
  .object({
    title: z.string().min(1).max(500).optional(),
    description: z.string().max(100_000).optional(),
    severity: z.enum(Severity).optional(),
    priority: z.number().int().min(1).max(5).optional(),
    assignee: z.string().min(1).max(200).nullable().optional(),
    tags: z.array(Tag).max(50).optional(),
    caseType: z.enum(CaseType).nullable().optional(),
  })
  .strict();

export const TransitionBody = z
  .object({
    to: z.enum(STATUSES),
    resolution: z.enum(CaseResolution).optional(),
    reason: z.string().min(1).max(2000).optional(),
  })
  .strict();

export const CaseEventBody = z.object({
  id: z.string(),
  caseId: z.string(),
  at: z.number(),
  type: z.string(),
  actor: Actor,
  data: z.record(z.string(), z.unknown()),
});

export const TimelineQuery = z
  .object({
    after: z.string().max(64).optional(),
    limit: queryInteger(1, 1000).default(200),
  })
  .strict();
export const TimelineBody = z.object({ items: z.array(CaseEventBody), nextAfter: z.string().nullable() });

export const TaskBody = z.object({
  id: z.string(),
  caseId: z.string(),
  title: z.string(),
  description: z.string(),
  assignee: z.string().nullable(),
  dueAt: z.number().nullable(),
  state: z.enum(TaskState),
  template: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  completedAt: z.number().nullable(),
});

export const NewTaskBody = z
  .object({
    title: z.string().min(1).max(500),
    description: z.string().max(20_000).optional(),
    assignee: z.string().min(1).max(200).nullable().optional(),
    dueAt: z.number().int().nullable().optional(),
  })
  .strict();

export const TaskPatchBody = z
  .object({
    title: z.string().min(1).max(500).optional(),
    description: z.string().max(20_000).optional(),
    assignee: z.string().min(1).max(200).nullable().optional(),
    dueAt: z.number().int().nullable().optional(),
    state: z.enum(TaskState).optional(),
  })
  .strict();

export const TemplateBody = z.object({ caseType: z.enum(CaseType) }).strict();
export const CommentBody = z.object({ body: z.string().min(1).max(100_000) }).strict();
export const MergeBody = z.object({ mergedId: z.string().min(1).max(64) }).strict();
export const MoveAlertBody = z.object({ alertId: z.string().min(1).max(64) }).strict();

export const VerdictBody = z
  .object({
    type: z.enum(ObservableType),
    value: z.string().min(1).max(2048),
    verdict: z.enum(['malicious', 'suspicious', 'benign', 'unknown']),
    source: z.string().min(1).max(200).default('analyst'),
  })
  .strict();

export const ObservableTagsBody = z
  .object({
    type: z.enum(ObservableType),
    value: z.string().min(1).max(2048),
    tags: z.array(Tag).max(50),
  })
  .strict();

export const CaseObservableBody = z.object({
  id: z.string(),
  type: z.string(),
  value: z.string(),
  verdict: z.string().nullable(),
  verdictSource: z.string().nullable(),
  tags: z.array(z.string()),
  origin: z.string(),
  addedAt: z.number(),
  otherCases: z.number().int(),
  /** Distinct alerts, in any case, that carry it. */
  alerts: z.number().int(),
  /** Distinct alerts of this case that carry it. */
  caseAlerts: z.number().int(),
});

/** The most alerts GET /cases/{id}/alerts answers; `x-total-count` says how many the case holds. */
export const CASE_ALERTS_LIMIT = 500;

export const CaseAlertBody = z.object({
  id: z.string(),
  title: z.string(),
  source: z.string(),
  severity: z.string(),
  time: z.number(),
  count: z.number().int(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  correlation: CorrelationSchema.nullable(),
});

export const EvidenceBody = z.object({
  id: z.string(),
  caseId: z.string(),
  sha256: z.string(),
  size: z.number().int(),
  contentType: z.string(),
  filename: z.string(),
  description: z.string(),
  storage: z.enum(['inline', 'file']),
  createdAt: z.number(),
  createdBy: z.string(),
});

export const EvidenceUploadQuery = z
  .object({
    filename: z
      .string()
      .min(1)
      .max(255)
      .refine(
        (name) => !/[/\\]/.test(name) && [...name].every((ch) => ch.charCodeAt(0) >= 0x20 && ch !== '\u007f'),
        'a file name without path separators or control characters',
      ),
    description: z.string().max(2000).optional(),
  })
  .strict();

const FollowUp = z
  .object({
    title: z.string().min(1).max(500),
    owner: z.string().max(200).optional(),
    dueAt: z.number().int().optional(),
    done: z.boolean().default(false),
  })
  .strict();

export const ReviewInputBody = z
  .object({
    rootCause: z.string().min(1).max(100_000),
    lessonsLearned: z.string().min(1).max(100_000),
    followUps: z.array(FollowUp).max(100).default([]),
  })
  .strict();

export const ReviewBody = z.object({
  caseId: z.string(),
  rootCause: z.string(),
  lessonsLearned: z.string(),
  followUps: z.array(
    z.object({
      title: z.string(),
      owner: z.string().optional(),
      dueAt: z.number().optional(),
      done: z.boolean(),
    }),
  ),
  updatedAt: z.number(),
  updatedBy: z.string(),
});
