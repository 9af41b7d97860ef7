import { computeResponseMetrics, type ResponseMetrics } from '../../domain/cases/response-metrics.js';
import {
  countAlertsPerSource,
  countOpenCases,
  falsePositivesPerRule,
  loadMilestones,
  type CaseMilestoneRecord,
} from '../../store/cases/case-metrics.repository.js';
import type { AppContext } from '../context.js';

export const ResponseGroupBy = ['none', 'severity', 'assignee', 'day', 'week'] as const;
export type ResponseGroupBy = (typeof ResponseGroupBy)[number];

export interface ResponseReport {
  from: number;
  to: number;
  groupBy: ResponseGroupBy;
  total: ResponseMetrics;
  groups: Array<{ key: string } & ResponseMetrics>;
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

const DAY = 86_400_000;

const keyOf = (m: CaseMilestoneRecord, groupBy: ResponseGroupBy): string => {
  const created = m.createdAt ?? 0;
  switch (groupBy) {
    case 'severity':
      return m.severity;
    case 'assignee':
      return m.assignee ?? '(unassigned)';
    case 'day':
      return new Date(Math.floor(created / DAY) * DAY).toISOString().slice(0, 10);
    case 'week': {
      // Weeks start on Monday (ISO 8601); 1970-01-01 was a Thursday.
      const monday = Math.floor((created - 4 * DAY) / (7 * DAY)) * 7 * DAY + 4 * DAY;
      return new Date(monday).toISOString().slice(0, 10);
    }
    case 'none':
      return 'all';
  }
};

/**
 * Response metrics for cases created in [from, to), from the event log: MTTA, MTTC, MTTR per group, open
 * cases by severity and age, alerts per source and false-positive rates per rule.
 */
export async function buildResponseReport(
  ctx: AppContext,
  input: { from: number; to: number; groupBy: ResponseGroupBy },
): Promise<ResponseReport> {
  const db = ctx.store.db;
  const range = { from: input.from, to: input.to };
  const [milestones, openCases, alertsPerSource, fps] = await Promise.all([
    loadMilestones(db, range),
    countOpenCases(db, ctx.clock.now()),
    countAlertsPerSource(db, range),
    falsePositivesPerRule(db, range),
  ]);
  const groups = new Map<string, CaseMilestoneRecord[]>();
  for (const m of milestones) {
    const key = keyOf(m, input.groupBy);
    const list = groups.get(key);
    if (list) list.push(m);
    else groups.set(key, [m]);
  }
  return {
    ...input,
    total: computeResponseMetrics(milestones),
    groups: [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, list]) => ({ key, ...computeResponseMetrics(list) })),
    openCases,
    alertsPerSource,
    falsePositivesPerRule: fps.map((f) => ({
      ...f,
      rate: f.closed === 0 ? null : f.falsePositives / f.closed,
    })),
  };
}
