import type { CaseMilestones } from './case-milestones.js';

/** Mean times (ms) over the cases that reached each milestone, and closure counts. */
export interface ResponseMetrics {
  cases: number;
  acknowledged: number;
  contained: number;
  closed: number;
  falsePositives: number;
  /** Share of closed cases closed as false positives; null with none closed. */
  falsePositiveRate: number | null;
  mttaMs: number | null;
  mttcMs: number | null;
  mttrMs: number | null;
}

/**
 * Sums over a set of cases from which the means follow: what a database can add up in one grouped query,
 * so a year of cases never has to leave it row by row.
 */
export interface ResponseTotals {
  cases: number;
  acknowledged: number;
  /** Sum of (acknowledged − created) over the acknowledged cases, ms. */
  acknowledgeMs: number;
  contained: number;
  containMs: number;
  closed: number;
  resolveMs: number;
  falsePositives: number;
}

export const emptyResponseTotals = (): ResponseTotals => ({
  cases: 0,
  acknowledged: 0,
  acknowledgeMs: 0,
  contained: 0,
  containMs: 0,
  closed: 0,
  resolveMs: 0,
  falsePositives: 0,
});

/** Adds one case's milestones to running totals. */
export function addToResponseTotals(t: ResponseTotals, m: CaseMilestones): ResponseTotals {
  const out = { ...t, cases: t.cases + 1 };
  if (m.createdAt === null) return out;
  if (m.acknowledgedAt !== null) {
    out.acknowledged += 1;
    out.acknowledgeMs += m.acknowledgedAt - m.createdAt;
  }
  if (m.containedAt !== null) {
    out.contained += 1;
    out.containMs += m.containedAt - m.createdAt;
  }
  if (m.resolvedAt !== null) {
    out.closed += 1;
    out.resolveMs += m.resolvedAt - m.createdAt;
    if (m.resolution === 'false_positive') out.falsePositives += 1;
  }
  return out;
}

const mean = (sum: number, n: number): number | null => (n === 0 ? null : sum / n);

/** MTTA, MTTC, MTTR and the false-positive rate from totals. */
export const responseMetricsFromTotals = (t: ResponseTotals): ResponseMetrics => ({
  cases: t.cases,
  acknowledged: t.acknowledged,
  contained: t.contained,
  closed: t.closed,
  falsePositives: t.falsePositives,
  falsePositiveRate: t.closed === 0 ? null : t.falsePositives / t.closed,
  mttaMs: mean(t.acknowledgeMs, t.acknowledged),
  mttcMs: mean(t.containMs, t.contained),
  mttrMs: mean(t.resolveMs, t.closed),
});

/**
 * MTTA, MTTC and MTTR from milestones read off the timeline: time from creation to the first
 * acknowledgement, the first containment and the (current) close.
 */
export const computeResponseMetrics = (cases: readonly CaseMilestones[]): ResponseMetrics =>
  responseMetricsFromTotals(cases.reduce(addToResponseTotals, emptyResponseTotals()));

/** Adds totals (groups into a grand total). */
export const sumResponseTotals = (list: readonly ResponseTotals[]): ResponseTotals =>
  list.reduce(
    (a, b) => ({
      cases: a.cases + b.cases,
      acknowledged: a.acknowledged + b.acknowledged,
      acknowledgeMs: a.acknowledgeMs + b.acknowledgeMs,
      contained: a.contained + b.contained,
      containMs: a.containMs + b.containMs,
      closed: a.closed + b.closed,
      resolveMs: a.resolveMs + b.resolveMs,
      falsePositives: a.falsePositives + b.falsePositives,
    }),
    emptyResponseTotals(),
  );

/** Age buckets for open cases, as dashboards and Prometheus show them. */
export const AGE_BUCKETS = [
  { label: 'lt_1h', maxMs: 3_600_000 },
  { label: 'lt_1d', maxMs: 86_400_000 },
  { label: 'lt_7d', maxMs: 7 * 86_400_000 },
  { label: 'gte_7d', maxMs: Number.POSITIVE_INFINITY },
] as const;

export const ageBucketOf = (ageMs: number): string =>
  AGE_BUCKETS.find((b) => ageMs < b.maxMs)?.label ?? 'gte_7d';
