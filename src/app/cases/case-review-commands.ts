import type { Kysely, Transaction } from 'kysely';
import type { Actor } from '../../domain/shared/actor.js';
import { RiposteError } from '../../domain/shared/errors.js';
import type { Database } from '../../store/schema.js';
import { loadCaseForChange, recordCaseChange, type CaseCommandDeps } from './case-command-support.js';

export interface FollowUp {
  title: string;
  owner?: string;
  dueAt?: number;
  done: boolean;
}

export interface CaseReview {
  caseId: string;
  rootCause: string;
  lessonsLearned: string;
  followUps: FollowUp[];
  updatedAt: number;
  updatedBy: string;
}

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
  const row = {
    case_id: kase.id,
    root_cause: input.rootCause,
    lessons_learned: input.lessonsLearned,
    follow_ups: JSON.stringify(input.followUps),
    updated_at: now,
    updated_by: input.actor.id,
  };
  await trx
    .insertInto('case_reviews')
    .values(row)
    .onConflict((oc) =>
      oc.column('case_id').doUpdateSet({
        root_cause: row.root_cause,
        lessons_learned: row.lessons_learned,
        follow_ups: row.follow_ups,
        updated_at: now,
        updated_by: row.updated_by,
      }),
    )
    .execute();
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
  return { ...input, caseId: kase.id, updatedAt: now, updatedBy: input.actor.id };
}

export async function findCaseReview(
  db: Transaction<Database> | Kysely<Database>,
  caseId: string,
): Promise<CaseReview | undefined> {
  const row = await db
    .selectFrom('case_reviews')
    .selectAll()
    .where('case_id', '=', caseId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    caseId: row.case_id,
    rootCause: row.root_cause,
    lessonsLearned: row.lessons_learned,
    followUps: JSON.parse(row.follow_ups) as FollowUp[],
    updatedAt: Number(row.updated_at),
    updatedBy: row.updated_by,
  };
}
