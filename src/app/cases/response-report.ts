import {
  responseMetricsFromTotals,
  sumResponseTotals,
  type ResponseMetrics,
} from '../../domain/cases/response-metrics.js';
import {
  countAlertsPerSource,
  countOpenCases,
  falsePositivesPerRule,
  loadResponseTotals,
} from '../../store/cases/case-metrics.repository.js';
import type { AppContext } from '../context.js';

export const ResponseGroupBy = ['none', 'severity', 'assignee', 'day', 'week'] as const;
export type ResponseGroupBy = (typeof ResponseGroupBy)[number];

export interface ResponseReport {
  from: number;
  to: number;
  groupBy: ResponseGroupBy;
  /** Metrics of the cases that were not merged into another; `merged` counts those that were. */
  total: ResponseMetrics & { merged: number };
  groups: Array<{ key: string; merged: number } & ResponseMetrics>;
  openCases: Array<{ severity: string; ageBucket: string; count: number }>;
  alertsPerSource: Array<{ source: string; count: number }>;
  falsePositivesPerRule: Array<{
    product: string | null;
    ruleId: string | null;
    ruleName: string | null;
    closed: number;
    falsePositives: number;
    rate: number | null;
  }>;
}

// Day and week keys arrive as the epoch ms of their first day; reports show the date.
const keyText = (key: string | number): string =>
  typeof key === 'number' ? new Date(key).toISOString().slice(0, 10) : key;

/**
 * Response metrics for cases created in [from, to) and not merged into another: MTTA, MTTC, MTTR per group,
 * open cases by severity and age, alerts per source and false-positive rates per rule. They read projections kept in step with the
 * event log (milestones) and with the stored alerts (daily counts), never hand-kept fields.
 */
export async function buildResponseReport(
  ctx: AppContext,
  input: { from: number; to: number; groupBy: ResponseGroupBy },
): Promise<ResponseReport> {
  const db = ctx.store.db;
  const range = { from: input.from, to: input.to };
  const [totals, openCases, alertsPerSource, fps] = await Promise.all([
    loadResponseTotals(db, range, input.groupBy),
    countOpenCases(db, ctx.clock.now()),
    countAlertsPerSource(db, range),
    falsePositivesPerRule(db, range),
  ]);
  return {
    ...input,
    total: {
      ...responseMetricsFromTotals(sumResponseTotals(totals.map((t) => t.totals))),
      merged: totals.reduce((n, t) => n + t.merged, 0),
    },
    groups: totals
      .map((t) => ({ key: keyText(t.key), ...responseMetricsFromTotals(t.totals), merged: t.merged }))
      .sort((a, b) => a.key.localeCompare(b.key)),
    openCases,
    alertsPerSource,
    falsePositivesPerRule: fps.map((f) => ({
      ...f,
      rate: f.closed === 0 ? null : f.falsePositives / f.closed,
    })),
  };
}
