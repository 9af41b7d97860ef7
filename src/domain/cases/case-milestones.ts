import type { CaseStatus } from './case.js';
import type { CaseResolution } from './case-lifecycle.js';

/** The timeline facts the SLA clocks and the response metrics read: only creation and status changes. */
export interface LifecycleEvent {
  type: string;
  at: number;
  data: Record<string, unknown>;
}

/** When a case reached each milestone, derived from its timeline alone (never from hand-kept fields). */
export interface CaseMilestones {
  createdAt: number | null;
  /** First time it left `new`. */
  acknowledgedAt: number | null;
  /** First time it entered containment (or a later phase). */
  containedAt: number | null;
  /** Last close, when the case is closed now; null while open (a reopen restarts the resolve clock). */
  resolvedAt: number | null;
  resolution: CaseResolution | null;
  status: CaseStatus;
}

const CONTAINED = new Set(['containment', 'eradication', 'recovery']);

/** Reads milestones from events in timeline order. */
export function deriveMilestones(events: readonly LifecycleEvent[]): CaseMilestones {
  const m: CaseMilestones = {
    createdAt: null,
    acknowledgedAt: null,
    containedAt: null,
    resolvedAt: null,
    resolution: null,
    status: 'new',
  };
  for (const e of events) {
    if (e.type === 'case_created') {
      m.createdAt ??= e.at;
      continue;
    }
    if (e.type !== 'status_changed') continue;
    const to = e.data.to as CaseStatus;
    m.status = to;
    if (to !== 'new') m.acknowledgedAt ??= e.at;
    if (CONTAINED.has(to)) m.containedAt ??= e.at;
    if (to === 'closed') {
      m.resolvedAt = e.at;
      m.resolution = (e.data.resolution as CaseResolution | undefined) ?? null;
    } else {
      m.resolvedAt = null;
      m.resolution = null;
    }
  }
  return m;
}
