import type { Severity } from '../shared/severity.js';
import type { CaseMilestones } from './case-milestones.js';

export const SlaClockName = ['acknowledge', 'contain', 'resolve'] as const;
export type SlaClockName = (typeof SlaClockName)[number];

/** Time allowed, per clock, from the case's creation. */
export type SlaPolicy = Record<SlaClockName, number>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Defaults after common SOC targets; deployments may hand in their own table. */
export const DEFAULT_SLA_POLICIES: Record<Severity, SlaPolicy> = {
  critical: { acknowledge: 15 * MINUTE, contain: 4 * HOUR, resolve: 24 * HOUR },
  high: { acknowledge: 30 * MINUTE, contain: 8 * HOUR, resolve: 72 * HOUR },
  medium: { acknowledge: 4 * HOUR, contain: 24 * HOUR, resolve: 7 * 24 * HOUR },
  low: { acknowledge: 24 * HOUR, contain: 72 * HOUR, resolve: 30 * 24 * HOUR },
  info: { acknowledge: 72 * HOUR, contain: 30 * 24 * HOUR, resolve: 90 * 24 * HOUR },
};

export interface SlaClock {
  name: SlaClockName;
  startedAt: number;
  dueAt: number;
  /** When the clock's goal was met (or became moot); null while it runs. */
  stoppedAt: number | null;
  breached: boolean;
  /** Time left (negative once overdue); null when stopped. */
  remainingMs: number | null;
}

/**
 * Each SLA clock of a case at `now`. The contain clock also stops when the case closes without containment
 * (a false positive has nothing to contain).
 */
export function computeSlaClocks(milestones: CaseMilestones, policy: SlaPolicy, now: number): SlaClock[] {
  const start = milestones.createdAt;
  if (start === null) return [];
  const stops: Record<SlaClockName, number | null> = {
    acknowledge: milestones.acknowledgedAt,
    contain: milestones.containedAt ?? milestones.resolvedAt,
    resolve: milestones.resolvedAt,
  };
  return SlaClockName.map((name) => {
    const dueAt = start + policy[name];
    const stoppedAt = stops[name];
    return {
      name,
      startedAt: start,
      dueAt,
      stoppedAt,
      breached: (stoppedAt ?? now) > dueAt,
      remainingMs: stoppedAt === null ? dueAt - now : null,
    };
  });
}

/** Clocks that are still running, with their due times: where a timer row belongs. */
export const runningClocks = (clocks: readonly SlaClock[]): SlaClock[] =>
  clocks.filter((c) => c.stoppedAt === null);

/** The SLA policy of every severity. */
export type SlaPolicies = Record<Severity, SlaPolicy>;

/** Longest target a policy may set: beyond a year a clock tells nobody anything. */
export const MAX_SLA_MS = 365 * 24 * HOUR;

/**
 * Problems with a policy (paths relative to the severity): each target is a positive whole number of ms up
 * to a year, and the clocks nest, acknowledge ≤ contain ≤ resolve, since each milestone implies the ones
 * before it.
 */
export function slaPolicyProblems(policy: SlaPolicy): Array<{ path: SlaClockName; message: string }> {
  const out: Array<{ path: SlaClockName; message: string }> = [];
  for (const name of SlaClockName) {
    const v = policy[name];
    if (!Number.isInteger(v) || v <= 0 || v > MAX_SLA_MS) {
      out.push({ path: name, message: `must be a whole number of ms between 1 and ${MAX_SLA_MS}` });
    }
  }
  if (out.length > 0) return out;
  if (policy.contain < policy.acknowledge) {
    out.push({
      path: 'contain',
      message: `${policy.contain} is shorter than acknowledge (${policy.acknowledge})`,
    });
  }
  if (policy.resolve < policy.contain) {
    out.push({ path: 'resolve', message: `${policy.resolve} is shorter than contain (${policy.contain})` });
  }
  return out;
}
