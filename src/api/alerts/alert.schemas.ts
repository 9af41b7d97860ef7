import { z } from 'zod';
import { CorrelationSchema, NormalizedAlertSchema } from '../../domain/alerts/alert.js';

export const AlertSummary = NormalizedAlertSchema.omit({ raw: true }).extend({
  id: z.string(),
  source: z.string(),
  fingerprint: z.string(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  count: z.number(),
  caseId: z.string().nullable(),
  correlation: CorrelationSchema.nullable(),
  createdAt: z.number(),
});

export const AlertDetail = AlertSummary.extend({ raw: z.unknown() });

export const AlertPage = z.object({ alerts: z.array(AlertSummary), nextCursor: z.string().nullable() });

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
  createdAt: z.number(),
  updatedAt: z.number(),
});

/** Credentials appear in this answer once and never again. */
export const SourceWithCredentials = z.object({
  source: SourceView,
  token: z.string().optional(),
  hmacSecret: z.string().optional(),
});
