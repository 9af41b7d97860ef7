import { z } from 'zod';
import { Severity } from '../shared/severity.js';
import { ObservableSchema } from '../observables/observable.js';

/** The tool that raised the alert and the rule that fired (OCSF `metadata.product` + `finding_info.analytic`). */
export const AlertOriginSchema = z.object({
  product: z.string().nullable(),
  vendor: z.string().nullable(),
  ruleId: z.string().nullable(),
  ruleName: z.string().nullable(),
});
export type AlertOrigin = z.infer<typeof AlertOriginSchema>;

/**
 * The longest product, vendor or rule id mappers store (longer ones are clipped). Not in the schema: alerts
 * stored before the limit may hold longer ones and must still be read.
 */
export const MAX_ORIGIN_NAME = 256;

/**
 * The normalised alert, after OCSF's Detection Finding (class 2004): what every mapper produces, whatever
 * the tool. `raw` is the event exactly as received; everything else is derived from it.
 */
export const NormalizedAlertSchema = z.object({
  classUid: z.literal(2004),
  /** When the detection happened, ms since the epoch (the source's time, not ours). */
  time: z.number().int(),
  title: z.string().min(1).max(1000),
  description: z.string().max(20_000).nullable(),
  severity: z.enum(Severity),
  /** The source's own value, as text (`3`, `high`, `10`), so nothing is lost by the mapping. */
  severityOriginal: z.string().nullable(),
  category: z.string().nullable(),
  origin: AlertOriginSchema,
  /** The source's id for this event, when it has one: retries with the same id are not stored twice. */
  sourceEventId: z.string().max(512).nullable(),
  /** MITRE ATT&CK technique ids (T1110, T1564.001). */
  techniques: z.array(z.string()),
  observables: z.array(ObservableSchema),
  raw: z.unknown(),
});
export type NormalizedAlert = z.infer<typeof NormalizedAlertSchema>;

/** Why an alert went to its case: recorded on the alert so grouping is explainable. */
export const CorrelationSchema = z.object({
  decision: z.enum(['new_case', 'joined_case', 'duplicate']),
  reason: z.string(),
  rule: z.enum(['same_rule', 'shared_observable', 'fingerprint', 'none']),
  matched: z.array(z.object({ type: z.string(), value: z.string() })).optional(),
  windowMs: z.number().int().optional(),
  /**
   * The case the decision put the alert in. Where the alert is now may differ: an analyst moved it, or its
   * case was merged into another. Absent on alerts stored before it was recorded.
   */
  caseId: z.string().optional(),
});
export type Correlation = z.infer<typeof CorrelationSchema>;

/** A stored alert: the normalised fields plus what the pipeline decided. */
export interface Alert extends NormalizedAlert {
  id: string;
  /** The ingest source it came through (`suricata-dmz`, `syslog`, `api`). */
  source: string;
  fingerprint: string;
  firstSeen: number;
  lastSeen: number;
  /** How many times this fingerprint was seen within the de-duplication window. */
  count: number;
  caseId: string | null;
  correlation: Correlation | null;
  /**
   * The network address the alert was delivered from (a syslog sender, an HTTP client), or null when it was
   * read from a file or stored before Riposte recorded it.
   */
  receivedFrom: string | null;
  createdAt: number;
}
