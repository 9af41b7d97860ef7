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

const mean = (values: readonly number[]): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

/**
 * MTTA, MTTC and MTTR from milestones read off the timeline: time from creation to the first
 * acknowledgement, the first containment and the (current) close.
 */
export function computeResponseMetrics(cases: readonly CaseMilestones[]): ResponseMetrics {
  const ack: number[] = [];
  const contain: number[] = [];
  const resolve: number[] = [];
  let falsePositives = 0;
  for (const m of cases) {
    if (m.createdAt === null) continue;
    if (m.acknowledgedAt !== null) ack.push(m.acknowledgedAt - m.createdAt);
    if (m.containedAt !== null) contain.push(m.containedAt - m.createdAt);
    if (m.resolvedAt !== null) {
      resolve.push(m.resolvedAt - m.createdAt);
      if (m.resolution === 'false_positive') falsePositives += 1;
    }
  }
  return {
    cases: cases.length,
    acknowledged: ack.length,
    contained: contain.length,
    closed: resolve.length,
    falsePositives,
    falsePositiveRate: resolve.length === 0 ? null : falsePositives / resolve.length,
    mttaMs: mean(ack),
    mttcMs: mean(contain),
    mttrMs: mean(resolve),
  };
}

/** Age buckets for open cases, as dashboards and Prometheus show them. */
export const AGE_BUCKETS = [
  { label: 'lt_1h', maxMs: 3_600_000 },
  { label: 'lt_1d', maxMs: 86_400_000 },
  { label: 'lt_7d', maxMs: 7 * 86_400_000 },
  { label: 'gte_7d', maxMs: Number.POSITIVE_INFINITY },
] as const;

export const ageBucketOf = (ageMs: number): string =>
  AGE_BUCKETS.find((b) => ageMs < b.maxMs)?.label ?? 'gte_7d';
