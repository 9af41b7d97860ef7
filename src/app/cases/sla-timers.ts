import { emptyMilestones } from '../../domain/cases/case-milestones.js';
import { computeSlaClocks } from '../../domain/cases/case-sla.js';
import { SYSTEM_ACTOR } from '../../domain/shared/actor.js';
import { findCaseById, hasSlaBreachEvent } from '../../store/cases/case.repository.js';
import { findCaseMilestones } from '../../store/cases/case-milestones.repository.js';
import { loadSlaPolicy } from '../../store/cases/sla-policy.repository.js';
import type { SlaCheckPayload } from '../../store/cases/sla-schedule.repository.js';
import type { JobHandler } from '../job-handlers.js';
import { recordCaseChange } from './case-command-support.js';

export { SLA_JOB_KIND, SLA_QUEUE } from '../../store/cases/sla-schedule.repository.js';

const isPayload = (p: unknown): p is SlaCheckPayload =>
  typeof p === 'object' &&
  p !== null &&
  typeof (p as SlaCheckPayload).caseId === 'string' &&
  typeof (p as SlaCheckPayload).clock === 'string' &&
  typeof (p as SlaCheckPayload).dueAt === 'number';

/**
 * Runs when an SLA clock falls due (queue `timers`, kind `case.sla_check`): if the clock is still running
 * by the case's milestones, `sla_breached` goes on the timeline and the audit log, once per clock and due
 * time. A clock stopped in time, a moved due time (severity or SLA policy changed) or a merged case ends the job quietly.
 */
export const slaCheckHandler: JobHandler = async (job, ctx) => {
  if (!isPayload(job.payload)) return { type: 'failed', error: 'payload is not {caseId, clock, dueAt}' };
  const { caseId, clock: clockName, dueAt } = job.payload;
  const now = ctx.clock.now();
  if (now < dueAt) return { type: 'retry', at: dueAt, error: 'claimed before its due time' };
  const deps = { newId: ctx.newId, dialect: ctx.store.dialect };
  const breached = await ctx.store.db.transaction().execute(async (trx) => {
    const kase = await findCaseById(trx, caseId);
    if (!kase || kase.mergedInto) return false;
    const clocks = computeSlaClocks(
      (await findCaseMilestones(trx, caseId)) ?? emptyMilestones(),
      await loadSlaPolicy(trx, kase.severity),
      now,
    );
    const clock = clocks.find((c) => c.name === clockName);
    if (!clock || clock.stoppedAt !== null || clock.dueAt !== dueAt || !clock.breached) return false;
    if (await hasSlaBreachEvent(trx, caseId, { clock: clockName, dueAt })) return false;
    await recordCaseChange(
      trx,
      deps,
      {
        caseId,
        type: 'sla_breached',
        actor: SYSTEM_ACTOR,
        data: { clock: clockName, dueAt, severity: kase.severity, overdueMs: now - dueAt },
        action: 'case.sla_breached',
      },
      now,
    );
    return true;
  });
  if (breached) await ctx.store.notifier.notify(`case:${caseId}`).catch(() => undefined);
  return { type: 'done' };
};
