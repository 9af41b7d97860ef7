import type { Kysely, Transaction } from 'kysely';
import { emptyMilestones, type CaseMilestones } from '../../domain/cases/case-milestones.js';
import {
  computeSlaClocks,
  runningClocks,
  type SlaPolicies,
  type SlaPolicy,
} from '../../domain/cases/case-sla.js';
import type { CaseStatus } from '../../domain/cases/case.js';
import type { Severity } from '../../domain/shared/severity.js';
import { chunks } from '../chunks.js';
import { enqueueJobs, type EnqueueInput } from '../queue/queue.repository.js';
import type { Database } from '../schema.js';
import { findCaseMilestones } from './case-milestones.repository.js';
import { loadSlaPolicies, loadSlaPolicy } from './sla-policy.repository.js';

export const SLA_QUEUE = 'timers';
export const SLA_JOB_KIND = 'case.sla_check';

export interface SlaCheckPayload {
  caseId: string;
  clock: string;
  dueAt: number;
}

// Enqueueing takes no row locks, so the dialect's capabilities do not matter here.
const NO_LOCKS = { supportsRowLocks: false } as const;

/**
 * The due-time rows for a case's running clocks. The key names case, clock and due time: a changed severity,
 * policy or a reopen schedules a new check, and scheduling the same one twice is a no-op.
 */
function slaCheckJobs(
  caseId: string,
  milestones: CaseMilestones,
  policy: SlaPolicy,
  now: number,
): EnqueueInput[] {
  return runningClocks(computeSlaClocks(milestones, policy, now)).map((clock) => {
    const payload: SlaCheckPayload = { caseId, clock: clock.name, dueAt: clock.dueAt };
    return {
      queue: SLA_QUEUE,
      kind: SLA_JOB_KIND,
      payload,
      runAt: Math.max(clock.dueAt, now),
      dedupeKey: `case.sla_check:${caseId}:${clock.name}:${clock.dueAt}`,
    };
  });
}

/**
 * Puts a due-time row in the queue for each running SLA clock of a case, so a breach is raised when it happens
 * (by whichever worker is up), not by an in-process timer. The clocks run from `milestones` when the caller
 * has them (a case being opened), else from the case's milestone projection (kept in step with the timeline in
 * the transaction that appends each event); a case without either is timed from `now`.
 */
export async function scheduleSlaChecks(
  trx: Transaction<Database>,
  deps: { newId: () => string },
  input: { caseId: string; severity: Severity; milestones?: CaseMilestones },
  now: number,
): Promise<number> {
  const milestones = input.milestones ??
    (await findCaseMilestones(trx, input.caseId)) ?? { ...emptyMilestones(), createdAt: now };
  const policy = await loadSlaPolicy(trx, input.severity);
  const jobs = slaCheckJobs(input.caseId, milestones, policy, now);
  await enqueueJobs(trx, { dialect: NO_LOCKS, newId: deps.newId }, jobs, now);
  return jobs.length;
}

/**
 * How a caller that opens cases among other writes of its transaction has them written: `policies`, the SLA
 * policies in force, read already with the caller's other lookups; `writes`, where the rows go (the caller's
 * deferred writes, deferred-writes.ts, which it flushes). Without them: read and written on the transaction.
 */
export interface OpenedCaseWrites {
  policies?: SlaPolicies;
  writes?: Kysely<Database> | Transaction<Database>;
}

/**
 * `scheduleSlaChecks` for cases just opened (no lifecycle event but their creation), many at once: one read
 * of the policies and the jobs in multi-row inserts, instead of a policy read and an insert per clock.
 */
export async function scheduleOpenedCaseSlaChecks(
  trx: Transaction<Database>,
  deps: { newId: () => string },
  cases: ReadonlyArray<{ caseId: string; severity: Severity; createdAt: number }>,
  now: number,
  given: OpenedCaseWrites = {},
): Promise<number> {
  if (cases.length === 0) return 0;
  const policies = given.policies ?? (await loadSlaPolicies(trx)).policies;
  const jobs = cases.flatMap((c) =>
    slaCheckJobs(c.caseId, { ...emptyMilestones(), createdAt: c.createdAt }, policies[c.severity], now),
  );
  // 14 columns a job: 1,000 rows stay under both stores' bound-parameter limits.
  for (const chunk of chunks(jobs, 1000)) {
    await enqueueJobs(given.writes ?? trx, { dialect: NO_LOCKS, newId: deps.newId }, chunk, now);
  }
  return jobs.length;
}

const PAGE = 1000;

/**
 * After an SLA policy change: schedules the checks of every open (not closed, not merged) case of these
 * severities at the due times the policy in force gives, in the caller's transaction. Set-wise: the clocks
 * come from the milestone projection (kept in step with the timeline in the transaction that appends each
 * event), a page of cases per query and the page's jobs in multi-row inserts, never one case's events at a
 * time. Returns how many cases it went through.
 */
export async function rescheduleOpenCaseSlaChecks(
  trx: Transaction<Database>,
  deps: { newId: () => string },
  severities: readonly Severity[],
  now: number,
): Promise<number> {
  if (severities.length === 0) return 0;
  const { policies } = await loadSlaPolicies(trx);
  let after = '';
  let cases = 0;
  for (;;) {
    const rows = await trx
      .selectFrom('cases as c')
      .leftJoin('case_milestones as m', 'm.case_id', 'c.id')
      .select([
        'c.id',
        'c.severity',
        'c.created_at',
        'm.created_at as milestone_created_at',
        'm.acknowledged_at',
        'm.contained_at',
        'm.resolved_at',
        'm.resolution',
        'm.status',
      ])
      .where('c.status', '!=', 'closed')
      .where('c.merged_into', 'is', null)
      .where('c.severity', 'in', [...severities])
      .where('c.id', '>', after)
      .orderBy('c.id')
      .limit(PAGE)
      .execute();
    if (rows.length === 0) return cases;
    after = rows[rows.length - 1]?.id ?? after;
    cases += rows.length;
    const jobs = rows.flatMap((r) => {
      const num = (v: number | string | null) => (v === null ? null : Number(v));
      // A case without a projected creation (none in practice) is timed from its row, as on opening.
      const milestones: CaseMilestones = {
        createdAt: num(r.milestone_created_at) ?? Number(r.created_at),
        acknowledgedAt: num(r.acknowledged_at),
        containedAt: num(r.contained_at),
        resolvedAt: num(r.resolved_at),
        resolution: r.resolution as CaseMilestones['resolution'],
        status: (r.status ?? 'new') as CaseStatus,
      };
      return slaCheckJobs(r.id, milestones, policies[r.severity as Severity], now);
    });
    // 14 columns a job: 1,000 rows stay under both stores' bound-parameter limits.
    for (const chunk of chunks(jobs, 1000)) {
      await enqueueJobs(trx, { dialect: NO_LOCKS, newId: deps.newId }, chunk, now);
    }
  }
}
