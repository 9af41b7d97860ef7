import type { Transaction } from 'kysely';
import { deriveMilestones, type LifecycleEvent } from '../../domain/cases/case-milestones.js';
import { computeSlaClocks, runningClocks } from '../../domain/cases/case-sla.js';
import type { Severity } from '../../domain/shared/severity.js';
import { enqueueJob } from '../queue/queue.repository.js';
import type { Database } from '../schema.js';
import { loadSlaPolicy } from './sla-policy.repository.js';

export const SLA_QUEUE = 'timers';
export const SLA_JOB_KIND = 'case.sla_check';

export interface SlaCheckPayload {
  caseId: string;
  clock: string;
  dueAt: number;
}

/**
 * Puts a due-time row in the queue for each running SLA clock of a case, so a breach is raised when it happens
 * (by whichever worker is up), not by an in-process timer. The key names case, clock and due time: a changed
 * severity or a reopen schedules a new check, and scheduling the same one twice is a no-op.
 */
export async function scheduleSlaChecks(
  trx: Transaction<Database>,
  deps: { newId: () => string },
  input: { caseId: string; severity: Severity; events: readonly LifecycleEvent[]; createdAt?: number },
  now: number,
): Promise<number> {
  const events: LifecycleEvent[] = input.events.length
    ? [...input.events]
    : [{ type: 'case_created', at: input.createdAt ?? now, data: {} }];
  const policy = await loadSlaPolicy(trx, input.severity);
  const clocks = runningClocks(computeSlaClocks(deriveMilestones(events), policy, now));
  for (const clock of clocks) {
    const payload: SlaCheckPayload = { caseId: input.caseId, clock: clock.name, dueAt: clock.dueAt };
    await enqueueJob(
      trx,
      // Enqueueing takes no row locks, so the dialect's capabilities do not matter here.
      { dialect: { supportsRowLocks: false }, newId: deps.newId },
      {
        queue: SLA_QUEUE,
        kind: SLA_JOB_KIND,
        payload,
        runAt: Math.max(clock.dueAt, now),
        dedupeKey: `case.sla_check:${input.caseId}:${clock.name}:${clock.dueAt}`,
      },
      now,
    );
  }
  return clocks.length;
}
