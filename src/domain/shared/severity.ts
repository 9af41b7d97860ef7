/** One severity scale for alerts and cases (OCSF's names); the source's own value is kept beside it. */
export const Severity = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof Severity)[number];

export const severityRank = (s: Severity): number => Severity.indexOf(s);

export const maxSeverity = (a: Severity, b: Severity): Severity =>
  severityRank(a) >= severityRank(b) ? a : b;
