import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface FollowUp {
  title: string;
  owner?: string;
  dueAt?: number;
  done: boolean;
}

/** A closed case's post-incident review. */
export interface CaseReview {
  caseId: string;
  rootCause: string;
  lessonsLearned: string;
  followUps: FollowUp[];
  updatedAt: number;
  updatedBy: string;
}

/** Writes a case's review, replacing the one it had. */
export async function upsertCaseReview(db: Db, review: CaseReview): Promise<void> {
  const row = {
    case_id: review.caseId,
    root_cause: review.rootCause,
    lessons_learned: review.lessonsLearned,
    follow_ups: JSON.stringify(review.followUps),
    updated_at: review.updatedAt,
    updated_by: review.updatedBy,
  };
  await db
    .insertInto('case_reviews')
    .values(row)
    .onConflict((oc) =>
      oc.column('case_id').doUpdateSet({
        root_cause: row.root_cause,
        lessons_learned: row.lessons_learned,
        follow_ups: row.follow_ups,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
      }),
    )
    .execute();
}

export async function findCaseReview(db: Db, caseId: string): Promise<CaseReview | undefined> {
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
