import type { NormalizedAlert } from '../../src/domain/alerts/alert.js';

/**
 * A normalised alert for store tests: low severity, rule `ids` `r1`, no observables, time 0, with `over` on
 * top. Tests name only the fields their assertions read.
 */
export const testAlert = (over: Partial<NormalizedAlert> = {}): NormalizedAlert => ({
  classUid: 2004,
  time: 0,
  title: 'alert',
  description: null,
  severity: 'low',
  severityOriginal: null,
  category: null,
  origin: { product: 'ids', vendor: null, ruleId: 'r1', ruleName: null },
  sourceEventId: null,
  techniques: [],
  observables: [],
  raw: {},
  ...over,
});
