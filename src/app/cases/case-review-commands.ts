import type { Transaction } from 'kysely';
import type { Actor } from '../../domain/shared/actor.js';
import { RiposteError } from '../../domain/shared/errors.js';
import {
  upsertCaseReview,
  type CaseReview,
  type FollowUp,
} from '../../store/cases/case-review.repository.js';
import type { Database } from '../../store/schema.js';
import { loadCaseForChange, recordCaseChange, type CaseCommandDeps } from './case-command-support.js';

/** Writes (or rewrites) the post-incident review. Only a closed case has one: lessons come after the incident. */
export async function saveCaseReview(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: { caseId: string; rootCause: string; lessonsLearned: string; followUps: FollowUp[]; actor: Actor },
  now: number,
): Promise<CaseReview> {
  const kase = await loadCaseForChange(trx, deps, input.caseId);
  if (kase.status !== 'closed') {
    throw new RiposteError(
      'RIPOSTE_CONFLICT',
      `case ${kase.id} is ${kase.status}; a review is written once it is closed`,
      {
        details: [{ path: 'caseId', message: `status is ${kase.status}` }],
      },
    );
  }
  const review: CaseReview = {
    caseId: kase.id,
    rootCause: input.rootCause,
    lessonsLearned: input.lessonsLearned,
    followUps: input.followUps,
    updatedAt: now,
    updatedBy: input.actor.id,
  };
  await upsertCaseReview(trx, review);
  await recordCaseChange(
    trx,
    deps,
    {
      caseId: kase.id,
      type: 'review_saved',
      actor: input.actor,
      data: { followUps: input.followUps.length },
      action: 'case.review_saved',
    },
    now,
  );
  return review;
}
