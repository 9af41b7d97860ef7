import { isDeepStrictEqual } from 'node:util';
import { slaPolicyProblems, type SlaPolicies, type SlaPolicy } from '../../domain/cases/case-sla.js';
import type { Actor } from '../../domain/shared/actor.js';
import { RiposteError } from '../../domain/shared/errors.js';
import type { Severity } from '../../domain/shared/severity.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { rescheduleOpenCaseSlaChecks } from '../../store/cases/sla-schedule.repository.js';
import {
  loadSlaPolicies,
  saveSlaPolicy,
  type StoredSlaPolicies,
} from '../../store/cases/sla-policy.repository.js';
import type { AppContext } from '../context.js';

export interface SlaPoliciesView extends StoredSlaPolicies {
  /** Open cases whose breach checks were rescheduled by this change (absent on reads). */
  rescheduled?: number;
}

/** The SLA policy of every severity, and which ones are configured rather than built in. */
export const getSlaPolicies = (ctx: AppContext): Promise<SlaPoliciesView> => loadSlaPolicies(ctx.store.db);

/**
 * Sets the policies of the severities given (the others stay as they are), audited with before and after
 * for those it changed (none changed: no audit entry).
 * A policy applies to every clock, running ones included, because due times are always computed from the
 * case's creation with the policy in force: in the same transaction each open case of a changed severity
 * gets a due-time row for its new due times, and checks queued for the old ones end quietly when they fall
 * due. Breaches already raised stay on the timelines.
 */
export async function updateSlaPolicies(
  ctx: AppContext,
  input: Partial<SlaPolicies>,
  actor: Actor,
  /** Where the input came from, for the paths of problems: the API's `body.`, nothing for a CLI file. */
  pathPrefix = 'body.',
): Promise<SlaPoliciesView> {
  const changes = Object.entries(input) as Array<[Severity, SlaPolicy]>;
  const problems = changes.flatMap(([severity, policy]) =>
    slaPolicyProblems(policy).map((p) => ({
      path: `${pathPrefix}${severity}.${p.path}`,
      message: p.message,
    })),
  );
  if (problems.length > 0) {
    throw new RiposteError(
      'RIPOSTE_VALIDATION',
      `invalid SLA policy: ${problems[0]?.path} ${problems[0]?.message}`,
      {
        details: problems,
      },
    );
  }
  const deps = { newId: ctx.newId, dialect: ctx.store.dialect };
  return ctx.store.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const before = await loadSlaPolicies(trx);
    const changed = changes.filter(
      ([severity, policy]) => !isDeepStrictEqual(before.policies[severity], policy),
    );
    for (const [severity, policy] of changes) {
      await saveSlaPolicy(trx, { severity, policy, actorId: actor.id }, now);
    }
    const rescheduled = await rescheduleOpenCaseSlaChecks(
      trx,
      deps,
      changed.map(([s]) => s),
      now,
    );
    // Only the severities whose policy changed, or that now have one of their own instead of the built-in
    // one: a policy given again as it was configured is not a change.
    const configured = new Set(before.configured.map((c) => c.severity));
    const audited = changes.filter(
      ([severity, policy]) =>
        !configured.has(severity) || !isDeepStrictEqual(before.policies[severity], policy),
    );
    if (audited.length > 0) {
      await appendAudit(
        trx,
        deps,
        {
          actor,
          action: 'sla_policies.updated',
          target: { type: 'sla_policies', id: 'default' },
          details: {
            before: Object.fromEntries(audited.map(([s]) => [s, before.policies[s]])),
            after: Object.fromEntries(audited),
            rescheduled,
          },
        },
        now,
      );
    }
    return { ...(await loadSlaPolicies(trx)), rescheduled };
  });
}
