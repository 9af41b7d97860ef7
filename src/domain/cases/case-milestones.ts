import type { CaseStatus } from './case.js';
import type { CaseResolution } from './case-lifecycle.js';

/** The timeline facts the SLA clocks and the response metrics read: only creation and status changes. */
export interface LifecycleEvent {
  type: string;
  at: number;
  data: Record<string, unknown>;
}

/** Timeline event types that move milestones; every other event leaves them as they are. */
export const LIFECYCLE_EVENT_TYPES = ['case_created', 'status_changed'] as const;

export const isLifecycleEventType = (type: string): boolean =>
  (LIFECYCLE_EVENT_TYPES as readonly string[]).includes(type);

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

/** Milestones of a case before its first event. */
export const emptyMilestones = (): CaseMilestones => ({
  createdAt: null,
  acknowledgedAt: null,
  containedAt: null,
  resolvedAt: null,
  resolution: null,
  status: 'new',
});

/**
 * One step of the fold: the milestones after `e`. The store applies it event by event as the log grows, and
 * `deriveMilestones` applies it from scratch; both give the same answer because this is the only rule.
 */
export function applyLifecycleEvent(m: CaseMilestones, e: LifecycleEvent): CaseMilestones {
  if (e.type === 'case_created') return { ...m, createdAt: m.createdAt ?? e.at };
  if (e.type !== 'status_changed') return m;
  const to = e.data.to as CaseStatus;
  const closed = to === 'closed';
  return {
    createdAt: m.createdAt,
    acknowledgedAt: to !== 'new' ? (m.acknowledgedAt ?? e.at) : m.acknowledgedAt,
    containedAt: CONTAINED.has(to) ? (m.containedAt ?? e.at) : m.containedAt,
    resolvedAt: closed ? e.at : null,
    resolution: closed ? ((e.data.resolution as CaseResolution | undefined) ?? null) : null,
    status: to,
  };
}

/** Reads milestones from events in timeline order. */
export const deriveMilestones = (events: readonly LifecycleEvent[]): CaseMilestones =>
  events.reduce(applyLifecycleEvent, emptyMilestones());
