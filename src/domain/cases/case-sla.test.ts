import { describe, expect, it } from 'vitest';
import { deriveMilestones, type LifecycleEvent } from './case-milestones.js';
import { computeSlaClocks, DEFAULT_SLA_POLICIES, runningClocks } from './case-sla.js';
import { ageBucketOf, computeResponseMetrics } from './response-metrics.js';

const MIN = 60_000;
const created = (at: number): LifecycleEvent => ({ type: 'case_created', at, data: {} });
const moved = (at: number, from: string, to: string, resolution?: string): LifecycleEvent => ({
  type: 'status_changed',
  at,
  data: { from, to, ...(resolution ? { resolution } : {}) },
});

describe('milestones from the timeline', () => {
  it('takes the first acknowledgement and containment, and the current close', () => {
    const m = deriveMilestones([
      created(0),
      { type: 'comment_added', at: 1 * MIN, data: {} },
      moved(5 * MIN, 'new', 'triage'),
      moved(10 * MIN, 'triage', 'containment'),
      moved(20 * MIN, 'containment', 'eradication'),
      moved(30 * MIN, 'eradication', 'recovery'),
      moved(40 * MIN, 'recovery', 'closed', 'resolved'),
    ]);
    expect(m).toEqual({
      createdAt: 0,
      acknowledgedAt: 5 * MIN,
      containedAt: 10 * MIN,
      resolvedAt: 40 * MIN,
      resolution: 'resolved',
      status: 'closed',
    });
  });

  it('clears the close when the case is reopened', () => {
    const m = deriveMilestones([
      created(0),
      moved(1, 'new', 'triage'),
      moved(2, 'triage', 'closed', 'benign'),
      moved(3, 'closed', 'triage'),
    ]);
    expect(m.resolvedAt).toBeNull();
    expect(m.resolution).toBeNull();
    expect(m.status).toBe('triage');
  });
});

describe('SLA clocks', () => {
  const policy = DEFAULT_SLA_POLICIES.critical; // 15 min / 4 h / 24 h

  it('runs every clock from creation and flags breaches at now', () => {
    const clocks = computeSlaClocks(deriveMilestones([created(1000)]), policy, 1000 + 20 * MIN);
    const ack = clocks.find((c) => c.name === 'acknowledge');
    expect(ack).toMatchObject({
      dueAt: 1000 + 15 * MIN,
      stoppedAt: null,
      breached: true,
      remainingMs: -5 * MIN,
    });
    expect(clocks.find((c) => c.name === 'contain')?.breached).toBe(false);
    expect(runningClocks(clocks)).toHaveLength(3);
  });

  it('stops clocks when their milestone is reached and keeps a late stop as breached', () => {
    const m = deriveMilestones([
      created(0),
      moved(20 * MIN, 'new', 'triage'),
      moved(30 * MIN, 'triage', 'containment'),
    ]);
    const clocks = computeSlaClocks(m, policy, 10 * 3_600_000);
    expect(clocks.find((c) => c.name === 'acknowledge')).toMatchObject({
      stoppedAt: 20 * MIN,
      breached: true,
    });
    expect(clocks.find((c) => c.name === 'contain')).toMatchObject({ stoppedAt: 30 * MIN, breached: false });
    expect(clocks.find((c) => c.name === 'resolve')).toMatchObject({ stoppedAt: null, breached: false });
  });

  it('stops the contain clock when a false positive is closed without containment', () => {
    const m = deriveMilestones([
      created(0),
      moved(MIN, 'new', 'triage'),
      moved(2 * MIN, 'triage', 'closed', 'false_positive'),
    ]);
    expect(runningClocks(computeSlaClocks(m, policy, 3 * MIN))).toEqual([]);
  });
});

describe('response metrics', () => {
  it('averages MTTA, MTTC, MTTR over the cases that reached each milestone', () => {
    const a = deriveMilestones([created(0), moved(10, 'new', 'triage'), moved(30, 'triage', 'containment')]);
    const b = deriveMilestones([
      created(100),
      moved(120, 'new', 'triage'),
      moved(200, 'triage', 'closed', 'false_positive'),
    ]);
    const c = deriveMilestones([created(1000)]);
    expect(computeResponseMetrics([a, b, c])).toEqual({
      cases: 3,
      acknowledged: 2,
      contained: 1,
      closed: 1,
      falsePositives: 1,
      falsePositiveRate: 1,
      mttaMs: 15,
      mttcMs: 30,
      mttrMs: 100,
    });
  });

  it('reports nulls, not zeros, when nothing reached a milestone', () => {
    expect(computeResponseMetrics([])).toMatchObject({ mttaMs: null, mttrMs: null, falsePositiveRate: null });
  });

  it('buckets open-case ages', () => {
    expect(ageBucketOf(0)).toBe('lt_1h');
    expect(ageBucketOf(3_600_000)).toBe('lt_1d');
    expect(ageBucketOf(30 * 86_400_000)).toBe('gte_7d');
  });
});
