import { z } from 'zod';
import { CorrelationSchema, NormalizedAlertSchema } from '../../domain/alerts/alert.js';
import { SourceName } from '../../app/ingest/ingest-sources.js';
import { MAX_PREVIEW_ALERTS } from '../../app/ingest/preview-alerts.js';
import { CaseStatus } from '../../domain/cases/case.js';
import { GenericMapperConfig } from '../../ingest/mappers/generic.mapper.js';
import { MAPPER_NAMES } from '../../ingest/mappers/mapper-registry.js';
import { Severity } from '../../domain/shared/severity.js';

/** What an alert's answer shows of its case, so a page of alerts needs no read per case. */
export const AlertCase = z
  .object({
    id: z.string(),
    number: z.number().int(),
    title: z.string(),
    status: z.enum(Object.values(CaseStatus)),
    severity: z.enum(Severity),
  })
  .describe(
    'The case the alert is in (`caseId`): present only for callers who may read cases (cases:read), and ' +
      'absent when the alert is in no case',
  );

export const AlertSummary = NormalizedAlertSchema.omit({ raw: true }).extend({
  id: z.string(),
  source: z.string(),
  fingerprint: z.string(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  count: z.number(),
  caseId: z.string().nullable(),
  correlation: CorrelationSchema.nullable(),
  receivedFrom: z
    .string()
    .nullable()
    .describe(
      'The network address the alert was delivered from (the syslog sender or HTTP client; behind a trusted proxy, the client the proxy names), or null when read from a file',
    ),
  createdAt: z.number(),
  case: AlertCase.optional(),
});

export const AlertDetail = AlertSummary.extend({ raw: z.unknown() });

export const AlertPage = z.object({ alerts: z.array(AlertSummary), nextCursor: z.string().nullable() });

/** The most alerts one JSON body may hold (POST /alerts, a webhook); NDJSON streams any number. */
export const MAX_ALERTS_PER_BODY = 10_000;

const count = (n: number): string => n.toLocaleString('en-US');
const ALERTS_BODY_RULE =
  `send one alert (a JSON object) or an array of 1 to ${count(MAX_ALERTS_PER_BODY)} alerts ` +
  '(more as NDJSON, which is streamed)';
const alertsBodyProblem = (input: unknown): string =>
  Array.isArray(input)
    ? `the array holds ${count(input.length)} items: ${ALERTS_BODY_RULE}`
    : ALERTS_BODY_RULE;

/**
 * One alert or an array of them: the JSON body of POST /alerts and of a source's webhook. Every way it can
 * fail says the rule (a union alone answers "Invalid input").
 */
export const AlertsBody = z.union(
  [
    z.record(z.string(), z.unknown()),
    z
      .array(z.unknown())
      .min(1, { error: (issue) => alertsBodyProblem(issue.input) })
      .max(MAX_ALERTS_PER_BODY, { error: (issue) => alertsBodyProblem(issue.input) }),
  ],
  { error: (issue) => alertsBodyProblem(issue.input) },
);
export type AlertsBody = z.infer<typeof AlertsBody>;

export const ItemOutcome = z.object({
  index: z.number(),
  line: z.number().optional(),
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  alertId: z.string().optional(),
  caseId: z.string().nullable().optional(),
  caseCreated: z.boolean().optional(),
  reason: z.string().optional(),
  path: z.string().optional(),
});

/** The answer to an ingest call: sent only after every accepted alert is committed. */
export const IngestAnswer = z.object({
  accepted: z.number(),
  duplicates: z.number(),
  rejected: z.number(),
  casesCreated: z.number(),
  /** How many distinct cases the accepted alerts went to. */
  cases: z.number(),
  items: z.array(ItemOutcome),
});

export const NdjsonAnswer = z.object({
  accepted: z.number(),
  duplicates: z.number(),
  rejected: z.number(),
  casesCreated: z.number(),
  cases: z.number(),
  /** Rejected lines (the first 1,000), with why. */
  rejections: z.array(z.object({ line: z.number(), reason: z.string(), path: z.string().optional() })),
  rejectionsTruncated: z.boolean(),
});

export const SourceView = z.object({
  name: z.string(),
  description: z.string(),
  mapper: z.string(),
  mapperConfig: z.unknown(),
  enabled: z.boolean(),
  hasToken: z.boolean(),
  hasHmacSecret: z.boolean(),
  requireTimestamp: z.boolean(),
  /** Until when the credential rotated away still works beside the new one; null: none. */
  previousTokenExpiresAt: z.number().nullable(),
  previousHmacSecretExpiresAt: z.number().nullable(),
  /** When its newest alert was received (lists of sources only); null before its first. */
  lastAlertAt: z.number().nullable().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

/** Credentials appear in this answer once and never again. */
export const SourceWithCredentials = z.object({
  source: SourceView,
  token: z.string().optional(),
  hmacSecret: z.string().optional(),
});

export const PreviewBody = z
  .object({
    /** The source the alerts would come through (its mapper, and its alerts for repeats). */
    source: SourceName.default('api'),
    mapper: z.enum(MAPPER_NAMES).optional(),
    mapperConfig: GenericMapperConfig.optional(),
    /** JSON alerts, or syslog, CEF or LEEF lines as strings. */
    alerts: z.array(z.unknown()).min(1).max(MAX_PREVIEW_ALERTS),
  })
  .strict();

const PreviewedAlert = NormalizedAlertSchema.omit({ raw: true });

export const PreviewAnswer = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  casesOpened: z.number().int(),
  items: z.array(
    z.discriminatedUnion('status', [
      z.object({
        index: z.number().int(),
        status: z.literal('rejected'),
        reason: z.string(),
        path: z.string().optional(),
      }),
      z.object({
        index: z.number().int(),
        status: z.literal('accepted'),
        mapper: z.string(),
        alert: PreviewedAlert,
        fingerprint: z.string(),
        correlation: CorrelationSchema.describe(
          'The decision it would record; caseId only when it would join a case that exists',
        ),
        opensCase: z.boolean(),
        joinsCaseOpenedBy: z
          .number()
          .int()
          .optional()
          .describe('It would join the case that the item of this index opens'),
        case: AlertCase.optional(),
      }),
      z.object({
        index: z.number().int(),
        status: z.literal('duplicate'),
        mapper: z.string(),
        alert: PreviewedAlert,
        reason: z.enum(['source_event_id', 'fingerprint']),
        fingerprint: z.string(),
        alertId: z.string().optional(),
        caseId: z.string().nullable().optional(),
        repeatsItem: z.number().int().optional().describe('It repeats the item of this index'),
        case: AlertCase.optional(),
      }),
    ]),
  ),
});
