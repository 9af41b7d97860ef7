import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';
import type { CaseEvidenceRow } from './case-management.table.js';

type Db = Kysely<Database> | Transaction<Database>;

/** An evidence file's record; the bytes live inline or on disk, found by `sha256`. */
export interface Evidence {
  id: string;
  caseId: string;
  sha256: string;
  size: number;
  contentType: string;
  filename: string;
  description: string;
  storage: 'inline' | 'file';
  createdAt: number;
  createdBy: string;
}

export const evidenceRowToEvidence = (row: Omit<CaseEvidenceRow, 'content'>): Evidence => ({
  id: row.id,
  caseId: row.case_id,
  sha256: row.sha256,
  size: Number(row.size),
  contentType: row.content_type,
  filename: row.filename,
  description: row.description,
  storage: row.storage as Evidence['storage'],
  createdAt: Number(row.created_at),
  createdBy: row.created_by,
});

const META = [
  'id',
  'case_id',
  'sha256',
  'size',
  'content_type',
  'filename',
  'description',
  'storage',
  'created_at',
  'created_by',
] as const;

export async function insertEvidence(db: Db, evidence: Evidence, content: Buffer | null): Promise<void> {
  await db
    .insertInto('case_evidence')
    .values({
      id: evidence.id,
      case_id: evidence.caseId,
      sha256: evidence.sha256,
      size: evidence.size,
      content_type: evidence.contentType,
      filename: evidence.filename,
      description: evidence.description,
      storage: evidence.storage,
      content,
      created_at: evidence.createdAt,
      created_by: evidence.createdBy,
    })
    .execute();
}

export async function findEvidence(db: Db, caseId: string, id: string): Promise<Evidence | undefined> {
  const row = await db
    .selectFrom('case_evidence')
    .select(META)
    .where('case_id', '=', caseId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? evidenceRowToEvidence(row) : undefined;
}

/** The inline bytes of an evidence record (null when stored on disk). */
export async function readInlineEvidence(db: Db, id: string): Promise<Buffer | null> {
  const row = await db.selectFrom('case_evidence').select('content').where('id', '=', id).executeTakeFirst();
  return row?.content ? Buffer.from(row.content) : null;
}

export async function listEvidence(db: Db, caseId: string): Promise<Evidence[]> {
  const rows = await db
    .selectFrom('case_evidence')
    .select(META)
    .where('case_id', '=', caseId)
    .orderBy('id')
    .execute();
  return rows.map(evidenceRowToEvidence);
}

/** Moves a case's evidence to another case, except files (by SHA-256) the other case already has. Returns how many moved. */
export async function moveCaseEvidence(db: Db, fromCaseId: string, toCaseId: string): Promise<number> {
  const held = (
    await db.selectFrom('case_evidence').select('sha256').where('case_id', '=', toCaseId).execute()
  ).map((r) => r.sha256);
  let q = db.updateTable('case_evidence').set({ case_id: toCaseId }).where('case_id', '=', fromCaseId);
  if (held.length) q = q.where('sha256', 'not in', held);
  return Number((await q.executeTakeFirst()).numUpdatedRows);
}
