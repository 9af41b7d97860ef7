import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Keeps the `case_tags` index rows equal to a case's tag list (the JSON column stays the source to read). */
export async function replaceCaseTags(db: Db, caseId: string, tags: readonly string[]): Promise<void> {
  await db.deleteFrom('case_tags').where('case_id', '=', caseId).execute();
  const unique = [...new Set(tags)];
  if (unique.length === 0) return;
  await db
    .insertInto('case_tags')
    .values(unique.map((tag) => ({ case_id: caseId, tag })))
    .execute();
}
